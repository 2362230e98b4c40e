package io.aiostreams

import io.aiostreams.testing.ascii
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.runInterruptible
import kotlinx.coroutines.withTimeout
import java.io.File
import java.nio.ByteBuffer
import java.util.concurrent.TimeUnit

/**
 * aiostreams against CPython's own asyncio streams, both ways, over loopback: lines, exact-size frames, and 10 MiB
 * echoed in bulk and ended with a half-close, every byte checked. The Python side is `python/interop_peer.py`.
 */
class CPythonInteropSpec :
    FunSpec({
        val script = File(CPythonInteropSpec::class.java.getResource("/python/interop_peer.py")!!.toURI())

        test("ourClientTalksToACPythonServerInEveryMode") {
            val python = ProcessBuilder(
                "python3",
                script.path,
                "server",
            ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
            try {
                val portLine = runInterruptible(Dispatchers.IO) { python.inputStream.bufferedReader().readLine() }
                val port = portLine.removePrefix("PORT ").trim().toInt()
                withTimeout(60_000) {
                    InteropProtocol.client(port)
                }
            } finally {
                python.destroy()
                python.waitFor(10, TimeUnit.SECONDS)
            }
        }

        test("aCPythonClientTalksToOurServerInEveryMode") {
            val server = startServer("127.0.0.1", 0) { reader, writer -> InteropProtocol.serve(reader, writer) }
            val python =
                ProcessBuilder("python3", script.path, "client", server.port.toString())
                    .redirectErrorStream(true)
                    .start()
            val output = runInterruptible(Dispatchers.IO) { python.inputStream.bufferedReader().readText() }
            runInterruptible(Dispatchers.IO) { python.waitFor(60, TimeUnit.SECONDS) } shouldBe true
            output.trim() shouldBe "ok"
            python.exitValue() shouldBe 0
            server.close()
            server.waitClosed()
        }
    })

/** The Kotlin side of the interop protocol described in `python/interop_peer.py`. */
object InteropProtocol {
    private const val BULK_SIZE = 10 * 1024 * 1024
    private val frameSizes = listOf(1, 2, 3, 100, 4095, 4096, 4097, 65535, 65536, 65537, 300000, 1, 7)

    fun pattern(
        n: Int,
        seed: Int,
    ): ByteArray = ByteArray(n) { i -> ((i * 31 + seed) and 0xFF).toByte() }

    private fun head(n: Int): ByteArray = ByteBuffer.allocate(4).putInt(n).array()

    suspend fun serve(
        reader: StreamReader,
        writer: StreamWriter,
    ) {
        when (String(reader.readLine())) {
            "LINES\n" -> {
                while (true) {
                    val line = reader.readLine()
                    if (line.isEmpty() || line.contentEquals("END\n".ascii())) {
                        writer.write("END\n".ascii())
                        break
                    }
                    writer.write(line)
                    writer.drain()
                }
            }

            "FRAMES\n" -> {
                while (true) {
                    val head = reader.readExactly(4)
                    val n = ByteBuffer.wrap(head).int
                    if (n == 0) {
                        writer.write(head)
                        break
                    }
                    writer.write(head + reader.readExactly(n))
                    writer.drain()
                }
            }

            "BULK\n" -> {
                while (true) {
                    val chunk = reader.read(65536)
                    if (chunk.isEmpty()) break
                    writer.write(chunk)
                    writer.drain()
                }
                writer.writeEof()
            }
        }
        writer.drain()
        writer.close()
        writer.waitClosed()
    }

    suspend fun client(port: Int) {
        openConnection("127.0.0.1", port).let { (reader, writer) ->
            writer.write("LINES\n".ascii())
            for (i in 0 until 1000) {
                val line = ("line $i " + "x".repeat(i % 300) + "\n").ascii()
                writer.write(line)
                writer.drain()
                reader.readLine().contentEquals(line) shouldBe true
            }
            writer.write("END\n".ascii())
            String(reader.readLine()) shouldBe "END\n"
            writer.close()
            writer.waitClosed()
        }
        openConnection("127.0.0.1", port).let { (reader, writer) ->
            writer.write("FRAMES\n".ascii())
            for ((k, n) in frameSizes.withIndex()) {
                val body = pattern(n, k)
                writer.write(head(n) + body)
                writer.drain()
                reader.readExactly(4).contentEquals(head(n)) shouldBe true
                reader.readExactly(n).contentEquals(body) shouldBe true
            }
            writer.write(head(0))
            reader.readExactly(4).contentEquals(head(0)) shouldBe true
            writer.close()
            writer.waitClosed()
        }
        openConnection("127.0.0.1", port).let { (reader, writer) ->
            writer.write("BULK\n".ascii())
            val data = pattern(BULK_SIZE, 5)
            coroutineScope {
                val sender =
                    async {
                        for (i in data.indices step 65536) {
                            writer.write(data.copyOfRange(i, minOf(data.size, i + 65536)))
                            writer.drain()
                        }
                        writer.writeEof()
                    }
                val echoed = reader.read()
                sender.await()
                echoed.size shouldBe data.size
                echoed.contentEquals(data) shouldBe true
            }
            writer.close()
            writer.waitClosed()
        }
    }
}
