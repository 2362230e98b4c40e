package io.aiostreams

import io.aiostreams.protocol.Protocol
import io.aiostreams.protocol.Transport
import io.aiostreams.protocol.createConnection
import io.aiostreams.protocol.createServer
import io.aiostreams.protocol.getProtocol
import io.aiostreams.protocol.setProtocol
import io.aiostreams.protocol.startTls
import io.aiostreams.testing.TestPki
import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import io.kotest.matchers.types.shouldBeSameInstanceAs
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import javax.net.ssl.SSLContext

/** The callback layer's transports: switching protocols, and STARTTLS (CPython's `loop.start_tls`). */
class ProtocolStartTlsSpec :
    FunSpec({
        val serverContext = { SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey) }
        val clientContext = { SslContexts.clientContext(TestPki.caCert) }

        /** Collects what arrives into a channel. */
        class Collecting : Protocol {
            val received = Channel<String>(Channel.UNLIMITED)

            override fun dataReceived(data: ByteArray) {
                received.trySend(String(data))
            }
        }

        test("setProtocolSendsLaterCallbacksToTheNewProtocolAndGetProtocolSaysWhich") {
            val server = echoServer()
            val first = Collecting()
            val (transport, protocol) = createConnection({ first }, "127.0.0.1", server.port)
            transport.getProtocol() shouldBeSameInstanceAs protocol
            transport.write("one\n".ascii())
            withTimeout(10_000) { first.received.receive() } shouldBe "one\n"
            val second = Collecting()
            transport.setProtocol(second)
            transport.getProtocol() shouldBeSameInstanceAs second
            transport.write("two\n".ascii())
            withTimeout(10_000) { second.received.receive() } shouldBe "two\n"
            first.received.tryReceive().getOrNull().shouldBeNull()
            transport.close()
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("aStreamConnectionsTransportHasNoProtocolToSwitch") {
            val server = echoServer()
            val (_, writer) = openConnection("127.0.0.1", server.port)
            writer.transport.getProtocol().shouldBeNull()
            shouldThrow<UnsupportedOperationException> { writer.transport.setProtocol(Collecting()) }
            writer.close()
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("startTlsUpgradesAProtocolConnectionOnBothSides") {
            val scope = CoroutineScope(Dispatchers.Default)
            val serverUpgraded = CompletableDeferred<Transport>()

            /** Plain until "STARTTLS\n", then upgrades and echoes under TLS. */
            class StartTlsServer : Protocol {
                lateinit var transport: Transport

                override fun connectionMade(transport: Transport) {
                    this.transport = transport
                }

                override fun dataReceived(data: ByteArray) {
                    if (String(data) == "STARTTLS\n") {
                        // Nothing more for this protocol: the ClientHello that follows GO must wait for TLS.
                        transport.pauseReading()
                        transport.write("GO\n".ascii())
                        val echo =
                            object : Protocol {
                                override fun dataReceived(data: ByteArray) = transport.write(data)
                            }
                        scope.launch {
                            serverUpgraded.complete(startTls(transport, echo, serverContext(), serverSide = true))
                        }
                    }
                }
            }
            val server = createServer({ StartTlsServer() }, "127.0.0.1", 0)
            val client = Collecting()
            val (transport, _) = createConnection({ client }, "127.0.0.1", server.port)
            transport.write("STARTTLS\n".ascii())
            withTimeout(10_000) { client.received.receive() } shouldBe "GO\n"
            val secured =
                withTimeout(20_000) { startTls(transport, client, clientContext(), serverHostname = "localhost") }
            secured.getExtraInfo("sslcontext").shouldBeInstanceOf<SSLContext>()
            secured.write("secret\n".ascii())
            withTimeout(10_000) { client.received.receive() } shouldBe "secret\n"
            withTimeout(10_000) { serverUpgraded.await() }.getExtraInfo("sslcontext").shouldBeInstanceOf<SSLContext>()
            secured.close()
            server.close()
            server.closeClients()
            withTimeout(10_000) { server.waitClosed() }
        }
    })
