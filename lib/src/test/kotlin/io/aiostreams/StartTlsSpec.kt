package io.aiostreams

import io.aiostreams.testing.TestPki
import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.longs.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLSession

class StartTlsSpec :
    FunSpec({
        val serverContext = { SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey) }
        val clientContext = { SslContexts.clientContext(TestPki.caCert) }

        test("startTlsOnBothSidesInTheMiddleOfAConversation") {
            val serverSawTls = CompletableDeferred<Any?>()
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    String(reader.readLine()) shouldBe "plain hello\n"
                    writer.write("plain reply\n".ascii())
                    writer.getExtraInfo("sslcontext") shouldBe null
                    writer.startTls(serverContext())
                    serverSawTls.complete(writer.getExtraInfo("sslcontext"))
                    val secret = reader.readLine()
                    writer.write("secure reply to ".ascii() + secret)
                    writer.drain()
                }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            writer.write("plain hello\n".ascii())
            String(reader.readLine()) shouldBe "plain reply\n"
            writer.getExtraInfo("sslcontext") shouldBe null
            withTimeout(20_000) { writer.startTls(clientContext(), serverHostname = "localhost") }
            writer.getExtraInfo("sslcontext").shouldBeInstanceOf<SSLContext>()
            (writer.getExtraInfo("ssl_object") as SSLSession).protocol shouldBe "TLSv1.3"
            writer.canWriteEof() shouldBe false
            writer.write("secret\n".ascii())
            String(withTimeout(20_000) { reader.readLine() }) shouldBe "secure reply to secret\n"
            withTimeout(20_000) { serverSawTls.await() }.shouldBeInstanceOf<SSLContext>()
            writer.close()
            withTimeout(10_000) { writer.waitClosed() }
            server.close()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("aClientHelloAlreadyBufferedInTheServersReaderIsHandedToTls") {
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    // Let the client's line and its ClientHello both arrive: the read pump moves them into the reader.
                    withTimeout(10_000) { while (reader.core.bufferedSize() <= "STARTTLS\n".length) delay(10) }
                    String(reader.readLine()) shouldBe "STARTTLS\n"
                    reader.core.bufferedSize() shouldBeGreaterThan 0L
                    // Those bytes are the start of the handshake: startTls must hand them to TLS.
                    writer.startTls(serverContext())
                    writer.write(reader.readLine())
                    writer.drain()
                }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            writer.write("STARTTLS\n".ascii())
            withTimeout(20_000) { writer.startTls(clientContext(), serverHostname = "localhost") }
            writer.write("echo me\n".ascii())
            String(withTimeout(20_000) { reader.readLine() }) shouldBe "echo me\n"
            writer.close()
            server.close()
            server.closeClients()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("aClientStartTlsWithoutAHostNameVerifiesTheChainButNoName") {
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    writer.startTls(serverContext())
                    writer.write(reader.readLine())
                    writer.drain()
                    reader.read()
                }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            // As CPython's start_tls without server_hostname: the chain is checked, no name is.
            withTimeout(20_000) { writer.startTls(clientContext()) }
            writer.write("upgraded\n".ascii())
            String(withTimeout(20_000) { reader.readLine() }) shouldBe "upgraded\n"
            writer.close()
            server.close()
            server.closeClients()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("aClientStartTlsWithoutAHostNameStillRejectsAnUntrustedChain") {
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    runCatching { writer.startTls(serverContext()) }
                    reader.read()
                }
            val (_, writer) = openConnection("127.0.0.1", server.port)
            shouldThrow<javax.net.ssl.SSLHandshakeException> {
                withTimeout(20_000) { writer.startTls(SslContexts.defaultContext()) }
            }
            writer.isClosing() shouldBe true
            server.close()
            server.closeClients()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("tlsInsideTlsAsThroughATlsProxy") {
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    writer.startTls(serverContext())
                    String(reader.readLine()) shouldBe "again\n"
                    writer.startTls(serverContext())
                    writer.write(reader.readLine())
                    writer.drain()
                    reader.read()
                }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            withTimeout(20_000) { writer.startTls(clientContext(), serverHostname = "localhost") }
            writer.write("again\n".ascii())
            withTimeout(20_000) { writer.startTls(clientContext(), serverHostname = "localhost") }
            writer.write("twice wrapped\n".ascii())
            String(withTimeout(20_000) { reader.readLine() }) shouldBe "twice wrapped\n"
            writer.close()
            server.close()
            server.closeClients()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("aClientsAlreadyBufferedPlaintextStaysReadableAfterStartTls") {
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    reader.readLine()
                    writer.write("GO\nPLAIN TAIL\n".ascii())
                    writer.startTls(serverContext())
                    writer.write("secure\n".ascii())
                    writer.drain()
                    reader.read()
                }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            writer.write("STARTTLS\n".ascii())
            String(withTimeout(10_000) { reader.readLine() }) shouldBe "GO\n"
            withTimeout(10_000) { while (reader.core.bufferedSize() < 11) delay(10) } // "PLAIN TAIL\n" is buffered
            withTimeout(20_000) { writer.startTls(clientContext(), serverHostname = "localhost") }
            String(reader.readLine()) shouldBe "PLAIN TAIL\n" // as CPython 3.14 leaves a client's buffer
            String(withTimeout(10_000) { reader.readLine() }) shouldBe "secure\n"
            writer.close()
            server.close()
            server.closeClients()
            withTimeout(10_000) { server.waitClosed() }
        }
    })
