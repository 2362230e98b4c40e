package io.aiostreams

import io.aiostreams.testing.FeedShape
import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.net.InetAddress
import java.net.ServerSocket

/**
 * A reader fed by a socket takes a small socket read as it is, and a read that it answers exactly returns that very
 * array; every other read moves it into the buffer first. Each step below is one message from a plain blocking peer,
 * sent only once the step before it is done (so that a whole message is most often one socket read), under every
 * feed shape, and each must read as a reader fed in memory reads.
 */
class SocketFedReaderSpec :
    FunSpec({
        /** One message and what the reader does with it; [separator] tells the shapes where to cut. */
        class Step(
            val message: String,
            val separator: String = "\n",
            val alwaysWhole: Boolean = false,
            val reads: suspend (StreamReader) -> Unit,
        )

        /** `read(n)` (less for the last bytes) until [expected] has arrived: each returns at most what it asked for. */
        suspend fun StreamReader.readAllOf(
            n: Int,
            expected: String,
        ) {
            val got = StringBuilder()
            while (got.length < expected.length) {
                val ask = minOf(n, expected.length - got.length)
                val chunk = read(ask)
                (chunk.size in 1..ask) shouldBe true
                got.append(String(chunk, Charsets.ISO_8859_1))
            }
            got.toString() shouldBe expected
        }

        val steps =
            listOf(
                Step("0123456789") { String(it.readExactly(10)) shouldBe "0123456789" },
                Step("abcdefghij") { it.readAllOf(100, "abcdefghij") },
                Step("klmnopqrst") {
                    it.readAllOf(4, "klmn")
                    it.readAllOf(100, "opqrst")
                },
                Step("line one\n") { String(it.readLine()) shouldBe "line one\n" },
                Step("two\nthree\n") {
                    String(it.readLine()) shouldBe "two\n"
                    String(it.readLine()) shouldBe "three\n"
                },
                Step("crlf\r\n", separator = "\r\n") { String(it.readUntil("\r\n".ascii())) shouldBe "crlf\r\n" },
                // Longer than the limit (16): the line is discarded, as CPython's readline() discards it.
                Step("0123456789abcdefXYZ\n", alwaysWhole = true) {
                    shouldThrow<IllegalArgumentException> { it.readLine() }.message shouldBe
                        "Separator is found, but chunk is longer than limit"
                },
                Step("1234567890123456") {
                    String(it.readExactly(8)) shouldBe "12345678"
                    String(it.readExactly(8)) shouldBe "90123456"
                },
                // What a read returns is the caller's to change: nothing of it stays in the reader.
                Step("mine to change\n") {
                    val line = it.readLine()
                    String(line) shouldBe "mine to change\n"
                    line.fill('#'.code.toByte())
                },
                Step("the next is new\n") { String(it.readLine()) shouldBe "the next is new\n" },
            )

        test("readsOfASocketFedReaderReturnWhatAReaderFedInMemoryReturnsWhateverTheShape") {
            for (shape in FeedShape.entries) {
                ServerSocket(0, 50, InetAddress.getLoopbackAddress()).use { listener ->
                    val peer =
                        async(Dispatchers.IO) {
                            listener.soTimeout = 30_000
                            listener.accept().use { socket ->
                                // A failing reader must not leave the peer waiting for ever.
                                socket.soTimeout = 30_000
                                val output = socket.getOutputStream()
                                val acks = socket.getInputStream()
                                for (step in steps) {
                                    val bytes = step.message.ascii()
                                    val chunks =
                                        if (step.alwaysWhole) {
                                            listOf(
                                                bytes,
                                            )
                                        } else {
                                            shape.chunks(bytes, step.separator.ascii())
                                        }
                                    for ((i, chunk) in chunks.withIndex()) {
                                        if (i > 0) Thread.sleep(2)
                                        output.write(chunk)
                                        output.flush()
                                    }
                                    acks.read() shouldBe 'k'.code
                                }
                                output.write("end".ascii())
                                output.flush()
                                socket.shutdownOutput()
                                acks.read() shouldBe -1
                            }
                        }
                    val (reader, writer) = openConnection("127.0.0.1", listener.localPort, limit = 16)
                    withTimeout(30_000) {
                        for (step in steps) {
                            step.reads(reader)
                            writer.write("k".ascii())
                            writer.drain()
                        }
                        val error = shouldThrow<IncompleteReadError> { reader.readExactly(5) }
                        String(error.partial) shouldBe "end"
                        error.expected shouldBe 5
                        reader.atEof() shouldBe true
                        writer.close()
                        withContext(Dispatchers.IO) { peer.await() }
                    }
                }
            }
        }
    })
