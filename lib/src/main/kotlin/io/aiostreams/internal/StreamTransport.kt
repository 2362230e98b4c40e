package io.aiostreams.internal

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import kotlinx.io.Buffer
import java.io.IOException

/**
 * One connection: the socket side of a reader and a writer (CPython's selector transport plus
 * `StreamReaderProtocol`), over an [Endpoint]: its socket driven directly when it has one ([SocketWire]), otherwise
 * its Ktor channel pair ([ChannelWire]).
 *
 * The read pump moves what arrives into the [sink] and stops while the sink asks it to pause. [write] sends at once
 * what the socket takes while nothing is queued (CPython's `write()` does the same); the write pump sends the rest.
 * Everything else is state under [lock]. The connection is *lost* once, with or without an error, after [close] has flushed and closed
 * the socket, after [abort], or when the socket fails; then [closed] completes.
 */
internal class StreamTransport(
    @Volatile private var endpoint: Endpoint,
    private val sink: InboundSink,
    /** Accepted by a server (so `startTls` acts as the TLS server), rather than connected by a client. */
    val serverSide: Boolean = false,
) : ReadTransport {
    private val lock = Any()
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val extra get() = endpoint.extra

    @Volatile private var wire: Wire = endpoint.direct ?: ChannelWire(endpoint)

    private val pending = Buffer()
    private var inFlight = 0L
    private var high = DEFAULT_HIGH_WATER
    private var low = DEFAULT_HIGH_WATER / 4
    private var writingPaused = false
    private var drainGate: CompletableDeferred<Throwable?>? = null
    private var eofRequested = false
    private var closing = false
    private var lost = false
    private val writeSignal = Channel<Unit>(Channel.CONFLATED)

    @Volatile
    private var readingPaused = false
    private val readSignal = Channel<Unit>(Channel.CONFLATED)

    /** Completes when the connection is lost: normally after a clean close or abort, exceptionally on an error. */
    val closed = CompletableDeferred<Unit>()

    @Volatile private var readPump: Job

    @Volatile private var writePump: Job
    private val flushed = Channel<Unit>(Channel.CONFLATED)

    init {
        sink.attach(this)
        readPump = launchReadPump(CoroutineStart.LAZY)
        writePump = scope.launch(wire.writeContext, CoroutineStart.LAZY) { pumpOut() }
        // A failure is reported through `closed`; nobody has to look at it.
        closed.invokeOnCompletion { }
    }

    fun start() {
        readPump.start()
        writePump.start()
    }

    // ---- reading ------------------------------------------------------------------------------------------------

    override fun pauseReading() {
        readingPaused = true
    }

    /** True unless reading is paused or the connection is closing. */
    fun isReading(): Boolean = !readingPaused && !isClosing()

    override fun resumeReading() {
        readingPaused = false
        readSignal.trySend(Unit)
    }

    private fun launchReadPump(start: CoroutineStart): Job =
        scope.launch(wire.readContext(sink.runsUserCode), start) { pumpIn() }

    private suspend fun pumpIn() {
        val wire = wire
        val resumeContext = wire.resumeContext(sink.runsUserCode)
        try {
            while (true) {
                // close() stops reading at once (CPython removes the reader), even while this pump is running.
                currentCoroutineContext().ensureActive()
                if (readingPaused) withContext(resumeContext) { while (readingPaused) readSignal.receive() }
                if (!wire.receive(sink::feed)) break
            }
            // The peer's FIN: end of stream for the reader; a TCP connection stays open for writing (half-close),
            // a TLS one closes (CPython's eof_received() returns False over SSL).
            val keepOpen = sink.eof()
            if (!keepOpen || !endpoint.canWriteEof) close()
        } catch (e: CancellationException) {
            throw e
        } catch (e: Throwable) {
            // A read racing close() or abort() finds the socket closed: that is the close, not a failure.
            if (!currentCoroutineContext().isActive) return
            lose(connectionError(e))
        }
    }

    // ---- writing ------------------------------------------------------------------------------------------------

    /** Buffers [data]; returns false when it was dropped because the connection is closing or lost. */
    fun write(
        data: ByteArray,
        what: String,
    ): Boolean {
        var pausedNow = false
        var queued = false
        var failure: Throwable? = null
        synchronized(lock) {
            check(!eofRequested) { "Cannot call $what() after write_eof()" }
            if (data.isEmpty()) return true
            if (closing || lost) return false
            var sent = 0
            if (pending.size == 0L && inFlight == 0L) {
                try {
                    sent = wire.trySend(data, 0)
                } catch (e: IOException) {
                    failure = e
                }
            }
            if (failure == null && sent < data.size) {
                pending.write(data, sent, data.size)
                queued = true
                if (!writingPaused && bufferSizeLocked() > high) {
                    writingPaused = true
                    pausedNow = true
                }
            }
        }
        // CPython's write() does not raise for a broken connection: the connection is lost with the error.
        failure?.let {
            fail(connectionError(it))
            return true
        }
        if (queued) writeSignal.trySend(Unit)
        if (pausedNow) sink.writingPaused()
        return true
    }

    fun writeBufferSize(): Long = synchronized(lock) { bufferSizeLocked() }

    private fun bufferSizeLocked(): Long = pending.size + inFlight

    fun setWriteBufferLimits(
        high: Int?,
        low: Int?,
    ) {
        val h = high ?: (if (low == null) DEFAULT_HIGH_WATER else 4 * low)
        val l = low ?: (h / 4)
        require(h >= l && l >= 0) { "high ($h) must be >= low ($l) must be >= 0" }
        val change =
            synchronized(lock) {
                this.high = h
                this.low = l
                updateWritingLocked()
            }
        announce(change)
    }

    fun writeBufferLimits(): IntArray = synchronized(lock) { intArrayOf(low, high) }

    /** What changed in writing's pause state: announced outside the lock by [announce]. */
    private class WritingChange(
        val paused: Boolean,
        val gate: CompletableDeferred<Throwable?>?,
    )

    /** Pauses or resumes writing by the marks; returns the change to announce, outside the lock. */
    private fun updateWritingLocked(): WritingChange? {
        val size = bufferSizeLocked()
        if (!writingPaused && size > high) {
            writingPaused = true
            return WritingChange(paused = true, gate = null)
        }
        if (writingPaused && size <= low) {
            writingPaused = false
            return WritingChange(paused = false, gate = drainGate.also { drainGate = null })
        }
        return null
    }

    private fun announce(change: WritingChange?) {
        if (change == null) return
        if (change.paused) {
            sink.writingPaused()
        } else {
            change.gate?.complete(null)
            sink.writingResumed()
        }
    }

    suspend fun drain(readerException: Throwable?) {
        readerException?.let { throw it }
        val gate =
            synchronized(lock) {
                if (closing || lost) throw connectionLost()
                if (!writingPaused) return
                drainGate ?: CompletableDeferred<Throwable?>().also { drainGate = it }
            }
        gate.await()?.let { throw it }
    }

    val canWriteEof: Boolean get() = endpoint.canWriteEof

    fun writeEof() {
        if (!endpoint.canWriteEof) throw UnsupportedOperationException("write_eof() is not supported over TLS")
        synchronized(lock) {
            if (closing || lost || eofRequested) return
            eofRequested = true
        }
        writeSignal.trySend(Unit)
    }

    private suspend fun pumpOut() {
        val wire = wire
        try {
            while (true) {
                var batch: Buffer? = null
                var finish = false
                var shutdown = false
                synchronized(lock) {
                    if (pending.size > 0) {
                        // Bounded pieces: Ktor's channel takes a whole flush at once, so only small flushes let its
                        // back-pressure (a full channel suspends flush()) reach us, and through us drain().
                        val piece = Buffer()
                        piece.write(pending, minOf(pending.size, MAX_WRITE))
                        batch = piece
                        inFlight = piece.size
                    } else if (closing) {
                        finish = true
                    } else if (eofRequested) {
                        shutdown = true
                    }
                }
                val b = batch
                when {
                    b != null -> {
                        wire.send(b)
                        val change =
                            synchronized(lock) {
                                inFlight = 0
                                updateWritingLocked()
                            }
                        announce(change)
                        flushed.trySend(Unit)
                    }

                    finish -> {
                        wire.finish()
                        finishClose()
                        return
                    }

                    shutdown -> {
                        wire.shutdownOutput()
                        while (!synchronized(lock) { closing }) writeSignal.receive()
                        finishClose()
                        return
                    }

                    else -> {
                        writeSignal.receive()
                    }
                }
            }
        } catch (e: CancellationException) {
            throw e
        } catch (e: Throwable) {
            lose(connectionError(e))
        }
    }

    // ---- closing ------------------------------------------------------------------------------------------------

    fun isClosing(): Boolean = synchronized(lock) { closing || lost }

    /** CPython's `close()`: stop reading now, flush what is buffered, then close the socket. Idempotent. */
    fun close() {
        synchronized(lock) {
            if (closing || lost) return
            closing = true
        }
        readPump.cancel()
        writeSignal.trySend(Unit)
        if (!writePump.isActive && !writePump.isCompleted) {
            // Never started (a connection closed before it was handed out): nothing to flush.
            writePump.cancel()
            scope.launch { finishClose() }
        }
    }

    private suspend fun finishClose() {
        withContext(NonCancellable) {
            // close() may still be on its way to stopping the reader: it must be stopped before the socket closes.
            readPump.cancel()
            closeSocket(abort = false)
            lose(null)
        }
    }

    /** CPython's `abort()`: drop what is buffered and free the socket at once. */
    fun abort() {
        synchronized(lock) {
            if (lost) return
            closing = true
            pending.clear()
        }
        scope.launch(start = CoroutineStart.UNDISPATCHED) {
            withContext(NonCancellable) {
                readPump.cancel()
                writePump.cancel()
                closeSocket(abort = true)
                lose(null)
            }
        }
    }

    private suspend fun closeSocket(abort: Boolean) {
        runCatching { endpoint.close(abort) }
    }

    /** The connection is gone: CPython's `connection_lost(exc)`. Runs once. */
    private suspend fun lose(error: Throwable?) {
        val gate =
            synchronized(lock) {
                if (lost) return
                lost = true
                closing = true
                pending.clear()
                inFlight = 0
                drainGate.also { drainGate = null }
            }
        sink.lost(error)
        gate?.complete(error)
        if (error != null) {
            withContext(NonCancellable) {
                readPump.cancel()
                writePump.cancel()
                closeSocket(abort = true)
            }
            closed.completeExceptionally(error)
        } else {
            closed.complete(Unit)
        }
        scope.cancel()
    }

    /**
     * CPython's `start_tls`: once everything written so far is sent, stops both pumps, hands the bytes the reader
     * already holds to [secure] (they may start the peer's handshake), and restarts the pumps over the endpoint it
     * returns. On failure the connection is aborted.
     */
    suspend fun upgrade(secure: suspend (raw: Endpoint, early: ByteArray) -> Endpoint) {
        check(endpoint.canWriteEof) { "the connection already speaks TLS" }
        check(!isClosing()) { "the connection is closing" }
        while (writeBufferSize() > 0) flushed.receive()
        readPump.cancelAndJoin()
        writePump.cancelAndJoin()
        wire.release()
        val early = sink.takeBuffered()
        val secured =
            try {
                secure(endpoint, early)
            } catch (e: Throwable) {
                abort()
                throw e
            }
        endpoint = secured
        wire = secured.direct ?: ChannelWire(secured)
        readPump = launchReadPump(CoroutineStart.DEFAULT)
        writePump = scope.launch(wire.writeContext) { pumpOut() }
    }

    /** A fatal error found above the transport (a protocol callback that threw): the connection is lost with it. */
    fun fail(error: Throwable) {
        scope.launch(start = CoroutineStart.UNDISPATCHED) { withContext(NonCancellable) { lose(error) } }
    }

    fun extraInfo(name: String): Any? = extra[name]

    fun hasExtraInfo(name: String): Boolean = name in extra

    override fun toString(): String = "<StreamTransport ${extra["peername"] ?: extra["sockname"] ?: ""}>"

    companion object {
        const val DEFAULT_HIGH_WATER: Int = 64 * 1024
        const val MAX_FEED: Long = 256 * 1024
        const val MAX_WRITE: Long = 256 * 1024
    }
}
