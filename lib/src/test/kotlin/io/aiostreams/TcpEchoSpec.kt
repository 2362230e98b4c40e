package io.aiostreams

import io.aiostreams.testing.ascii
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import java.net.InetSocketAddress

/** A server that echoes lines back, for the tests that need a peer. */
suspend fun echoServer(
    host: String = "127.0.0.1",
    port: Int = 0,
): Server =
    startServer(host, port) { reader, writer ->
        for (line in reader) {
            writer.write(line)
            writer.drain()
        }
    }

val Server.port: Int get() = (addresses.first() as InetSocketAddress).port

class TcpEchoSpec :
    FunSpec({
        test("linesRoundTripThroughAnEchoServerOverLoopback") {
            val server = echoServer()
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            for (i in 1..100) {
                writer.write("line $i\n".ascii())
                writer.drain()
                String(reader.readLine()) shouldBe "line $i\n"
            }
            writer.close()
            writer.waitClosed()
            reader.read().size shouldBe 0
            server.close()
            server.waitClosed()
            server.sockets shouldBe emptyList()
        }

        test("bytesReadFromSmallSocketReadsAreTheCallersOwnToChange") {
            val server = echoServer()
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            val lines = List(50) { "line $it\n".ascii() }
            val got = ArrayList<ByteArray>()
            for ((i, line) in lines.withIndex()) {
                writer.write(line)
                writer.drain()
                val back = if (i % 2 == 0) reader.readLine() else reader.readExactly(line.size)
                String(back) shouldBe String(line)
                got += back
                back.fill('#'.code.toByte()) // the caller's to change: later reads must not see it
            }
            got.map { it.toSet() }.distinct() shouldBe listOf(setOf('#'.code.toByte()))
            writer.close()
            writer.waitClosed()
            server.close()
            server.waitClosed()
        }

        test("largeReadsReturnEveryByteOnceAndWhatTheyReturnIsTheCallersOwnToChange") {
            // Large reads that wait take the socket's read as their own array: the server overwrites every array it
            // gets, so a byte still shared with the reader would come out changed in a later read.
            val data = ByteArray(6 * 1024 * 1024) { ((it * 31) xor (it ushr 9)).toByte() }
            for (size in listOf(65536, 8192, 5000, 100_000)) {
                val received = java.io.ByteArrayOutputStream()
                var largest = 0
                val server =
                    startServer("127.0.0.1", 0) { reader, writer ->
                        while (true) {
                            val chunk = reader.read(size)
                            if (chunk.isEmpty()) break
                            largest = maxOf(largest, chunk.size)
                            received.write(chunk)
                            chunk.fill('#'.code.toByte())
                        }
                        writer.write("done\n".ascii())
                        writer.drain()
                    }
                val (reader, writer) = openConnection("127.0.0.1", server.port)
                var at = 0
                var step = 0
                val steps = listOf(65536, 8192, 1, 100_000, 3000)
                while (at < data.size) {
                    val n = minOf(steps[step++ % steps.size], data.size - at)
                    writer.write(data.copyOfRange(at, at + n))
                    writer.drain()
                    at += n
                }
                writer.writeEof()
                String(reader.readLine()) shouldBe "done\n"
                received.toByteArray().contentEquals(data) shouldBe true
                (largest <= size) shouldBe true
                writer.close()
                writer.waitClosed()
                server.close()
                server.waitClosed()
            }
        }
    })
