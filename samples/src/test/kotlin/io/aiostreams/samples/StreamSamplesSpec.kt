package io.aiostreams.samples

import io.aiostreams.startServer
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldMatch
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import java.net.InetSocketAddress

private fun transcript(block: (PrintStream) -> Unit): String {
    val bytes = ByteArrayOutputStream()
    PrintStream(bytes, true, Charsets.UTF_8).use(block)
    return bytes.toString(Charsets.UTF_8)
}

/** One implementation of every stream sample: the Kotlin one or the Java one. */
private class Twin(
    val name: String,
    val echoServer: (PrintStream) -> Pair<Int, () -> Unit>,
    val lineClient: (Int, PrintStream) -> Unit,
    /** The samples only some twins have (the blocking twin has the echo server and the line client). */
    val echoClient: ((Int, PrintStream) -> Unit)? = null,
    val waitForData: ((PrintStream) -> Unit)? = null,
    val demo: ((PrintStream) -> Unit)? = null,
)

private val twins =
    listOf(
        Twin(
            "kotlin",
            { out ->
                val server = io.aiostreams.samples.kotlin.EchoServer.start("127.0.0.1", 0, out)
                (server.addresses.first() as InetSocketAddress).port to {
                    server.close()
                    kotlinx.coroutines.runBlocking { server.waitClosed() }
                }
            },
            { port, out -> io.aiostreams.samples.kotlin.LineClient.run("127.0.0.1", port, out) },
            { port, out -> io.aiostreams.samples.kotlin.EchoClient.run("127.0.0.1", port, "Hello World!", out) },
            { out -> io.aiostreams.samples.kotlin.WaitForData.run(out) },
            { out -> io.aiostreams.samples.kotlin.LoopbackDemo.run(out) },
        ),
        Twin(
            "java",
            { out ->
                val server = io.aiostreams.samples.java.EchoServer.start("127.0.0.1", 0, out)
                (server.addresses.first() as InetSocketAddress).port to {
                    server.close()
                    server.waitClosed().join()
                }
            },
            { port, out -> io.aiostreams.samples.java.LineClient.run("127.0.0.1", port, out) },
            { port, out -> io.aiostreams.samples.java.EchoClient.run("127.0.0.1", port, "Hello World!", out) },
            { out -> io.aiostreams.samples.java.WaitForData.run(out) },
            { out -> io.aiostreams.samples.java.LoopbackDemo.run(out) },
        ),
        Twin(
            "blocking",
            { out ->
                val server = io.aiostreams.samples.java.BlockingEchoServer.start("127.0.0.1", 0, out)
                (server.addresses.first() as InetSocketAddress).port to {
                    server.close()
                    server.waitClosed()
                }
            },
            { port, out -> io.aiostreams.samples.java.BlockingLineClient.run("127.0.0.1", port, out) },
            // The echo server's transcript is checked with the Kotlin client.
            { port, out -> io.aiostreams.samples.kotlin.EchoClient.run("127.0.0.1", port, "Hello World!", out) },
        ),
    )

/** The classic asyncio stream samples print what their Python originals print, in both twins. */
class StreamSamplesSpec :
    FunSpec({
        for (twin in twins) {
            context("twin ${twin.name}") { samples(twin) }
        }
    })

private suspend fun io.kotest.core.spec.style.scopes.FunSpecContainerScope.samples(twin: Twin) {
    test("echoServerAndEchoClientPrintThePythonTranscripts") {
        val serverOut = ByteArrayOutputStream()
        val serverPrint = PrintStream(serverOut, true, Charsets.UTF_8)
        val (port, stop) = twin.echoServer(serverPrint)
        val client = transcript { twin.echoClient!!(port, it) }
        client shouldBe "Send: 'Hello World!'\nReceived: 'Hello World!'\nClose the connection\n"
        stop()
        serverOut.toString(Charsets.UTF_8) shouldMatch
            Regex(
                "Serving on \\('127.0.0.1', $port\\)\nReceived 'Hello World!' from \\('127.0.0.1', \\d+\\)\n" +
                    "Send: 'Hello World!'\nClose the connection\n",
            )
    }

    test("lineClientReadsUntilTheLastLine") {
        val server =
            startServer("127.0.0.1", 0) { reader, writer ->
                for (line in reader) writer.write(line)
            }
        val port = (server.addresses.first() as InetSocketAddress).port
        transcript { twin.lineClient(port, it) } shouldBe
            "Lines received\nb'First line.\\n'\nb'Second line.\\n'\nb'Third line.\\n'\nb'Last line.\\n'\n"
        server.close()
        server.waitClosed()
    }

    val waitForData = twin.waitForData ?: return
    test("waitForDataReceivesAbc") {
        transcript { waitForData(it) } shouldBe "Received: abc\n"
    }

    val demo = twin.demo ?: return
    test("loopbackDemoRunsOfflineFromStartToEnd") {
        val out = transcript { demo(it) }
        out.lines().first() shouldBe "server> listening on a free loopback port"
        out.lines() shouldBe
            listOf(
                "server> listening on a free loopback port",
                "client> readLine: HELLO, STREAMS",
                "client> readExactly(12): ############",
                "client> readUntil(;): alpha;",
                "client> readUntil(;): beta;",
                "client> readUntil(;): gamma;",
                "client> LimitOverrunError: more than 16 bytes before the newline; the data stays buffered",
                "client> readExactly(43): A LINE LONGER THAN THE CLIENT'S LIMIT OF 16",
                "client> sending EOF (half-close), still reading",
                "server> client half-closed; saying goodbye",
                "client> readLine: goodbye",
                "client> IncompleteReadError at end of stream: 0 bytes read on a total of 1 expected bytes",
                "server> closed",
                "",
            )
    }
}
