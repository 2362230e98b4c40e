package io.aiostreams

import io.aiostreams.testing.TestPki
import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.assertions.throwables.shouldThrowAny
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldNotBeEmpty
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.SocketTimeoutException
import java.nio.channels.ServerSocketChannel
import java.util.Collections
import javax.net.ssl.SSLHandshakeException
import javax.net.ssl.SSLParameters
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/**
 * Every point where setting up a connection can fail, client side and server side, leaves no descriptor open: the
 * process's descriptor count is back to where it started after each scenario has run [ROUNDS] times.
 */
class SetUpLeakSpec :
    FunSpec({
        val trusting = { SslContexts.clientContext(TestPki.caCert) }
        val serverContext = { SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey) }

        /** Runs [scenario] [ROUNDS] times and checks that the descriptor count comes back to its start. */
        suspend fun leavesNoDescriptor(scenario: suspend () -> Unit) {
            scenario() // warm-up: pools, the loop and TLS classes exist before counting
            val before = awaitDescriptors(openDescriptors())
            repeat(ROUNDS) { scenario() }
            awaitDescriptors(before) shouldBeLessThanOrEqual before
        }

        /** A listener that accepts TCP connections and never says a word: handshakes against it hang. */
        fun silentListener(): ServerSocket = ServerSocket(0, 50, java.net.InetAddress.getLoopbackAddress())

        test("aHostNameSniRejectsFailsBeforeTheHandshakeAndClosesTheSocket") {
            val server = tlsEchoServer()
            leavesNoDescriptor {
                shouldThrow<IllegalArgumentException> {
                    openConnection("127.0.0.1", server.port, ssl = trusting(), serverHostname = "bad_name.example")
                }
            }
            server.close()
            server.waitClosed()
        }

        test("sslParametersTheEngineRejectsFailBeforeTheHandshakeAndCloseTheSocket") {
            val server = tlsEchoServer()
            val bogus = SSLParameters().apply { protocols = arrayOf("TLSv9") }
            leavesNoDescriptor {
                shouldThrow<IllegalArgumentException> {
                    openConnection("localhost", server.port, ssl = trusting(), sslParameters = bogus)
                }
                shouldThrow<IllegalArgumentException> {
                    io.aiostreams.protocol.createConnection(
                        { object : io.aiostreams.protocol.Protocol {} },
                        "localhost",
                        server.port,
                        ssl = trusting(),
                        sslParameters = bogus,
                    )
                }
            }
            server.close()
            server.waitClosed()
        }

        test("aFailedClientHandshakeClosesTheSocket") {
            val server = tlsEchoServer()
            leavesNoDescriptor {
                // The default trust store does not know the test CA.
                shouldThrow<SSLHandshakeException> {
                    openConnection("localhost", server.port, ssl = SslContexts.defaultContext())
                }
            }
            server.close()
            server.waitClosed()
        }

        test("aClientHandshakeTimeoutClosesTheSocket") {
            silentListener().use { silent ->
                leavesNoDescriptor {
                    shouldThrow<SocketTimeoutException> {
                        openConnection(
                            "localhost",
                            silent.localPort,
                            ssl = trusting(),
                            sslHandshakeTimeout = 50.milliseconds,
                        )
                    }
                }
            }
        }

        test("aClientCancelledInTheHandshakeClosesTheSocket") {
            silentListener().use { silent ->
                leavesNoDescriptor {
                    shouldThrow<TimeoutCancellationException> {
                        withTimeout(50) { openConnection("localhost", silent.localPort, ssl = trusting()) }
                    }
                }
            }
        }

        test("aClientCancelledWhileConnectingClosesTheSocket") {
            // A listener whose backlog is full: connecting to it hangs until cancelled.
            val full = ServerSocketChannel.open().bind(InetSocketAddress("127.0.0.1", 0), 1)
            val port = (full.localAddress as InetSocketAddress).port
            val fillers = mutableListOf<Socket>()
            while (true) {
                val s = Socket()
                fillers += s
                try {
                    s.connect(InetSocketAddress("127.0.0.1", port), 300)
                } catch (_: SocketTimeoutException) {
                    break
                }
            }
            try {
                leavesNoDescriptor {
                    shouldThrow<TimeoutCancellationException> { withTimeout(30) { openConnection("127.0.0.1", port) } }
                    shouldThrow<TimeoutCancellationException> {
                        withTimeout(30) {
                            openConnection("127.0.0.1", port, localAddress = InetSocketAddress("127.0.0.1", 0))
                        }
                    }
                }
            } finally {
                fillers.forEach { it.close() }
                full.close()
            }
        }

        test("aProtocolFactoryThatThrowsLeavesNothingOpen") {
            val server = startServer("127.0.0.1", 0) { reader, _ -> reader.read() }
            leavesNoDescriptor {
                shouldThrow<IllegalStateException> {
                    io.aiostreams.protocol.createConnection({ error("no protocol") }, "127.0.0.1", server.port)
                }
            }
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("serverSetUpFailuresCloseEachAcceptedSocketAndTheServerGoesOnServing") {
            val reported = Collections.synchronizedList(mutableListOf<Throwable>())
            val bogus = SSLParameters().apply { protocols = arrayOf("TLSv9") }
            val broken =
                startServer(
                    "127.0.0.1",
                    0,
                    ssl = serverContext(),
                    sslParameters = bogus,
                    exceptionHandler = { reported += it },
                ) { _, _ -> }
            val server = startTlsEcho(serverContext())
            leavesNoDescriptor {
                // Parameters the engine rejects: the server reports it and drops the connection.
                shouldThrowAny { openConnection("localhost", broken.port, ssl = trusting()) }
                // A client that speaks no TLS: the handshake fails and the connection is dropped.
                val (plainReader, plainWriter) = openConnection("127.0.0.1", server.port)
                plainWriter.write("not a ClientHello\n".ascii())
                runCatching { withTimeout(10_000) { plainReader.read() } }
                plainWriter.close()
                runCatching { plainWriter.waitClosed() }
                // A client that disconnects in the middle of its handshake.
                Socket("127.0.0.1", server.port).use { it.getOutputStream().write(byteArrayOf(22, 3, 1, 0, 100, 1)) }
            }
            reported.shouldNotBeEmpty()
            reported.first().shouldBeInstanceOf<IllegalArgumentException>()
            // The TLS server still serves a proper client.
            val (reader, writer) = openConnection("localhost", server.port, ssl = trusting())
            writer.write("still here\n".ascii())
            String(withTimeout(10_000) { reader.readLine() }) shouldBe "still here\n"
            writer.close()
            for (s in listOf(broken, server)) {
                s.close()
                s.closeClients()
                withTimeout(20_000) { s.waitClosed() }
            }
        }

        test("aServerHandshakeTimeoutClosesTheSilentClientsSocket") {
            val server = startTlsEcho(serverContext(), handshakeTimeout = 100.milliseconds)
            leavesNoDescriptor {
                Socket("127.0.0.1", server.port).use { silent ->
                    silent.soTimeout = 10_000
                    // The server gives up on the handshake and closes: the client reads end of stream.
                    silent.getInputStream().read() shouldBe -1
                }
            }
            server.close()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("closingAServerWithHandshakesInProgressWaitsForThemAndLeaksNothing") {
            leavesNoDescriptor {
                val server = startTlsEcho(serverContext(), handshakeTimeout = 200.milliseconds)
                val silent = Socket("127.0.0.1", server.port)
                delay(20)
                server.close()
                // waitClosed waits for the connection in its handshake, which times out and is dropped.
                withTimeout(10.seconds) { server.waitClosed() }
                silent.close()
            }
        }
    }) {
    companion object {
        const val ROUNDS = 20

        suspend fun startTlsEcho(
            context: javax.net.ssl.SSLContext,
            handshakeTimeout: kotlin.time.Duration? = null,
        ): Server =
            startServer("127.0.0.1", 0, ssl = context, sslHandshakeTimeout = handshakeTimeout) { reader, writer ->
                for (line in reader) {
                    writer.write(line)
                    writer.drain()
                }
            }
    }
}
