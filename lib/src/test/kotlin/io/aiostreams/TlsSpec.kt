package io.aiostreams

import io.aiostreams.testing.TestPki
import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout
import java.io.IOException
import java.net.SocketTimeoutException
import java.nio.channels.SocketChannel
import java.security.cert.X509Certificate
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLException
import javax.net.ssl.SSLHandshakeException
import javax.net.ssl.SSLSession
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.seconds

/** A TLS echo server with the test PKI's server certificate (or another pair). */
suspend fun tlsEchoServer(
    context: SSLContext = SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey),
    parameters: javax.net.ssl.SSLParameters? = null,
): Server =
    startServer("127.0.0.1", 0, ssl = context, sslParameters = parameters) { reader, writer ->
        for (line in reader) {
            writer.write(line)
            writer.drain()
        }
    }

class TlsSpec :
    FunSpec({
        val trusting = { SslContexts.clientContext(TestPki.caCert) }

        test("tlsRoundTripWithVerifiedChainAndHostName") {
            val server = tlsEchoServer()
            val (reader, writer) = openConnection("localhost", server.port, ssl = trusting())
            writer.write("secret\n".ascii())
            String(reader.readLine()) shouldBe "secret\n"
            writer.getExtraInfo("sslcontext").shouldBeInstanceOf<SSLContext>()
            val session = writer.getExtraInfo("ssl_object").shouldBeInstanceOf<SSLSession>()
            session.protocol shouldBe "TLSv1.3"
            writer.getExtraInfo(
                "peercert",
            ).shouldBeInstanceOf<X509Certificate>().subjectX500Principal.name shouldContain
                "CN=localhost"
            val cipher = writer.getExtraInfo("cipher") as List<*>
            cipher[0] shouldBe session.cipherSuite
            cipher[1] shouldBe "TLSv1.3"
            (cipher[2] as Int > 0) shouldBe true
            writer.getExtraInfo("compression", "absent") shouldBe null
            writer.canWriteEof() shouldBe false
            shouldThrow<UnsupportedOperationException> { writer.writeEof() }
            writer.close()
            withTimeout(10_000) { writer.waitClosed() }
            server.close()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("megabytesOverTlsArriveIntactBothWaysWhileTheSocketsFill") {
            // The server reads nothing until the client has written everything: the sockets fill, records wait in the
            // wire, and every byte must still arrive once, in order, both ways.
            val size = 6 * 1024 * 1024 + 123
            val data = ByteArray(size) { (it * 31 + (it shr 13)).toByte() }
            val written = CompletableDeferred<Unit>()
            val server =
                startServer(
                    "127.0.0.1",
                    0,
                    ssl = SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey),
                ) { reader, writer ->
                    written.await()
                    val received = reader.readExactly(size)
                    writer.write(received)
                    writer.drain()
                }
            val (reader, writer) = openConnection("localhost", server.port, ssl = trusting())
            withTimeout(60_000) {
                for (offset in 0 until size step 100_000) {
                    writer.write(data.copyOfRange(offset, minOf(size, offset + 100_000)))
                }
                (writer.getWriteBufferSize() > 0) shouldBe true
                written.complete(Unit)
                writer.drain()
                reader.readExactly(size).contentEquals(data) shouldBe true
            }
            writer.close()
            withTimeout(10_000) { writer.waitClosed() }
            server.close()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("anUntrustedChainIsRejected") {
            val server = tlsEchoServer(SslContexts.serverContext(TestPki.otherServerCert, TestPki.otherServerKey))
            shouldThrow<SSLHandshakeException> { openConnection("localhost", server.port, ssl = trusting()) }
            server.close()
            server.waitClosed()
        }

        test("anExpiredCertificateIsRejected") {
            val server = tlsEchoServer(SslContexts.serverContext(TestPki.expiredCert, TestPki.expiredKey))
            val e = shouldThrow<SSLHandshakeException> { openConnection("localhost", server.port, ssl = trusting()) }
            generateSequence(e as Throwable) { it.cause }.any {
                it is java.security.cert.CertificateExpiredException ||
                    "expired" in (it.message ?: "")
            } shouldBe
                true
            server.close()
            server.waitClosed()
        }

        test("aHostNameMismatchIsRejectedAndAnEmptyServerHostnameTurnsTheCheckOff") {
            val server = tlsEchoServer()
            shouldThrow<SSLHandshakeException> {
                openConnection("127.0.0.1", server.port, ssl = trusting(), serverHostname = "wrong.example")
            }
            val (reader, writer) = openConnection("127.0.0.1", server.port, ssl = trusting(), serverHostname = "")
            writer.write("unchecked\n".ascii())
            String(reader.readLine()) shouldBe "unchecked\n"
            writer.close()
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("aRequiredClientCertificateMustBePresented") {
            val serverContext = SslContexts.serverContext(
                TestPki.serverCert,
                TestPki.serverKey,
                caFile = TestPki.caCert,
            )
            val parameters = serverContext.defaultSSLParameters.apply { needClientAuth = true }
            val server = tlsEchoServer(serverContext, parameters)
            // Without a certificate: the handshake fails, or (TLS 1.3) the first read reports the server's alert.
            val failure =
                runCatching {
                    withTimeout(10_000) {
                        val (reader, writer) = openConnection("localhost", server.port, ssl = trusting())
                        writer.write("no cert\n".ascii())
                        writer.drain()
                        reader.readLine()
                        error("a connection without a client certificate was served")
                    }
                }.exceptionOrNull()
            failure.shouldBeInstanceOf<IOException>()
            val withCert = SslContexts.clientContext(TestPki.caCert, TestPki.clientCert, TestPki.clientKey)
            val (reader, writer) = openConnection("localhost", server.port, ssl = withCert)
            writer.write("with cert\n".ascii())
            String(reader.readLine()) shouldBe "with cert\n"
            writer.close()
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("aServersPeercertIsTheClientsCertificateWhenItAskedForOneAndNoneWhenItDidNot") {
            // The client presents a certificate to both servers; only the one that asked for it gets it.
            suspend fun peercertSeenBy(parameters: javax.net.ssl.SSLParameters?): String {
                val context = SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey, caFile = TestPki.caCert)
                val server =
                    startServer("127.0.0.1", 0, ssl = context, sslParameters = parameters) { reader, writer ->
                        reader.readLine()
                        val cert = writer.getExtraInfo("peercert") as X509Certificate?
                        writer.write("${cert?.subjectX500Principal?.name ?: "none"}\n".ascii())
                        writer.close()
                    }
                val withCert = SslContexts.clientContext(TestPki.caCert, TestPki.clientCert, TestPki.clientKey)
                val (reader, writer) = openConnection("localhost", server.port, ssl = withCert)
                writer.write("who am I\n".ascii())
                val seen = String(withTimeout(10_000) { reader.readLine() }).trimEnd()
                writer.close()
                server.close()
                server.waitClosed()
                return seen
            }
            val asking = SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey, caFile = TestPki.caCert)
            peercertSeenBy(asking.defaultSSLParameters.apply { wantClientAuth = true }) shouldBe "CN=aiostreams client"
            peercertSeenBy(null) shouldBe "none"
        }

        test("aHandshakeThatNeverEndsTimesOutWithCPythonsMessage") {
            val silent = CompletableDeferred<Unit>()
            val server = startServer("127.0.0.1", 0) { _, _ -> silent.await() }
            val e =
                shouldThrow<SocketTimeoutException> {
                    openConnection("localhost", server.port, ssl = trusting(), sslHandshakeTimeout = 300.milliseconds)
                }
            e.message shouldBe "SSL handshake is taking longer than 0.3 seconds: aborting the connection"
            silent.complete(Unit)
            server.close()
            server.waitClosed()
        }

        /** A TLS server that sends "partial" and then ends TCP with a FIN and no close_notify before it. */
        suspend fun droppingServer(): Server =
            startServer("127.0.0.1", 0, ssl = SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey)) {
                reader,
                writer,
                ->
                reader.readLine()
                writer.write("partial".ascii())
                // Sent, not only buffered: TLS writes go through the write pump.
                while (writer.getWriteBufferSize() > 0) delay(5)
                (writer.getExtraInfo("socket") as SocketChannel).shutdownOutput()
                reader.read()
            }

        suspend fun Server.shutDown() {
            close()
            closeClients()
            withTimeout(10_000) { waitClosed() }
        }

        test("aPeerThatDropsTheConnectionWithoutCloseNotifyEndsTheStreamCleanlyAfterTheData") {
            val server = droppingServer()
            val (reader, writer) = openConnection("localhost", server.port, ssl = trusting())
            writer.write("go\n".ascii())
            String(withTimeout(10_000) { reader.readExactly(7) }) shouldBe "partial"
            withTimeout(10_000) { reader.read() }.size shouldBe 0
            reader.atEof() shouldBe true
            reader.exception() shouldBe null
            withTimeout(10_000) { writer.waitClosed() }
            server.shutDown()
        }

        test("strictlyATruncatedStreamIsAnSslExceptionWhereTheEndWouldBeAfterEveryByte") {
            val server = droppingServer()
            val (reader, writer) = openConnection(
                "localhost",
                server.port,
                ssl = trusting(),
                suppressRaggedEofs = false,
            )
            writer.write("go\n".ascii())
            String(withTimeout(10_000) { reader.read() }) shouldBe "partial"
            shouldThrow<SSLException> { withTimeout(10_000) { reader.read() } }
            shouldThrow<SSLException> { reader.read() } // and at every later end of stream
            shouldThrow<SSLException> { withTimeout(10_000) { writer.waitClosed() } }
            server.shutDown()
        }

        test("strictlyReadExactlyAndReadUntilThrowTheTruncationInsteadOfIncompleteReadLeavingTheBuffer") {
            val server = droppingServer()
            val (reader, writer) = openConnection(
                "localhost",
                server.port,
                ssl = trusting(),
                suppressRaggedEofs = false,
            )
            writer.write("go\n".ascii())
            shouldThrow<SSLException> { withTimeout(10_000) { reader.readExactly(10) } }
            reader.core.bufferedSize() shouldBe 7L
            shouldThrow<SSLException> { reader.readUntil("\n".ascii()) }
            // readLine() gives the partial line first, as at any end of stream; the error comes with the next read.
            String(reader.readLine()) shouldBe "partial"
            shouldThrow<SSLException> { reader.readLine() }
            server.shutDown()
        }

        test("suppressRaggedEofsIsOnlyMeaningfulWithSsl") {
            shouldThrow<IllegalArgumentException> { openConnection("127.0.0.1", 9, suppressRaggedEofs = false) }
                .message shouldBe "suppress_ragged_eofs is only meaningful with ssl"
        }

        test("aTlsFailureAfterTheHandshakeIsTheSslExceptionItself") {
            val server =
                startServer("127.0.0.1", 0, ssl = SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey)) {
                    reader,
                    writer,
                    ->
                    reader.readLine()
                    // A forged application-data record written straight on the socket: its MAC cannot check out.
                    val forged = byteArrayOf(0x17, 0x03, 0x03, 0x00, 0x20) + ByteArray(32) { 7 }
                    (writer.getExtraInfo("socket") as SocketChannel).write(java.nio.ByteBuffer.wrap(forged))
                    reader.read()
                }
            val (reader, writer) = openConnection("localhost", server.port, ssl = trusting())
            writer.write("go\n".ascii())
            shouldThrow<SSLException> { withTimeout(10_000) { reader.read() } }
            writer.close()
            server.shutDown()
        }

        test("closeWaitsForThePeersCloseNotifyAndTimesOutWithCPythonsError") {
            val closed = CompletableDeferred<Throwable?>()
            val server =
                startServer(
                    "127.0.0.1",
                    0,
                    ssl = SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey),
                    sslShutdownTimeout = 300.milliseconds,
                ) { reader, writer ->
                    reader.readLine()
                    writer.write("bye\n".ascii())
                    writer.close()
                    closed.complete(runCatching { writer.waitClosed() }.exceptionOrNull())
                }
            // A blocking JDK client that completes the handshake and then never reads: close_notify goes unanswered.
            val client =
                SslContexts.clientContext(TestPki.caCert).socketFactory.createSocket("localhost", server.port)
                    as javax.net.ssl.SSLSocket
            client.use {
                it.startHandshake()
                it.outputStream.write("hello\n".ascii())
                it.outputStream.flush()
                val error = withTimeout(10_000) { closed.await() }
                error.shouldBeInstanceOf<SocketTimeoutException>().message shouldBe "SSL shutdown timed out"
            }
            server.shutDown()
        }

        test("closeClientsReachesConnectionsStillInTheirHandshake") {
            val server = tlsEchoServer()
            java.net.Socket("127.0.0.1", server.port).use { silent ->
                silent.soTimeout = 10_000
                // The listener accepts in the order clients connected: once a later client has its echo, the silent
                // one was accepted, and waits for a ClientHello that never comes.
                val (reader, writer) = openConnection("localhost", server.port, ssl = trusting())
                writer.write("later\n".ascii())
                String(withTimeout(10_000) { reader.readLine() }) shouldBe "later\n"
                server.close()
                server.closeClients()
                // The default handshake timeout is 60 s: waitClosed returns long before it.
                withTimeout(5_000) { server.waitClosed() }
                silent.getInputStream().read() shouldBe -1
                writer.close()
            }
        }

        test("tlsWriteBuffersHaveCPythonsMarks") {
            val server = tlsEchoServer()
            val connection =
                io.aiostreams.protocol.createConnection(
                    { object : io.aiostreams.protocol.Protocol {} },
                    "localhost",
                    server.port,
                    ssl = trusting(),
                )
            connection.transport.getWriteBufferLimits().toList() shouldBe listOf(128 * 1024, 512 * 1024)
            connection.transport.close()
            server.shutDown()
        }

        test("closeSendsCloseNotifySoThePeerSeesACleanEof") {
            val seen = CompletableDeferred<Int>()
            val server =
                startServer("127.0.0.1", 0, ssl = SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey)) {
                    reader,
                    _,
                    ->
                    seen.complete(reader.read().size)
                }
            val (_, writer) = openConnection("localhost", server.port, ssl = trusting())
            writer.write("bye".ascii())
            writer.close()
            withTimeout(10_000) { writer.waitClosed() }
            withTimeout(10_000) { seen.await() } shouldBe 3
            server.close()
            server.waitClosed()
        }

        test("tlsArgumentsAreCheckedWithCPythonsMessages") {
            shouldThrow<IllegalArgumentException> {
                openConnection("localhost", 1, serverHostname = "x")
            }.message shouldBe
                "server_hostname is only meaningful with ssl"
            shouldThrow<IllegalArgumentException> {
                openConnection("localhost", 1, sslHandshakeTimeout = 1.seconds)
            }.message shouldBe
                "ssl_handshake_timeout is only meaningful with ssl"
            shouldThrow<IllegalArgumentException> {
                openConnection("localhost", 1, sslShutdownTimeout = 1.seconds)
            }.message shouldBe
                "ssl_shutdown_timeout is only meaningful with ssl"
            shouldThrow<IllegalArgumentException> {
                openConnection("localhost", 1, ssl = trusting(), sslHandshakeTimeout = (-1).seconds)
            }.message shouldBe "ssl_handshake_timeout should be a positive number, got -1.0"
            shouldThrow<IllegalArgumentException> {
                openUnixConnection("/nonexistent", ssl = trusting())
            }.message shouldBe
                "you have to pass server_hostname when using ssl"
        }
    })
