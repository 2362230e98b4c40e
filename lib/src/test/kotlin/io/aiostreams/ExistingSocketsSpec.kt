package io.aiostreams

import io.aiostreams.protocol.Protocol
import io.aiostreams.protocol.Transport
import io.aiostreams.protocol.connectAcceptedSocket
import io.aiostreams.protocol.createConnection
import io.aiostreams.protocol.createServer
import io.aiostreams.testing.TempDirs
import io.aiostreams.testing.TestPki
import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldStartWith
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.io.IOException
import java.net.ConnectException
import java.net.Inet4Address
import java.net.InetSocketAddress
import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.net.UnknownHostException
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel

/** Sockets you already have (CPython's `sock=`, `connect_accepted_socket`), and how addresses are chosen. */
class ExistingSocketsSpec :
    FunSpec({
        val serverContext = { SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey) }
        val clientContext = { SslContexts.clientContext(TestPki.caCert) }

        /** Echoes what arrives, from connectionMade on. */
        class Echo : Protocol {
            lateinit var transport: Transport

            override fun connectionMade(transport: Transport) {
                this.transport = transport
            }

            override fun dataReceived(data: ByteArray) = transport.write(data)
        }

        test("openConnectionTakesAConnectedChannelPlainOrTls") {
            val server = echoServer()
            val plain = withContext(Dispatchers.IO) { SocketChannel.open(InetSocketAddress("127.0.0.1", server.port)) }
            val (reader, writer) = openConnection(plain)
            writer.write("adopted\n".ascii())
            String(withTimeout(10_000) { reader.readLine() }) shouldBe "adopted\n"
            writer.getExtraInfo("socket") shouldBe plain
            writer.close()
            withTimeout(10_000) { writer.waitClosed() }
            plain.isOpen shouldBe false

            val tlsServer = tlsEchoServer()
            val raw = withContext(Dispatchers.IO) { SocketChannel.open(InetSocketAddress("127.0.0.1", tlsServer.port)) }
            shouldThrow<IllegalArgumentException> { openConnection(raw, ssl = clientContext()) }.message shouldBe
                "You must set server_hostname when using ssl without a host"
            val (tlsReader, tlsWriter) = openConnection(raw, ssl = clientContext(), serverHostname = "localhost")
            tlsWriter.write("secret\n".ascii())
            String(withTimeout(10_000) { tlsReader.readLine() }) shouldBe "secret\n"
            tlsWriter.close()
            for (s in listOf(server, tlsServer)) {
                s.close()
                s.closeClients()
                withTimeout(10_000) { s.waitClosed() }
            }
        }

        test("startServerTakesABoundChannelTcpOrUnixAndClosesIt") {
            val tcp = ServerSocketChannel.open().bind(InetSocketAddress("127.0.0.1", 0))
            val path = TempDirs.create("aiostreams").resolve("adopted.sock")
            val unix = ServerSocketChannel.open(StandardProtocolFamily.UNIX).bind(UnixDomainSocketAddress.of(path))
            for (listener in listOf(tcp, unix)) {
                val server = startServer(listener) { reader, writer -> writer.write(reader.readLine()) }
                server.sockets shouldBe listOf(listener)
                val (reader, writer) =
                    if (listener ===
                        tcp
                    ) {
                        openConnection("127.0.0.1", server.port)
                    } else {
                        openUnixConnection(path.toString())
                    }
                writer.write("served\n".ascii())
                String(withTimeout(10_000) { reader.readLine() }) shouldBe "served\n"
                writer.close()
                server.close()
                withTimeout(10_000) { server.waitClosed() }
                listener.isOpen shouldBe false
            }
        }

        test("unconnectedAndUnboundChannelsAreRejectedWithAClearError") {
            SocketChannel.open().use { sock ->
                shouldThrow<IllegalArgumentException> { openConnection(sock) }.message!! shouldStartWith
                    "sock is not connected: "
            }
            ServerSocketChannel.open().use { sock ->
                shouldThrow<IllegalArgumentException> { startServer(sock) { _, _ -> } }.message!! shouldStartWith
                    "sock is not bound: "
            }
        }

        test("protocolsServeChannelsYouHaveAndConnectionsAcceptedElsewhereWithTlsAsTheServer") {
            val listener = ServerSocketChannel.open().bind(InetSocketAddress("127.0.0.1", 0))
            val server = createServer({ Echo() }, listener)
            val sock = withContext(Dispatchers.IO) { SocketChannel.open(listener.localAddress) }
            val got = CompletableDeferred<String>()
            val (transport, _) =
                createConnection({
                    object : Protocol {
                        override fun dataReceived(data: ByteArray) {
                            got.complete(String(data))
                        }
                    }
                }, sock)
            transport.write("via sock".ascii())
            withTimeout(10_000) { got.await() } shouldBe "via sock"
            transport.close()
            server.close()
            server.closeClients()
            withTimeout(10_000) { server.waitClosed() }

            // A listener of our own accepts; the accepted channel is handed over and speaks TLS as the server.
            val own = ServerSocketChannel.open().bind(InetSocketAddress("127.0.0.1", 0))
            val port = (own.localAddress as InetSocketAddress).port
            coroutineScope {
                val client = async { openConnection("localhost", port, ssl = clientContext()) }
                val accepted = withContext(Dispatchers.IO) { own.accept() }
                val (serverSide, _) = connectAcceptedSocket({ Echo() }, accepted, ssl = serverContext())
                val (reader, writer) = withTimeout(10_000) { client.await() }
                writer.write("accepted elsewhere\n".ascii())
                String(withTimeout(10_000) { reader.readLine() }) shouldBe "accepted elsewhere\n"
                serverSide.getExtraInfo("sslcontext").shouldBeInstanceOf<javax.net.ssl.SSLContext>()
                writer.close()
            }
            own.close()
        }

        test("familyChoosesWhichAddressesAreTriedAndListenedOn") {
            val server = startServer(null, 0, family = StandardProtocolFamily.INET) { reader, writer ->
                writer.write(reader.readLine())
            }
            (server.addresses.single() as InetSocketAddress).address.shouldBeInstanceOf<Inet4Address>()
            val (reader, writer) = openConnection("127.0.0.1", server.port, family = StandardProtocolFamily.INET)
            writer.write("v4\n".ascii())
            String(withTimeout(10_000) { reader.readLine() }) shouldBe "v4\n"
            writer.close()
            shouldThrow<UnknownHostException> {
                openConnection("::1", server.port, family = StandardProtocolFamily.INET)
            }.message shouldBe "::1: no address of family INET"
            server.close()
            server.waitClosed()
        }

        test("allErrorsGivesOneErrorCarryingEveryAttempt") {
            val port = freePort()
            val plain = shouldThrow<ConnectException> { openConnection("127.0.0.1", port) }
            val all = shouldThrow<IOException> { openConnection("127.0.0.1", port, allErrors = true) }
            all.message shouldBe "create_connection failed"
            all.suppressed.single().shouldBeInstanceOf<ConnectException>().message shouldBe plain.message
        }
    })
