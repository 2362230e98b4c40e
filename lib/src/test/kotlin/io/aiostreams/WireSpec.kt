package io.aiostreams

import io.aiostreams.internal.SocketWire
import io.aiostreams.internal.TlsWire
import io.aiostreams.testing.TestPki
import io.aiostreams.testing.ascii
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldNotBeEmpty
import io.kotest.matchers.ints.shouldBeLessThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.net.InetSocketAddress
import java.net.Socket
import java.net.SocketException
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.security.KeyStore
import java.security.MessageDigest
import java.security.cert.CertificateFactory
import java.security.cert.X509Certificate
import java.util.Collections
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLEngine
import javax.net.ssl.TrustManagerFactory
import javax.net.ssl.X509ExtendedTrustManager
import kotlin.random.Random

/** The wires under the transport: a socket on the loop, TLS as a layer of it, connections from a local address. */
class WireSpec :
    FunSpec({
        test("theHandshakesDelegatedTasksRunOffTheLoop") {
            val threads = Collections.synchronizedList(mutableListOf<String>())
            val server = tlsEchoServer()
            val (reader, writer) = openConnection("localhost", server.port, ssl = recordingClientContext(threads))
            writer.write("checked\n".ascii())
            String(withTimeout(10_000) { reader.readLine() }) shouldBe "checked\n"
            // The chain is checked inside the engine's delegated task: it ran, and not on the loop's thread.
            threads.shouldNotBeEmpty()
            threads.filter { it == "aiostreams-loop" } shouldBe emptyList()
            writer.close()
            withTimeout(10_000) { writer.waitClosed() }
            server.close()
            server.waitClosed()
        }

        test("bytesTheSocketDidNotTakeLeaveFromTheLoopAndDrainResumesThere") {
            ServerSocketChannel.open().use { listener ->
                listener.bind(InetSocketAddress("127.0.0.1", 0))
                val port = (listener.localAddress as InetSocketAddress).port
                val (_, writer) = openConnection("127.0.0.1", port)
                listener.accept().use { peer ->
                    // Far more than loopback's socket buffers hold: most of it waits for the write pump.
                    val total = 32 shl 20
                    val resumedOn =
                        withTimeout(60_000) {
                            coroutineScope {
                                val received = async(Dispatchers.IO) { readAll(peer, total) }
                                // Unconfined: drain() resumes on the thread that opened its gate, the write pump's.
                                val thread =
                                    withContext(Dispatchers.Unconfined) {
                                        writer.write(ByteArray(total) { it.toByte() })
                                        writer.drain()
                                        Thread.currentThread().name.substringBefore(" @")
                                    }
                                received.await() shouldBe total.toLong()
                                thread
                            }
                        }
                    resumedOn shouldBe "aiostreams-loop"
                }
                writer.close()
                withTimeout(10_000) { writer.waitClosed() }
            }
        }

        test("keyExchangesRunOnAllButOneCoreAndOnAtLeastTwoThreads") {
            listOf(1, 2, 3, 4, 16, 64).map { TlsWire.taskThreads(it) } shouldBe listOf(2, 2, 2, 3, 15, 63)
        }

        test("tlsCarriesBulkDataIntactBothWaysWhileTheReaderPauses") {
            val server = tlsEchoServer()
            val (reader, writer) =
                openConnection("localhost", server.port, limit = 1024, ssl = SslContexts.clientContext(TestPki.caCert))
            val lines = List(4_000) { i -> (Random.nextBytes(Random.nextInt(0, 500)).toHex() + " $i\n").ascii() }
            val sent = MessageDigest.getInstance("SHA-256")
            val received = MessageDigest.getInstance("SHA-256")
            withTimeout(60_000) {
                coroutineScope {
                    val echoed =
                        async {
                            repeat(lines.size) { received.update(reader.readUntil("\n".ascii())) }
                        }
                    for (line in lines) {
                        sent.update(line)
                        writer.write(line)
                        writer.drain()
                    }
                    echoed.await()
                }
            }
            received.digest().toList() shouldBe sent.digest().toList()
            writer.close()
            withTimeout(10_000) { writer.waitClosed() }
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        // A server cuts off a connection on its way to its handler by closing the socket under the transport.
        for (closedFirst in listOf(true, false)) {
            val name = if (closedFirst) "BeforeItsReaderStarts" else "WhileItsReaderWaits"
            test("aSocketClosedUnderTheTransport${name}EndsTheReadInsteadOfHanging") {
                ServerSocketChannel.open().use { listener ->
                    listener.bind(InetSocketAddress("127.0.0.1", 0))
                    SocketChannel.open(listener.localAddress).use { peer ->
                        val wire = SocketWire.of(listener.accept())
                        if (closedFirst) wire.abort()
                        val (reader, writer) = connectionOf(wire, 65_536)
                        withTimeout(10_000) {
                            coroutineScope {
                                val read = async { runCatching { reader.readLine() } }
                                if (!closedFirst) {
                                    // Once the loop has run what is queued, the reader is waiting on the socket.
                                    withContext(wire.loop.dispatcher) {}
                                    wire.abort()
                                }
                                read.await().exceptionOrNull().shouldBeInstanceOf<SocketException>()
                                runCatching { writer.waitClosed() }
                                writer.isClosing() shouldBe true
                            }
                        }
                        peer.isOpen shouldBe true
                    }
                }
            }
        }

        test("connectionsFromALocalAddressHoldNoThreadEach") {
            val server = startServer("127.0.0.1", 0) { reader, writer -> writer.write(reader.readLine()) }
            val local = InetSocketAddress("127.0.0.1", 0)
            openConnection("127.0.0.1", server.port, localAddress = local).writer.close()
            val before = Thread.activeCount()
            val connections = List(COUNT) { openConnection("127.0.0.1", server.port, localAddress = local) }
            (Thread.activeCount() - before) shouldBeLessThan 10
            for ((reader, writer) in connections) {
                (writer.getExtraInfo("sockname") as InetSocketAddress).address.hostAddress shouldBe "127.0.0.1"
                writer.write("bound\n".ascii())
                String(withTimeout(10_000) { reader.readLine() }) shouldBe "bound\n"
                writer.close()
            }
            server.close()
            server.closeClients()
            server.waitClosed()
        }
    }) {
    companion object {
        const val COUNT = 100

        private fun ByteArray.toHex(): String = joinToString("") { "%02x".format(it) }

        /** A client context trusting the test CA whose trust manager notes the thread each check runs on. */
        fun recordingClientContext(threads: MutableList<String>): SSLContext {
            val ca =
                TestPki.caCert.toFile().inputStream().use {
                    CertificateFactory.getInstance("X.509").generateCertificate(it)
                }
            val store = KeyStore.getInstance(KeyStore.getDefaultType()).apply { load(null, null) }
            store.setCertificateEntry("ca", ca)
            val factory = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm())
            factory.init(store)
            val real = factory.trustManagers.filterIsInstance<X509ExtendedTrustManager>().first()
            val recording =
                object : X509ExtendedTrustManager() {
                    override fun checkServerTrusted(
                        chain: Array<X509Certificate>,
                        authType: String,
                        engine: SSLEngine,
                    ) {
                        threads += Thread.currentThread().name.substringBefore(" @")
                        real.checkServerTrusted(chain, authType, engine)
                    }

                    override fun checkServerTrusted(
                        chain: Array<X509Certificate>,
                        authType: String,
                        socket: Socket,
                    ) = real.checkServerTrusted(chain, authType, socket)

                    override fun checkServerTrusted(
                        chain: Array<X509Certificate>,
                        authType: String,
                    ) = real.checkServerTrusted(chain, authType)

                    override fun checkClientTrusted(
                        chain: Array<X509Certificate>,
                        authType: String,
                        engine: SSLEngine,
                    ) = real.checkClientTrusted(chain, authType, engine)

                    override fun checkClientTrusted(
                        chain: Array<X509Certificate>,
                        authType: String,
                        socket: Socket,
                    ) = real.checkClientTrusted(chain, authType, socket)

                    override fun checkClientTrusted(
                        chain: Array<X509Certificate>,
                        authType: String,
                    ) = real.checkClientTrusted(chain, authType)

                    override fun getAcceptedIssuers(): Array<X509Certificate> = real.acceptedIssuers
                }
            return SSLContext.getInstance("TLS").apply { init(null, arrayOf(recording), null) }
        }
    }
}

/** Reads [total] bytes from [peer] (blocking), checking that byte i is `i.toByte()`; returns how many came. */
private fun readAll(
    peer: SocketChannel,
    total: Int,
): Long {
    val buffer = java.nio.ByteBuffer.allocate(1 shl 16)
    var count = 0L
    while (count < total) {
        buffer.clear()
        val n = peer.read(buffer)
        if (n < 0) break
        for (i in 0 until n) check(buffer.get(i) == (count + i).toByte()) { "byte ${count + i} differs" }
        count += n
    }
    return count
}
