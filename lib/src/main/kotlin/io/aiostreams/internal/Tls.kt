package io.aiostreams.internal

import io.ktor.utils.io.ByteChannel
import io.ktor.utils.io.readAvailable
import io.ktor.utils.io.writeFully
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import java.net.SocketTimeoutException
import java.nio.ByteBuffer
import java.security.cert.X509Certificate
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLEngine
import javax.net.ssl.SSLEngineResult
import javax.net.ssl.SSLEngineResult.HandshakeStatus
import javax.net.ssl.SSLEngineResult.Status
import javax.net.ssl.SSLException
import kotlin.time.Duration

/**
 * TLS on the JDK's [SSLEngine] over a raw [Endpoint]: [handshake] first, then [endpoint] is the decrypted stream.
 *
 * Two coroutines move records: inbound (raw bytes → unwrap → plaintext channel) and outbound (plaintext channel →
 * wrap → raw bytes). Everything written to the raw output goes through [sendLock], because the inbound side must
 * also send (handshake messages, TLS 1.3 key updates, close_notify replies). The peer ending the stream without
 * close_notify is an [SSLException] (truncation), never a clean end of stream.
 */
internal class Tls(
    private val raw: Endpoint,
    private val engine: SSLEngine,
    private val context: SSLContext,
    private val shutdownTimeout: Duration,
    /** Bytes of the peer's that were read before TLS started (CPython 3.14 hands them over, gh-142352). */
    early: ByteArray = ByteArray(0),
) {
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val sendLock = Mutex()
    private var netIn: ByteBuffer = ByteBuffer.allocate(maxOf(engine.session.packetBufferSize, early.size)).put(early)
    private var appIn: ByteBuffer = ByteBuffer.allocate(engine.session.applicationBufferSize)
    private var netOut: ByteBuffer = ByteBuffer.allocate(engine.session.packetBufferSize)
    private val plainIn = ByteChannel()
    private val plainOut = ByteChannel()

    /** Runs the handshake within [timeout]; on failure or timeout the raw connection is aborted. */
    suspend fun handshake(timeout: Duration) {
        try {
            withTimeout(timeout) {
                engine.beginHandshake()
                while (true) {
                    when (engine.handshakeStatus) {
                        HandshakeStatus.NEED_WRAP -> send(EMPTY)
                        HandshakeStatus.NEED_UNWRAP, HandshakeStatus.NEED_UNWRAP_AGAIN -> unwrapDuringHandshake()
                        HandshakeStatus.NEED_TASK -> runTasks()
                        else -> break
                    }
                }
            }
        } catch (e: TimeoutCancellationException) {
            withContext(NonCancellable) { raw.close(abort = true) }
            throw SocketTimeoutException(
                "SSL handshake is taking longer than ${timeout.inWholeMilliseconds / 1000.0} seconds: aborting the connection",
            )
        } catch (e: Throwable) {
            withContext(NonCancellable) { raw.close(abort = true) }
            throw e
        }
    }

    /** One `unwrap` of what [netIn] holds into [appIn]; [netIn] keeps what was not consumed. */
    private fun unwrap(): SSLEngineResult {
        netIn.flip()
        try {
            return engine.unwrap(netIn, appIn)
        } finally {
            netIn.compact()
        }
    }

    private suspend fun unwrapDuringHandshake() {
        val result = unwrap()
        when (result.status) {
            Status.BUFFER_UNDERFLOW -> if (!receive()) throw SSLException("connection closed during the TLS handshake")
            Status.BUFFER_OVERFLOW -> appIn = grow(appIn, engine.session.applicationBufferSize)
            Status.CLOSED -> throw SSLException("TLS connection closed by the peer during the handshake")
            else -> Unit
        }
    }

    /** The decrypted stream; starts the record pumps. Call after [handshake]. */
    fun endpoint(): Endpoint {
        val inbound = scope.launch { pumpIn() }
        val outbound = scope.launch { pumpOut() }
        return Endpoint(plainIn, plainOut, raw.extra + extraInfo(), canWriteEof = false) { abort: Boolean ->
            if (!abort) {
                // The transport closed plainOut: the outbound pump sends close_notify, within the shutdown timeout.
                if (withTimeoutOrNull(shutdownTimeout) { outbound.join() } == null) outbound.cancel()
            }
            inbound.cancel()
            outbound.cancel()
            raw.close(abort)
            scope.cancel()
        }
    }

    private fun extraInfo(): Map<String, Any?> {
        val session = engine.session
        val peer = runCatching { session.peerCertificates.firstOrNull() as? X509Certificate }.getOrNull()
        return mapOf(
            "sslcontext" to context,
            "ssl_object" to session,
            "peercert" to peer,
            "cipher" to listOf(session.cipherSuite, session.protocol, secretBits(session.cipherSuite)),
            "compression" to null,
        )
    }

    private suspend fun pumpIn() {
        try {
            while (true) {
                val result = unwrap()
                deliver()
                when (engine.handshakeStatus) {
                    HandshakeStatus.NEED_WRAP -> send(EMPTY)
                    HandshakeStatus.NEED_TASK -> runTasks()
                    else -> Unit
                }
                when (result.status) {
                    Status.BUFFER_UNDERFLOW -> {
                        if (!receive()) {
                            // The peer's TCP FIN (or reset) came without close_notify: a truncated stream.
                            engine.closeInbound()
                        }
                    }

                    Status.BUFFER_OVERFLOW -> {
                        appIn = grow(appIn, engine.session.applicationBufferSize)
                    }

                    Status.CLOSED -> {
                        // close_notify: a clean end of stream.
                        plainIn.flushAndClose()
                        return
                    }

                    else -> {
                        if (result.bytesConsumed() == 0 && result.bytesProduced() == 0 &&
                            !receive()
                        ) {
                            engine.closeInbound()
                        }
                    }
                }
            }
        } catch (e: CancellationException) {
            throw e
        } catch (e: Throwable) {
            plainIn.cancel(e)
        }
    }

    private suspend fun deliver() {
        appIn.flip()
        if (appIn.hasRemaining()) {
            plainIn.writeFully(appIn)
            plainIn.flush()
        }
        appIn.clear()
    }

    private suspend fun pumpOut() {
        val chunk = ByteBuffer.allocate(CHUNK)
        try {
            while (true) {
                chunk.clear()
                if (plainOut.readAvailable(chunk) < 0) break
                chunk.flip()
                while (chunk.hasRemaining()) send(chunk)
            }
            engine.closeOutbound()
            while (!engine.isOutboundDone) send(EMPTY)
            raw.output.flushAndClose()
        } catch (e: CancellationException) {
            throw e
        } catch (e: Throwable) {
            plainOut.cancel(e)
            plainIn.cancel(e)
        }
    }

    /** Wraps [source] (or a handshake or closing message) and writes the records to the raw output. */
    private suspend fun send(source: ByteBuffer) {
        sendLock.withLock {
            while (true) {
                netOut.clear()
                val result = engine.wrap(source, netOut)
                if (result.status == Status.BUFFER_OVERFLOW) {
                    netOut = grow(netOut, engine.session.packetBufferSize)
                    continue
                }
                netOut.flip()
                if (netOut.hasRemaining()) {
                    raw.output.writeFully(netOut)
                    raw.output.flush()
                }
                if (result.handshakeStatus == HandshakeStatus.NEED_TASK) runTasks()
                return
            }
        }
    }

    /** Reads more raw bytes into [netIn]; false at end of stream. A raw failure is thrown, not hidden as the end. */
    private suspend fun receive(): Boolean {
        if (!netIn.hasRemaining()) netIn = grow(netIn, engine.session.packetBufferSize)
        val n = raw.input.readAvailable(netIn)
        if (n < 0) {
            raw.input.closedCause?.let { throw connectionError(it) }
            return false
        }
        return true
    }

    private fun runTasks() {
        while (true) {
            val task = engine.delegatedTask ?: return
            task.run()
        }
    }

    private fun grow(
        buffer: ByteBuffer,
        atLeast: Int,
    ): ByteBuffer {
        val bigger = ByteBuffer.allocate(maxOf(atLeast, buffer.capacity() * 2))
        buffer.flip()
        bigger.put(buffer)
        return bigger
    }

    companion object {
        private val EMPTY: ByteBuffer = ByteBuffer.allocate(0)
        private const val CHUNK = 16 * 1024

        /** The secret bits of a cipher suite, as Python's `cipher()` reports them. */
        fun secretBits(suite: String): Int =
            when {
                "AES_128" in suite -> 128
                "AES_256" in suite || "CHACHA20" in suite -> 256
                "3DES" in suite -> 168
                else -> 0
            }
    }
}
