package io.aiostreams.internal

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.sync.Mutex
import kotlinx.coroutines.sync.withLock
import kotlinx.coroutines.withContext
import kotlinx.io.Buffer
import kotlinx.io.readAtMostTo
import kotlinx.io.transferFrom
import java.io.IOException
import java.net.SocketTimeoutException
import java.nio.ByteBuffer
import java.security.cert.X509Certificate
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLEngine
import javax.net.ssl.SSLEngineResult
import javax.net.ssl.SSLEngineResult.HandshakeStatus
import javax.net.ssl.SSLEngineResult.Status
import javax.net.ssl.SSLException
import kotlin.coroutines.CoroutineContext
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

/**
 * TLS as a layer of another wire (CPython's `SSLProtocol`): the JDK's [SSLEngine] unwraps what [inner] receives and
 * wraps what is sent, on the reading and writing coroutines themselves, with buffers reused for the connection's
 * life. No byte channels and no coroutines of its own; the engine's delegated tasks (key exchange, certificate
 * checks) run on [tasks], off the loop, the handshake records they leave to send are sent from there, and the
 * connection goes on where it was when they finish.
 *
 * Every record leaves through [sendLock]: the reading side sends too (handshake messages, key updates, the reply to
 * close_notify). close_notify is a clean end of stream, and so, as in CPython's asyncio, **is the peer's TCP end of
 * stream without it, after every decrypted byte was delivered**; with [suppressRaggedEofs] false, that truncation is
 * a [RaggedEof] instead, thrown after the same bytes. [close] sends close_notify and waits for the peer's (or its
 * end of stream), within the shutdown timeout.
 */
internal class TlsWire(
    private val inner: Wire,
    private val engine: SSLEngine,
    private val context: SSLContext,
    private val shutdownTimeout: Duration,
    /** Bytes of the peer's that were read before TLS started (CPython 3.14 hands them over, gh-142352). */
    early: ByteArray,
    /** A TCP end of stream without close_notify is a clean end of stream (CPython's asyncio), not an error. */
    private val suppressRaggedEofs: Boolean = true,
) : Wire {
    private val sendLock = Mutex()

    /** Received records not yet moved into [netIn]: segments taken from [inner] without a copy. */
    private val netQueue = Buffer().apply { write(early) }
    private var netIn: ByteBuffer = ByteBuffer.allocate(engine.session.packetBufferSize)
    private var appIn: ByteBuffer = ByteBuffer.allocate(engine.session.applicationBufferSize)
    private val staging = Buffer()
    private val outgoing = Buffer()

    @Volatile private var tlsExtra: Map<String, Any?> = emptyMap()

    override val extra: Map<String, Any?> get() = inner.extra + tlsExtra

    override val canWriteEof: Boolean get() = false

    override val tls: Boolean get() = true

    /** The loop, for the reader and for protocol callbacks: delegated tasks hop off it and come back. */
    override fun readContext(runsUserCode: Boolean): CoroutineContext = loop.dispatcher

    override fun resumeContext(runsUserCode: Boolean): CoroutineContext = loop.dispatcher

    override val loop: Loop get() = inner.loop

    /**
     * The loop, as CPython's and Netty's TLS encrypt on theirs: every write goes through the write pump here (the
     * engine wraps only there), and a pump on another thread would cost two thread hops per write and drain.
     */
    override val writeContext: CoroutineContext get() = loop.dispatcher

    /**
     * Runs the handshake within [timeout]. **A timeout throws CPython's `SocketTimeoutException`; any failure leaves
     * [inner] open** for the caller's guard ([closingOnFailure]) to abort.
     */
    suspend fun handshake(timeout: Duration) {
        // Only this timeout becomes CPython's error: a caller's own cancellation or timeout goes on as it is.
        try {
            loop.withTimeoutOrNull(timeout) {
                engine.beginHandshake()
                while (true) {
                    when (engine.handshakeStatus) {
                        HandshakeStatus.NEED_WRAP -> sendRecords()
                        HandshakeStatus.NEED_UNWRAP, HandshakeStatus.NEED_UNWRAP_AGAIN -> handshakeUnwrap()
                        HandshakeStatus.NEED_TASK -> runTasks(sendAfter = true)
                        else -> break
                    }
                }
            }
        } catch (e: SSLException) {
            sendAlert()
            throw e
        } ?: throw SocketTimeoutException(
            "SSL handshake is taking longer than ${timeout.inWholeMilliseconds / 1000.0} seconds: aborting the connection",
        )
        tlsExtra = sessionInfo()
    }

    /**
     * Tells the peer why its handshake failed: a failed engine has a fatal alert to wrap. Best effort, briefly: the
     * connection is aborted right after.
     */
    private suspend fun sendAlert() {
        loop.withTimeoutOrNull(ALERT_TIMEOUT) {
            try {
                sendLock.withLock {
                    engine.closeOutbound()
                    repeat(4) { if (!engine.isOutboundDone) wrapAll() }
                    flushOutgoing()
                }
            } catch (e: IOException) {
                // Nothing more to tell, or nobody left to tell it to.
            }
        }
    }

    private suspend fun handshakeUnwrap() {
        val result = unwrap()
        when (result.status) {
            Status.BUFFER_UNDERFLOW -> if (!needMore()) throw SSLException("connection closed during the TLS handshake")
            Status.BUFFER_OVERFLOW -> appIn = grow(appIn, engine.session.applicationBufferSize)
            Status.CLOSED -> throw SSLException("TLS connection closed by the peer during the handshake")
            else -> Unit
        }
    }

    /** One `unwrap` of the records in [netIn] (topped up from [netQueue]) into [appIn]. */
    private fun unwrap(): SSLEngineResult {
        if (netQueue.size > 0 && netIn.hasRemaining()) netQueue.readAtMostTo(netIn)
        netIn.flip()
        try {
            return engine.unwrap(netIn, appIn)
        } finally {
            netIn.compact()
        }
    }

    /**
     * Makes more ciphertext available to [unwrap] after an underflow: from [netQueue], into a larger [netIn], or from
     * [inner]. False at the peer's end of stream.
     */
    private suspend fun needMore(): Boolean {
        if (netQueue.size > 0 && netIn.hasRemaining()) return true
        if (!netIn.hasRemaining()) {
            netIn = grow(netIn, engine.session.packetBufferSize)
            return true
        }
        return inner.receive { buffer, max -> netQueue.write(buffer, max) }
    }

    override suspend fun receive(deliver: (Buffer, Long) -> Unit): Boolean {
        while (true) {
            val result = unwrap()
            when (engine.handshakeStatus) {
                HandshakeStatus.NEED_WRAP -> sendRecords()
                HandshakeStatus.NEED_TASK -> runTasks(sendAfter = true)
                else -> Unit
            }
            when (result.status) {
                Status.OK -> {
                    // Several records per delivery while they fit; deliver before a record might not.
                    if (appIn.remaining() < engine.session.applicationBufferSize && deliverPlain(deliver)) return true
                    if (result.bytesConsumed() == 0 && result.bytesProduced() == 0) {
                        if (deliverPlain(deliver)) return true
                        if (!needMore()) return truncated(deliver)
                    }
                }

                Status.BUFFER_UNDERFLOW -> {
                    if (deliverPlain(deliver)) return true
                    if (!needMore()) return truncated(deliver)
                }

                Status.BUFFER_OVERFLOW -> {
                    if (deliverPlain(deliver)) return true
                    appIn = grow(appIn, engine.session.applicationBufferSize)
                }

                Status.CLOSED -> {
                    // close_notify: a clean end of stream, once what came before it is delivered.
                    return deliverPlain(deliver)
                }
            }
        }
    }

    /**
     * The peer's TCP end of stream came without close_notify: once what was decrypted is delivered, a clean end of
     * stream, or, strictly, the engine's truncation error as a [RaggedEof].
     */
    private fun truncated(deliver: (Buffer, Long) -> Unit): Boolean {
        if (deliverPlain(deliver)) return true
        try {
            engine.closeInbound()
        } catch (e: SSLException) {
            if (!suppressRaggedEofs) throw RaggedEof(e)
        }
        return false
    }

    /** Hands what [appIn] holds to [deliver]; false when it held nothing. */
    private fun deliverPlain(deliver: (Buffer, Long) -> Unit): Boolean {
        if (appIn.position() == 0) return false
        appIn.flip()
        staging.transferFrom(appIn)
        appIn.clear()
        deliver(staging, staging.size)
        staging.clear()
        return true
    }

    /**
     * Wraps [piece] straight from its segments (the engine gathers a record's plaintext from several), a few records
     * per write, and sends them.
     */
    override suspend fun send(piece: Buffer) {
        sendLock.withLock {
            while (piece.size > 0) {
                SegmentViews.read(piece) { views, count ->
                    val viewed = SegmentViews.remaining(views, count)
                    var left = viewed
                    do {
                        left -= wrapSome(views, count, left)
                    } while (!needsTasks && left > 0)
                    viewed - left
                }
                runTasksIfNeeded()
            }
            flushOutgoing()
        }
    }

    /** Wraps and sends a handshake or closing message. */
    private suspend fun sendRecords() {
        sendLock.withLock {
            wrapAll()
            flushOutgoing()
        }
    }

    /** Wraps a handshake or closing message (one `wrap` at least) and sends the records. */
    private suspend fun wrapAll() {
        wrapSome(NO_DATA, 0, 0L)
        runTasksIfNeeded()
    }

    /** Set by [wrapSome] when the engine needs its delegated tasks run before it goes on (under [sendLock]). */
    private var needsTasks = false

    private suspend fun runTasksIfNeeded() {
        if (!needsTasks) return
        needsTasks = false
        runTasks(sendAfter = false)
    }

    /**
     * Wraps from the first [count] of [sources] (holding [available] bytes) a record at a time, several records into
     * the thread's [records] buffer, until it is full or they are empty and the engine has no records of its own
     * left to wrap, and [spill]s them: the thread's buffer is empty again on return. Returns the plaintext bytes it
     * took; sets [needsTasks] when the engine asks for its delegated tasks.
     */
    private fun wrapSome(
        sources: Array<ByteBuffer?>,
        count: Int,
        available: Long,
    ): Long {
        val packet = engine.session.packetBufferSize
        val out = records.get().takeIf { it.capacity() >= packet } ?: ByteBuffer.allocate(packet)
        out.clear()
        var taken = 0L
        while (true) {
            val result = engine.wrap(sources, 0, count, out)
            if (result.status == Status.BUFFER_OVERFLOW) {
                check(out.position() > 0) { "a TLS record larger than its packet buffer" }
                break
            }
            taken += result.bytesConsumed()
            val left = available - taken
            if (result.status == Status.CLOSED && left > 0) throw SSLException("the TLS connection is closed")
            if (result.handshakeStatus == HandshakeStatus.NEED_TASK) {
                needsTasks = true
                break
            }
            if (out.remaining() < packet) break
            // With the caller's bytes all taken, go on only while the engine has records of its own to wrap: a
            // handshake flight (ServerHello, ChangeCipherSpec, the encrypted rest) then leaves in one socket write.
            if (left == 0L &&
                (result.handshakeStatus != HandshakeStatus.NEED_WRAP || result.bytesProduced() == 0)
            ) {
                break
            }
        }
        spill(out)
        return taken
    }

    /** Sends the records in [out] without waiting where the socket takes them, and queues the rest in [outgoing]. */
    private fun spill(out: ByteBuffer) {
        out.flip()
        if (out.hasRemaining() && outgoing.size == 0L) inner.trySend(out)
        if (out.hasRemaining()) outgoing.transferFrom(out)
        out.clear()
    }

    private suspend fun flushOutgoing() {
        if (outgoing.size > 0) inner.send(outgoing)
    }

    override suspend fun shutdownOutput(): Unit = throw UnsupportedOperationException(
        "write_eof() is not supported over TLS",
    )

    /**
     * CPython's TLS shutdown: sends close_notify, then waits for the peer's close_notify or its end of stream (what
     * arrives meanwhile is dropped), then closes [inner]. **Past the shutdown timeout, [inner] is aborted and
     * CPython's `SSL shutdown timed out` is thrown**; a connection that breaks meanwhile just closes.
     */
    override suspend fun close() {
        val done =
            loop.withTimeoutOrNull(shutdownTimeout) {
                try {
                    sendLock.withLock {
                        engine.closeOutbound()
                        while (!engine.isOutboundDone) wrapAll()
                        flushOutgoing()
                    }
                    awaitPeerClose()
                } catch (e: IOException) {
                    // Broken or reset meanwhile: nothing left to wait for.
                }
            }
        if (done == null) {
            inner.abort()
            throw SocketTimeoutException("SSL shutdown timed out")
        }
        inner.close()
    }

    /** Reads until the peer's close_notify or its end of stream, dropping application data. */
    private suspend fun awaitPeerClose() {
        while (!engine.isInboundDone) {
            val result = unwrap()
            appIn.clear()
            when (result.status) {
                Status.CLOSED -> return
                Status.BUFFER_OVERFLOW -> appIn = grow(appIn, engine.session.applicationBufferSize)
                else -> if (result.bytesConsumed() == 0 && !needMore()) return
            }
        }
    }

    override suspend fun abort() = inner.abort()

    /**
     * Runs the engine's delegated tasks off the loop; the caller goes on where it was. With [sendAfter] (the caller
     * does not hold [sendLock]), records the tasks leave to send (a server's reply to a ClientHello, say) are wrapped
     * and sent from the same thread first, so that they leave without waiting for the loop to take the caller back.
     */
    private suspend fun runTasks(sendAfter: Boolean) {
        withContext(tasks) {
            while (true) {
                val task = engine.delegatedTask ?: break
                task.run()
            }
            if (sendAfter && engine.handshakeStatus == HandshakeStatus.NEED_WRAP) sendRecords()
        }
    }

    private fun sessionInfo(): Map<String, Any?> {
        val session = engine.session
        // A server that asked for no certificate has none: asking would only throw (and fill in a stack trace).
        val asked = engine.useClientMode || engine.needClientAuth || engine.wantClientAuth
        val peer = if (asked) {
            runCatching {
                session.peerCertificates.firstOrNull() as? X509Certificate
            }.getOrNull()
        } else {
            null
        }
        return mapOf(
            "sslcontext" to context,
            "ssl_object" to session,
            "peercert" to peer,
            "cipher" to listOf(session.cipherSuite, session.protocol, secretBits(session.cipherSuite)),
            "compression" to null,
        )
    }

    companion object {
        private val NO_DATA: Array<ByteBuffer?> = arrayOfNulls(0)
        private const val PLAIN_CHUNK = 16 * 1024

        /** Where records are wrapped before they go: four full records, one buffer per thread, never per connection. */
        private val records: ThreadLocal<ByteBuffer> = ThreadLocal.withInitial {
            ByteBuffer.allocate(4 * (PLAIN_CHUNK + 1024))
        }
        private val ALERT_TIMEOUT = 1.seconds

        /** Where delegated tasks run: [taskThreads] threads of the default pool at most, never the loop. */
        private val tasks = Dispatchers.Default.limitedParallelism(
            taskThreads(Runtime.getRuntime().availableProcessors()),
        )

        /**
         * How many key exchanges run at once on a machine with [cores]: all but one core, at least two. Handshakes
         * then scale with the machine (and with a server's loops) as they do where tasks run on the event loops,
         * while one thread of the default pool stays free for other work (Java handlers, say).
         */
        fun taskThreads(cores: Int): Int = maxOf(2, cores - 1)

        private fun grow(
            buffer: ByteBuffer,
            atLeast: Int,
        ): ByteBuffer {
            val bigger = ByteBuffer.allocate(maxOf(atLeast, buffer.capacity() * 2))
            buffer.flip()
            bigger.put(buffer)
            return bigger
        }

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
