package io.aiostreams

import io.aiostreams.testing.FaultProxy
import io.aiostreams.testing.TestPki
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeLessThan
import io.kotest.matchers.longs.shouldBeLessThan
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.io.IOException
import java.net.InetSocketAddress
import java.net.Socket
import java.util.concurrent.atomic.AtomicInteger
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds

private fun portOf(server: Server): Int = (server.addresses.first() as InetSocketAddress).port

/** A served echo round trip from a well-behaved client: the server still serves. */
private suspend fun echoes(
    port: Int,
    ssl: Boolean = false,
) {
    val (reader, writer) =
        if (ssl) {
            openConnection("127.0.0.1", port, ssl = SslContexts.clientContext(TestPki.caCert))
        } else {
            openConnection("127.0.0.1", port)
        }
    writer.write("still here\n".toByteArray())
    withTimeout(10.seconds) { reader.readLine().decodeToString() } shouldBe "still here\n"
    writer.close()
}

/**
 * Peers that misbehave on purpose, over loopback: each test checks that the server loses nothing it accepted, keeps
 * its memory bounded, and goes on serving well-behaved clients.
 */
class AdversarialPeersSpec :
    FunSpec({
        val echo: suspend (StreamReader, StreamWriter) -> Unit = { reader, writer ->
            try {
                for (line in reader) {
                    writer.write(line)
                    writer.drain()
                }
            } catch (_: IOException) {
                // The peer went away: nothing to report.
            }
        }

        test("aTlsClientThatSendsNothingIsClosedAtTheHandshakeTimeoutWhileOthersAreServed") {
            val server =
                startServer(
                    "127.0.0.1",
                    0,
                    ssl = SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey),
                    sslHandshakeTimeout = 1.seconds,
                    handler = echo,
                )
            val port = portOf(server)
            withContext(Dispatchers.IO) {
                Socket("127.0.0.1", port).use { silent ->
                    silent.soTimeout = 10_000
                    val started = System.nanoTime()
                    echoes(port, ssl = true)
                    // Nothing sent: the server gives up after its handshake time-out and closes the connection.
                    silent.getInputStream().read() shouldBe -1
                    ((System.nanoTime() - started) / 1_000_000) shouldBeLessThan 8_000L
                }
            }
            echoes(port, ssl = true)
            server.close()
            server.waitClosed()
        }

        test("aClientThatSendsWithoutReadingRepliesHoldsTheServerToItsBuffers") {
            val limit = 4096
            val seen = CompletableDeferred<Pair<StreamReader, StreamWriter>>()
            val server =
                startServer("127.0.0.1", 0, limit = limit) { reader, writer ->
                    seen.complete(reader to writer)
                    echo(reader, writer)
                }
            val port = portOf(server)
            withContext(Dispatchers.IO) {
                Socket("127.0.0.1", port).use { greedy ->
                    greedy.soTimeout = 10_000
                    val line = ByteArray(100) { if (it == 99) '\n'.code.toByte() else 'z'.code.toByte() }
                    val out = greedy.getOutputStream()
                    // Write until the socket blocks: the server echoes until its writes back up, then stops reading.
                    val writer =
                        Thread {
                            try {
                                while (true) out.write(line)
                            } catch (_: IOException) {
                            }
                        }.apply {
                            isDaemon = true
                            start()
                        }
                    val (reader, serverWriter) = withTimeout(10.seconds) { seen.await() }
                    delay(1000)
                    // Bounded: the reader stops reading past 2 * limit, the writer past its high-water mark
                    // (plus what one pass of the loop may add).
                    reader.core.bufferedSize() shouldBeLessThan (2L * limit + 256 * 1024)
                    serverWriter.getWriteBufferSize() shouldBeLessThan (1L shl 20)
                    writer.isAlive shouldBe true
                    greedy.setSoLinger(true, 0)
                }
            }
            // The greedy client aborted; the server goes on.
            echoes(port)
            server.close()
            server.closeClients()
            withTimeout(10.seconds) { server.waitClosed() }
        }

        test("clientsThatConnectAndResetInATightLoopDoNotStopTheServer") {
            val reported = AtomicInteger()
            val served = AtomicInteger()
            val server =
                startServer("127.0.0.1", 0, exceptionHandler = { reported.incrementAndGet() }) { reader, writer ->
                    served.incrementAndGet()
                    echo(reader, writer)
                }
            val port = portOf(server)
            withContext(Dispatchers.IO) {
                repeat(500) {
                    Socket("127.0.0.1", port).apply {
                        setSoLinger(true, 0)
                        if (it % 2 == 0) getOutputStream().write("half a li".toByteArray())
                        close()
                    }
                }
            }
            echoes(port)
            withTimeout(10.seconds) {
                while (served.get() < 501) delay(20.milliseconds)
            }
            reported.get() shouldBe 0
            server.close()
            server.closeClients()
            withTimeout(10.seconds) { server.waitClosed() }
        }

        test("aPeerThatHalfClosesAndKeepsReadingForMinutesGetsEveryReplyAndItsEnd")
            .config(timeout = 4.minutes, invocationTimeout = 4.minutes) {
                // Two minutes of replies, one every 200 ms, to a peer that sent its last byte at the start.
                val replies = 600
                val server =
                    startServer("127.0.0.1", 0) { reader, writer ->
                        val first = reader.readLine()
                        if (first.decodeToString() != "ping\n") {
                            writer.write(first)
                            echo(reader, writer)
                        } else {
                            // The peer half-closes after its ping: end of stream here, and still it reads.
                            reader.read().size shouldBe 0
                            repeat(replies) {
                                writer.write("reply $it\n".toByteArray())
                                writer.drain()
                                delay(200)
                            }
                            writer.close()
                        }
                    }
                val port = portOf(server)
                coroutineScope {
                    val others =
                        launch {
                            // Everyone else is served meanwhile.
                            while (true) {
                                echoes(port)
                                delay(5_000)
                            }
                        }
                    withContext(Dispatchers.IO) {
                        Socket("127.0.0.1", port).use { peer ->
                            peer.soTimeout = 10_000
                            peer.getOutputStream().write("ping\n".toByteArray())
                            peer.shutdownOutput()
                            peer.getInputStream().readAllBytes().decodeToString() shouldBe
                                (0 until replies).joinToString("") { "reply $it\n" }
                        }
                    }
                    others.cancel()
                }
                echoes(port)
                server.close()
                withTimeout(10.seconds) { server.waitClosed() }
            }

        test("aThousandTlsHandshakesAtOnceAreAllServed") {
            val served = AtomicInteger()
            val server =
                startServer(
                    "127.0.0.1",
                    0,
                    ssl = SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey),
                ) { reader, writer ->
                    served.incrementAndGet()
                    echo(reader, writer)
                }
            val port = portOf(server)
            val client = SslContexts.clientContext(TestPki.caCert)
            val replies =
                withTimeout(120.seconds) {
                    kotlinx.coroutines.coroutineScope {
                        val scope = this
                        (1..1000).map { i ->
                            scope.async {
                                val (reader, writer) = openConnection("127.0.0.1", port, ssl = client)
                                writer.write("$i\n".toByteArray())
                                val reply = reader.readLine().decodeToString()
                                writer.close()
                                reply
                            }
                        }.map { it.await() }
                    }
                }
            replies shouldBe (1..1000).map { "$it\n" }
            served.get() shouldBe 1000
            echoes(port, ssl = true)
            server.close()
            server.closeClients()
            withTimeout(20.seconds) { server.waitClosed() }
        }

        test("oneByteFragmentsAndDelaysThroughAProxyChangeNothingReadLineReturns") {
            val server = startServer("127.0.0.1", 0, handler = echo)
            FaultProxy(InetSocketAddress("127.0.0.1", portOf(server)), fragment = 1, delayMillis = 1).use { proxy ->
                val (reader, writer) = openConnection("127.0.0.1", proxy.port)
                val lines = (1..20).map { "line $it of the fragmented stream\n" }
                for (line in lines) writer.write(line.toByteArray())
                val back = withTimeout(30.seconds) { lines.map { reader.readLine().decodeToString() } }
                back shouldBe lines
                writer.close()
            }
            server.close()
            server.closeClients()
            withTimeout(10.seconds) { server.waitClosed() }
        }

        test("aResetInTheMiddleOfALineFailsTheClientAndLeavesTheServerServing") {
            val handlerEnded = CompletableDeferred<Throwable?>()
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    try {
                        for (line in reader) writer.write(line)
                        handlerEnded.complete(null)
                    } catch (e: IOException) {
                        handlerEnded.complete(e)
                    }
                }
            FaultProxy(InetSocketAddress("127.0.0.1", portOf(server)), resetAfter = 15).use { proxy ->
                val (reader, writer) = openConnection("127.0.0.1", proxy.port)
                writer.write("first line\n".toByteArray())
                withTimeout(10.seconds) { reader.readLine().decodeToString() } shouldBe "first line\n"
                // The proxy resets both connections 4 bytes into the second line.
                writer.write("second line\n".toByteArray())
                val failure = runCatching { withTimeout(10.seconds) { reader.readLine() } }
                // The proxy reset the connection: the client sees an error or a truncated end of stream, never a hang.
                (failure.isFailure || failure.getOrNull()!!.decodeToString() != "second line\n") shouldBe true
                writer.abort()
            }
            // The server side ended too (an error or end of stream), and the server goes on serving.
            withTimeout(10.seconds) { handlerEnded.await() }
            echoes(portOf(server))
            server.close()
            server.closeClients()
            withTimeout(10.seconds) { server.waitClosed() }
        }
    })
