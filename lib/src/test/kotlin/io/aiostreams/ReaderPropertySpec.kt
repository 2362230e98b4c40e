package io.aiostreams

import io.aiostreams.testing.FeedShape
import io.aiostreams.testing.fedWith
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.property.Arb
import io.kotest.property.arbitrary.byte
import io.kotest.property.arbitrary.byteArray
import io.kotest.property.arbitrary.element
import io.kotest.property.arbitrary.enum
import io.kotest.property.arbitrary.int
import io.kotest.property.checkAll

/** Properties that hold for every input and every chunking, checked against a plain model of the same reads. */
class ReaderPropertySpec :
    FunSpec({
        val bytes = Arb.byteArray(Arb.int(0..400), Arb.element("a\nb\r\n\u0000xyz".toByteArray().toList()))

        test("readLinesReassembleTheInputAndEndAtEachNewline") {
            checkAll(300, bytes, Arb.enum<FeedShape>()) { data, shape ->
                val reader = StreamReader()
                val lines =
                    reader
                        .fedWith(shape, data) {
                            val out = mutableListOf<ByteArray>()
                            while (true) {
                                val line = readLine()
                                if (line.isEmpty()) break
                                out += line
                            }
                            out
                        }.getOrThrow()
                lines.fold(ByteArray(0)) { acc, l -> acc + l }.contentEquals(data) shouldBe true
                lines.dropLast(1).all {
                    it.last() == '\n'.code.toByte() &&
                        it.count { b -> b == '\n'.code.toByte() } == 1
                } shouldBe
                    true
            }
        }

        test("readExactlyChunksReassembleTheInputWhateverTheChunking") {
            checkAll(300, Arb.byteArray(Arb.int(1..2000), Arb.byte()), Arb.int(1..97)) { data, n ->
                val reader = StreamReader(limit = 16)
                val out =
                    reader
                        .fedWith(FeedShape.RANDOM_CHUNKS, data) {
                            val parts = mutableListOf<ByteArray>()
                            while (true) {
                                try {
                                    parts += readExactly(n)
                                } catch (e: IncompleteReadError) {
                                    parts += e.partial
                                    break
                                }
                            }
                            parts
                        }.getOrThrow()
                out.dropLast(1).all { it.size == n } shouldBe true
                out.fold(ByteArray(0)) { acc, p -> acc + p }.contentEquals(data) shouldBe true
            }
        }

        test("readUntilNeverRemovesBytesWhenItFailsOnTheLimit") {
            checkAll(300, bytes, Arb.int(1..20)) { data, limit ->
                val reader = StreamReader(limit)
                reader.feedData(data)
                reader.feedEof()
                val before = reader.core.peekBuffered()
                val outcome = runCatching { reader.readUntil("\r\n".toByteArray()) }
                if (outcome.exceptionOrNull() is LimitOverrunError) {
                    reader.core.peekBuffered().contentEquals(before) shouldBe true
                }
            }
        }
    })
