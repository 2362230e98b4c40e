package io.aiostreams

import io.aiostreams.testing.FeedShape
import io.aiostreams.testing.ascii
import io.aiostreams.testing.fedWith
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeSameInstanceAs

class ReadSpec :
    FunSpec({
        for (shape in FeedShape.entries) {
            context("feed shape $shape") {
                test("readAllGathersEveryChunkUntilEof") {
                    val reader = StreamReader(limit = 3)
                    val all = reader.fedWith(shape, "0123456789abcdef".ascii()) { read() }.getOrThrow()
                    String(all) shouldBe "0123456789abcdef"
                    reader.atEof() shouldBe true
                }

                test("readReturnsAtMostNBytesOnceDataIsThere") {
                    val reader = StreamReader()
                    val first = reader.fedWith(shape, "hello world".ascii()) { read(5) }.getOrThrow()
                    (first.size in 1..5) shouldBe true
                    String(first + reader.read()) shouldBe "hello world"
                }
            }
        }

        test("readIsNotBoundedByTheLimit") {
            val reader = StreamReader(limit = 2)
            reader.feedData("0123456789".ascii())
            String(reader.read(8)) shouldBe "01234567"
        }

        test("readZeroReturnsEmptyAndLeavesTheBuffer") {
            val reader = StreamReader()
            reader.feedData("abc".ascii())
            reader.read(0).size shouldBe 0
            String(reader.read(10)) shouldBe "abc"
        }

        test("readThrowsTheStoredExceptionBeforeZeroAndBeforeBufferedData") {
            val reader = StreamReader()
            reader.feedData("abc".ascii())
            val stored = java.io.IOException("boom")
            reader.setException(stored)
            shouldThrow<java.io.IOException> { reader.read(0) } shouldBeSameInstanceAs stored
            shouldThrow<java.io.IOException> { reader.read(1) } shouldBeSameInstanceAs stored
            reader.atEof() shouldBe false
        }

        test("feedDataAfterFeedEofIsRejectedAndKeepsTheBuffer") {
            val reader = StreamReader()
            reader.feedData("a".ascii())
            reader.feedEof()
            shouldThrow<IllegalStateException> { reader.feedData(ByteArray(0)) }.message shouldBe
                "feed_data after feed_eof"
            String(reader.read()) shouldBe "a"
        }

        test("limitOfZeroOrLessIsRejected") {
            shouldThrow<IllegalArgumentException> { StreamReader(0) }.message shouldBe "Limit cannot be <= 0"
            shouldThrow<IllegalArgumentException> { StreamReader(-1) }.message shouldBe "Limit cannot be <= 0"
        }
    })
