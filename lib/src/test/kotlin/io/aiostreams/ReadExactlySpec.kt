package io.aiostreams

import io.aiostreams.testing.FeedShape
import io.aiostreams.testing.ascii
import io.aiostreams.testing.fedWith
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import io.kotest.matchers.types.shouldBeSameInstanceAs

class ReadExactlySpec :
    FunSpec({
        for (shape in FeedShape.entries) {
            context("feed shape $shape") {
                test("readExactlyWaitsForAllBytesAndLeavesTheRest") {
                    val reader = StreamReader(limit = 2)
                    val data = reader.fedWith(shape, "0123456789".ascii()) { readExactly(7) }.getOrThrow()
                    String(data) shouldBe "0123456"
                    String(reader.read()) shouldBe "789"
                }

                test("readExactlyAtEofThrowsWithPartial") {
                    val reader = StreamReader()
                    val failure = reader.fedWith(shape, "x".repeat(18).ascii()) { readExactly(36) }.exceptionOrNull()
                    failure.shouldBeInstanceOf<IncompleteReadError>()
                    failure.partial.size shouldBe 18
                    failure.expected shouldBe 36
                    failure.message shouldBe "18 bytes read on a total of 36 expected bytes"
                    failure.toString() shouldBe
                        "io.aiostreams.IncompleteReadError: 18 bytes read on a total of 36 expected bytes"
                    reader.atEof() shouldBe true
                }
            }
        }

        test("aReadOfAWholePooledSegmentIsACopyThatLaterFeedsLeaveAlone") {
            val reader = StreamReader()
            reader.feedData(ByteArray(8192) { 1 })
            val first = reader.readExactly(8192)
            reader.feedData(ByteArray(8192) { 2 })
            first.all { it == 1.toByte() } shouldBe true
            reader.readExactly(8192).all { it == 2.toByte() } shouldBe true
        }

        test("readExactlyNegativeIsRejectedBeforeTheStoredException") {
            val reader = StreamReader()
            val stored = RuntimeException("stored")
            reader.setException(stored)
            shouldThrow<IllegalArgumentException> { reader.readExactly(-1) }.message shouldBe
                "readexactly size can not be less than zero"
            shouldThrow<RuntimeException> { reader.readExactly(0) } shouldBeSameInstanceAs stored
        }

        test("readExactlyZeroReturnsEmptyWithoutWaiting") {
            StreamReader().readExactly(0).size shouldBe 0
        }
    })
