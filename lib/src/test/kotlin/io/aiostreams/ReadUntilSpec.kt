package io.aiostreams

import io.aiostreams.testing.FeedShape
import io.aiostreams.testing.ascii
import io.aiostreams.testing.fedWith
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope

class ReadUntilSpec :
    FunSpec({
        for (shape in FeedShape.entries) {
            context("feed shape $shape") {
                test("readUntilReturnsThroughAMultiByteSeparatorAndKeepsTheRest") {
                    val sep = "\r\n\r\n".ascii()
                    val reader = StreamReader()
                    val head = reader.fedWith(shape, "GET / HTTP/1.0\r\nHost: x\r\n\r\nbody".ascii(), sep) {
                        readUntil(sep)
                    }
                    String(head.getOrThrow()) shouldBe "GET / HTTP/1.0\r\nHost: x\r\n\r\n"
                    String(reader.read()) shouldBe "body"
                }

                test("readUntilFindsASelfOverlappingSeparatorAtItsFirstEnd") {
                    val sep = "abab".ascii()
                    val reader = StreamReader()
                    val chunk = reader.fedWith(shape, "xabababx".ascii(), sep) { readUntil(sep) }.getOrThrow()
                    String(chunk) shouldBe "xabab"
                    String(reader.read()) shouldBe "abx"
                }

                test("readUntilOverLimitLeavesBufferIntact") {
                    val sep = "::".ascii()
                    val reader = StreamReader(limit = 3)
                    val failure = reader.fedWith(shape, "abcdef::".ascii(), sep) { readUntil(sep) }.exceptionOrNull()
                    failure.shouldBeInstanceOf<LimitOverrunError>()
                    // Whatever the chunking, every byte fed is still there to be read.
                    String(reader.read()) shouldBe "abcdef::"
                }

                test("readUntilAtEofThrowsIncompleteReadErrorWithTheWholeBuffer") {
                    val sep = "END".ascii()
                    val reader = StreamReader()
                    val failure = reader.fedWith(shape, "dataEN".ascii(), sep) { readUntil(sep) }.exceptionOrNull()
                    failure.shouldBeInstanceOf<IncompleteReadError>()
                    String(failure.partial) shouldBe "dataEN"
                    failure.expected shouldBe null
                    failure.message shouldBe "6 bytes read on a total of undefined expected bytes"
                    reader.atEof() shouldBe true
                }

                test("readUntilWithSeveralSeparatorsTakesTheMatchThatEndsFirst") {
                    val reader = StreamReader()
                    val seps = listOf("DEF".ascii(), "BCDE".ascii())
                    val chunk = reader.fedWith(shape, "ABCDEFG".ascii(), "DEF".ascii()) { readUntil(seps) }.getOrThrow()
                    String(chunk) shouldBe "ABCDE"
                }
            }
        }

        test("readUntilLimitErrorsCarryCPythonsMessagesAndConsumedCounts") {
            val reader = StreamReader(limit = 3)
            reader.feedData("abcdAA".ascii())
            val found = shouldThrow<LimitOverrunError> { reader.readUntil("AA".ascii()) }
            found.message shouldBe "Separator is found, but chunk is longer than limit"
            found.consumed shouldBe 4
            val notFound = StreamReader(limit = 3)
            notFound.feedData("abcdef".ascii())
            val e = shouldThrow<LimitOverrunError> { notFound.readUntil("XY".ascii()) }
            e.message shouldBe "Separator is not found, and chunk exceed the limit"
            e.consumed shouldBe 5
        }

        test("readUntilTieBetweenSeparatorsEndingTogetherGoesToTheShorter") {
            val reader = StreamReader(limit = 2)
            reader.feedData("xxab".ascii())
            // "xab" starts at 1 (within the limit) but "b" is shorter and ends at the same byte: its start 3 counts.
            val e = shouldThrow<LimitOverrunError> { reader.readUntil(listOf("xab".ascii(), "b".ascii())) }
            e.consumed shouldBe 3
        }

        test("readUntilValidatesSeparatorsBeforeThrowingTheStoredException") {
            val reader = StreamReader()
            reader.setException(java.io.IOException("stored"))
            shouldThrow<IllegalArgumentException> { reader.readUntil(ByteArray(0)) }.message shouldBe
                "Separator should be at least one-byte string"
            shouldThrow<IllegalArgumentException> { reader.readUntil(emptyList()) }.message shouldBe
                "Separator should contain at least one element"
            shouldThrow<IllegalArgumentException> {
                reader.readUntil(listOf("a".ascii(), ByteArray(0)))
            }.message shouldBe
                "Separator should be at least one-byte string"
            shouldThrow<java.io.IOException> { reader.readUntil() }.message shouldBe "stored"
        }

        test("anIncompleteReadErrorRaisedAfterAWaitHasNoStackTraceAndOneRaisedAtOnceHasTheCallers") {
            for ((name, operation) in listOf<Pair<String, suspend StreamReader.() -> ByteArray>>(
                "readUntil" to { readUntil("\n".ascii()) },
                "readExactly" to { readExactly(10) },
            )) {
                val waited = StreamReader()
                waited.feedData("part".ascii())
                val error =
                    coroutineScope {
                        val pending = async(start = CoroutineStart.UNDISPATCHED) { runCatching { waited.operation() } }
                        waited.feedEof()
                        pending.await().exceptionOrNull()
                    }
                error.shouldBeInstanceOf<IncompleteReadError>()
                String(error.partial) shouldBe "part"
                withClue(name) { error.stackTrace.size shouldBe 0 }
                // Rethrown by a user who wants one, it records the stack then.
                error.fillInStackTrace().stackTrace.size shouldNotBe 0

                val atOnce = StreamReader()
                atOnce.feedData("part".ascii())
                atOnce.feedEof()
                val immediate = shouldThrow<IncompleteReadError> { atOnce.operation() }
                withClue(name) {
                    immediate.stackTrace.any { it.className.startsWith(ReadUntilSpec::class.java.name) } shouldBe true
                }
            }
            IncompleteReadError(ByteArray(0), null).stackTrace.size shouldNotBe 0
        }
    })
