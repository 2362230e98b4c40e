package io.aiostreams.fuzz

import com.code_intelligence.jazzer.api.BugDetectors
import com.code_intelligence.jazzer.api.FuzzedDataProvider
import com.code_intelligence.jazzer.junit.FuzzTest
import io.aiostreams.Server
import io.aiostreams.SslContexts
import io.aiostreams.openConnection
import io.aiostreams.openDescriptors
import io.aiostreams.startServer
import io.aiostreams.testing.TestPki
import io.aiostreams.testing.toHex
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertTrue
import org.junit.jupiter.api.Assertions.fail
import java.io.IOException
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.net.SocketTimeoutException
import java.nio.ByteBuffer
import java.util.concurrent.Executors
import java.util.concurrent.LinkedBlockingQueue
import java.util.concurrent.TimeUnit
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLException
import javax.net.ssl.SSLSocket
import kotlin.time.Duration.Companion.seconds

/** How a case ended on our side: TLS failed with [error], or the stream ended after [bytes] application bytes. */
private class Ending(
    val error: Throwable?,
    val bytes: Int,
) {
    override fun toString() = error?.let { "${it.javaClass.name}: ${it.message}" } ?: "end of stream after $bytes bytes"
}

/** Reads until end of stream or failure, counting the bytes. */
private suspend fun drain(read: suspend () -> ByteArray): Ending {
    var total = 0
    while (true) {
        val chunk =
            try {
                read()
            } catch (e: IOException) {
                return Ending(e, total)
            }
        if (chunk.isEmpty()) return Ending(null, total)
        total += chunk.size
    }
}

/**
 * Hostile bytes against both ends of our TLS, over loopback: as the first flight (raw or a real `ClientHello` with
 * bytes overwritten) and after a completed handshake with the JDK's own `SSLSocket` as the other end, which then
 * writes the bytes raw under its TLS. Every case must end, well within the handshake time-out, in an [SSLException]
 * on our side and a closed connection; no application byte may come out of records nobody encrypted; the only other
 * ending allowed is a clean end of stream when the bytes hold no complete record (TCP end of stream without
 * close_notify is a clean end, as in asyncio). Descriptors come back to where they were when the run ends.
 */
class TlsRecordsFuzzTest {
    @FuzzTest(maxDuration = "30s")
    fun tlsFailsCleanlyOnHostileRecords(data: FuzzedDataProvider) {
        val mode = data.consumeInt(0, 4)
        val bytes =
            if (mode == 4) {
                clientHello.copyOf().also { hello ->
                    repeat(data.consumeInt(1, 8)) { hello[data.consumeInt(0, hello.size - 1)] = data.consumeByte() }
                }
            } else {
                data.consumeRemainingAsBytes()
            }
        BugDetectors.allowNetworkConnections { host, _ -> InetAddress.getByName(host).isLoopbackAddress }.use {
            val ending =
                when (mode) {
                    0, 4 -> serverInHandshake(bytes)
                    1 -> clientInHandshake(bytes)
                    2 -> serverAfterHandshake(bytes)
                    else -> clientAfterHandshake(bytes)
                }
            val context = "mode=$mode bytes=${bytes.toHex()}: $ending"
            assertEquals(0, ending.bytes, context)
            if (ending.error == null) {
                assertTrue(mode >= 2 && !holdsRecord(bytes), "a clean end of stream: $context")
            } else {
                assertTrue(ending.error is SSLException, context)
            }
        }
    }

    /** A raw client sends [bytes] and its end of stream to a server whose handler starts TLS. */
    private fun serverInHandshake(bytes: ByteArray): Ending = serverCase { plain -> sendAndEnd(plain, bytes) }

    /** The JDK's client completes a handshake with our server, then writes [bytes] raw and ends its stream. */
    private fun serverAfterHandshake(bytes: ByteArray): Ending =
        serverCase { plain ->
            val tls = clientContext.socketFactory.createSocket(plain, "localhost", serverPort, false) as SSLSocket
            tls.startHandshake()
            sendAndEnd(plain, bytes)
        }

    /** Our client starts TLS against a raw server that answers the ClientHello with [bytes] and its end of stream. */
    private fun clientInHandshake(bytes: ByteArray): Ending =
        clientCase(
            peer = { s ->
                s.getInputStream().read(ByteArray(TLS_RECORD))
                sendAndEnd(s, bytes)
            },
            ours = { connect ->
                try {
                    connect().writer.close()
                    fail<Ending>("the handshake succeeded")
                } catch (e: IOException) {
                    Ending(e, 0)
                }
            },
        )

    /** Our client completes a handshake with the JDK's server, which then writes [bytes] raw and ends its stream. */
    private fun clientAfterHandshake(bytes: ByteArray): Ending =
        clientCase(
            peer = { s ->
                val tls = serverContext.socketFactory.createSocket(s, null, false) as SSLSocket
                tls.useClientMode = false
                tls.startHandshake()
                sendAndEnd(s, bytes)
            },
            ours = { connect ->
                val conn = connect()
                try {
                    drain { conn.reader.read(65536) }
                } finally {
                    conn.writer.close()
                }
            },
        )

    /** Connects to our server, lets [client] speak on the plain socket, and returns how the server's side ended. */
    private fun serverCase(client: (Socket) -> Unit): Ending {
        Socket("127.0.0.1", serverPort).use { plain ->
            plain.soTimeout = CASE_MILLIS.toInt()
            client(plain)
            val ending =
                serverEndings.poll(CASE_MILLIS, TimeUnit.MILLISECONDS) ?: fail("no ending within $CASE_MILLIS ms")
            assertTrue(readsToEnd(plain), "the server closed the connection")
            return ending
        }
    }

    /**
     * Starts a raw peer that runs [peer] on its one connection (then reads to the end), and runs [ours] with a way to
     * connect our TLS client to it; returns how our side ended.
     */
    private fun clientCase(
        peer: (Socket) -> Unit,
        ours: suspend (connect: suspend () -> io.aiostreams.Connection) -> Ending,
    ): Ending {
        val raw =
            rawPeer { s ->
                peer(s)
                readsToEnd(s)
            }
        val connect: suspend () -> io.aiostreams.Connection = {
            openConnection(
                "127.0.0.1",
                raw.port,
                ssl = clientContext,
                serverHostname = "localhost",
                sslHandshakeTimeout = HANDSHAKE,
            )
        }
        return runBlocking { withTimeout(CASE_MILLIS) { ours(connect) } }
            .also { assertTrue(raw.done(), "the client closed the connection") }
    }

    /** A one-connection peer on a fresh port, running [serve] on a thread of its own. */
    private class RawPeer(
        private val listener: ServerSocket,
        private val served: java.util.concurrent.Future<Boolean>,
    ) {
        val port: Int get() = listener.localPort

        /** Whether the peer saw our end of stream (or a reset) before the case's time ran out. */
        fun done(): Boolean =
            try {
                served.get(CASE_MILLIS, TimeUnit.MILLISECONDS)
            } finally {
                listener.close()
            }
    }

    private fun rawPeer(serve: (Socket) -> Boolean): RawPeer {
        val listener = ServerSocket(0, 1, InetAddress.getLoopbackAddress())
        val served =
            peers.submit<Boolean> {
                listener.accept().use { s ->
                    s.soTimeout = CASE_MILLIS.toInt()
                    try {
                        serve(s)
                    } catch (e: IOException) {
                        // The peer's handshake or writes can fail too (our side gave up first): not the case's
                        // verdict, which is our side's. The connection is over either way.
                        true
                    }
                }
            }
        return RawPeer(listener, served)
    }

    companion object {
        private const val CASE_MILLIS = 10_000L
        private const val TLS_RECORD = 16_709
        private val HANDSHAKE = 5.seconds

        private val serverContext: SSLContext = SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey)
        private val clientContext: SSLContext = SslContexts.clientContext(TestPki.caCert)
        private val peers = Executors.newCachedThreadPool { r -> Thread(r, "tls-fuzz-peer").apply { isDaemon = true } }
        private val serverEndings = LinkedBlockingQueue<Ending>()
        private val baseline = openDescriptors()

        /** A real TLS 1.3 ClientHello, as the JDK's engine writes it, for mutation. */
        private val clientHello: ByteArray =
            clientContext.createSSLEngine("localhost", 443).run {
                useClientMode = true
                val out = ByteBuffer.allocate(session.packetBufferSize)
                wrap(ByteBuffer.allocate(0), out)
                out.flip()
                ByteArray(out.remaining()).also { out.get(it) }
            }

        /** Our server: each connection starts TLS in its handler, reads to the end, and reports how that ended. */
        private val server: Server =
            runBlocking {
                startServer("127.0.0.1", 0) { reader, writer ->
                    val ending =
                        try {
                            writer.startTls(serverContext, sslHandshakeTimeout = HANDSHAKE)
                            drain { reader.read(65536) }
                        } catch (e: IOException) {
                            Ending(e, 0)
                        }
                    writer.close()
                    serverEndings.put(ending)
                }
            }
        private val serverPort = (server.addresses.first() as InetSocketAddress).port

        /** Writes [bytes] and ends the stream; our side may have failed and closed first, which is not an error. */
        private fun sendAndEnd(
            s: Socket,
            bytes: ByteArray,
        ) {
            try {
                s.getOutputStream().write(bytes)
                s.shutdownOutput()
            } catch (e: IOException) {
                // Reset by our side: it gave up on the first bytes, and the case goes on to check how.
            }
        }

        /** Reads [s] to its end; false if it neither ended nor was reset in time. */
        private fun readsToEnd(s: Socket): Boolean =
            try {
                val input = s.getInputStream()
                val sink = ByteArray(4096)
                while (input.read(sink) >= 0) continue
                true
            } catch (e: SocketTimeoutException) {
                false
            } catch (e: IOException) {
                true
            }

        /** Whether [bytes] begin with at least one complete TLS record (a 5-byte header and the length it gives). */
        private fun holdsRecord(bytes: ByteArray): Boolean =
            bytes.size >= 5 && bytes.size >= 5 + ((bytes[3].toInt() and 0xff) shl 8 or (bytes[4].toInt() and 0xff))

        @JvmStatic
        @AfterAll
        fun descriptorsComeBack() {
            runBlocking { server.close() }
            peers.shutdownNow()
            var now = openDescriptors()
            val deadline = System.nanoTime() + 20_000_000_000L
            while (now > baseline + 5 && System.nanoTime() < deadline) {
                System.gc()
                Thread.sleep(100)
                now = openDescriptors()
            }
            assertTrue(now <= baseline + 5, "descriptors: $baseline before the run, $now after it")
        }
    }
}
