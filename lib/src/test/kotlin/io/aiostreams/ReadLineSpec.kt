package io.aiostreams

import io.aiostreams.testing.FeedShape
import io.aiostreams.testing.ascii
import io.aiostreams.testing.fedWith
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf

class ReadLineSpec :
    FunSpec({
        for (shape in FeedShape.entries) {
            context("feed shape $shape") {
                test("readLineKeepsTheNewlineAndLeavesTheRestBuffered") {
                    val reader = StreamReader()
                    val lines =
                        reader
                            .fedWith(shape, "first\nsecond\nthird".ascii()) {
                                listOf(readLine(), readLine(), readLine(), readLine())
                            }.getOrThrow()
                    lines.map { String(it) } shouldBe listOf("first\n", "second\n", "third", "")
                    reader.atEof() shouldBe true
                }

                test("readLineAcceptsALineOfExactlyTheLimit") {
                    val reader = StreamReader(limit = 5)
                    val line = reader.fedWith(shape, "12345\nx".ascii()) { readLine() }.getOrThrow()
                    String(line) shouldBe "12345\n"
                }

                test("readLineOverLimitNeverReturnsTheOverLongLineAndRecovers") {
                    val reader = StreamReader(limit = 5)
                    val failure =
                        reader.fedWith(shape, "123456\nnext\n".ascii()) { readLine() }.exceptionOrNull()
                    failure.shouldBeInstanceOf<IllegalArgumentException>()
                    failure.cause.shouldBeInstanceOf<LimitOverrunError>()
                    failure.message shouldBe failure.cause?.message
                    val rest = mutableListOf<String>()
                    for (line in reader) rest += String(line)
                    rest.none { it.contains("123456") } shouldBe true
                    rest.last() shouldBe "next\n"
                }

                test("readLineOverLimitWithoutNewlineClearsTheBuffer") {
                    val reader = StreamReader(limit = 3)
                    val failure = reader.fedWith(shape, "abcdefgh".ascii(), eof = false) {
                        readLine()
                    }.exceptionOrNull()
                    failure.shouldBeInstanceOf<IllegalArgumentException>()
                    failure.message shouldBe "Separator is not found, and chunk exceed the limit"
                    val consumed = (failure.cause as LimitOverrunError).consumed
                    (consumed > 3) shouldBe true
                    // Everything buffered at the failure is gone; what came after stays, to be read as a "line".
                    String(reader.core.peekBuffered()) shouldBe "abcdefgh".substring(consumed)
                }
            }
        }

        test("readLineOverLimitWithTheNewlineBufferedDiscardsThroughIt") {
            val reader = StreamReader(limit = 5)
            reader.feedData("123456\nnext\n".ascii())
            val failure = shouldThrow<IllegalArgumentException> { reader.readLine() }
            failure.message shouldBe "Separator is found, but chunk is longer than limit"
            (failure.cause as LimitOverrunError).consumed shouldBe 6
            String(reader.readLine()) shouldBe "next\n"
        }

        test("readLineAtEofWithNothingBufferedReturnsEmpty") {
            val reader = StreamReader()
            reader.feedEof()
            reader.readLine().size shouldBe 0
        }

        test("readLineThrowsTheStoredExceptionEvenWithALineBuffered") {
            val reader = StreamReader()
            reader.feedData("line\n".ascii())
            val stored = java.io.IOException("reset")
            reader.setException(stored)
            val thrown = shouldThrow<java.io.IOException> { reader.readLine() }
            (thrown === stored) shouldBe true
        }
    })
