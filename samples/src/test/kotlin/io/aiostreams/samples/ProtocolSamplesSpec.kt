package io.aiostreams.samples

import io.aiostreams.openConnection
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldMatch
import kotlinx.coroutines.withTimeout
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import java.net.InetSocketAddress

private fun printer(): Pair<ByteArrayOutputStream, PrintStream> {
    val bytes = ByteArrayOutputStream()
    return bytes to PrintStream(bytes, true, Charsets.UTF_8)
}

/** The callback-layer samples print what their Python originals print, in both twins. */
class ProtocolSamplesSpec :
    FunSpec({
        for (lang in listOf("kotlin", "java")) {
            test("simpleEchoServerAnswersEchoAndClosesItselfWhenItsConnectionEnds [$lang]") {
                val (bytes, out) = printer()
                val (port, waitClosed) =
                    if (lang == "java") {
                        val server = io.aiostreams.samples.java.SimpleEchoServer.start("127.0.0.1", 0, out)
                        (server.addresses.first() as InetSocketAddress).port to { server.waitClosed().join() }
                    } else {
                        val server = io.aiostreams.samples.kotlin.SimpleEchoServer.start("127.0.0.1", 0, out)
                        (server.addresses.first() as InetSocketAddress).port to {
                            io.aiostreams.samples.kotlin.SimpleEchoServer.waitClosed(server)
                        }
                    }
                val (reader, writer) = openConnection("127.0.0.1", port)
                writer.write("First line.\n".toByteArray())
                String(withTimeout(10_000) { reader.readExactly(17) }) shouldBe "echo:First line.\n"
                writer.close()
                writer.waitClosed()
                waitClosed()
                bytes.toString(Charsets.UTF_8) shouldBe
                    "Connection received!\nb'First line.\\n'\nConnection lost! Closing server...\n"
            }

            test("udpEchoServerAndClientPrintThePythonTranscripts [$lang]") {
                val (serverBytes, serverOut) = printer()
                val endpoint =
                    if (lang == "java") {
                        io.aiostreams.samples.java.UdpEchoServer.start("127.0.0.1", 0, serverOut)
                    } else {
                        io.aiostreams.samples.kotlin.UdpEchoServer.start("127.0.0.1", 0, serverOut)
                    }
                val port = (endpoint.transport.getExtraInfo("sockname") as InetSocketAddress).port
                val (clientBytes, clientOut) = printer()
                if (lang == "java") {
                    io.aiostreams.samples.java.UdpEchoClient.run("127.0.0.1", port, "Hello World!", clientOut)
                } else {
                    io.aiostreams.samples.kotlin.UdpEchoClient.run("127.0.0.1", port, "Hello World!", clientOut)
                }
                clientBytes.toString(Charsets.UTF_8) shouldBe
                    "Send: Hello World!\nReceived: Hello World!\nClose the socket\nConnection closed\n"
                serverBytes.toString(Charsets.UTF_8) shouldMatch
                    Regex(
                        "Starting UDP server\nReceived 'Hello World!' from \\('127.0.0.1', (\\d+)\\)\n" +
                            "Send 'Hello World!' to \\('127.0.0.1', \\1\\)\n",
                    )
                endpoint.transport.close()
            }
        }
    })
