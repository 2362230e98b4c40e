package io.aiostreams.internal

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.io.IOException
import java.net.SocketTimeoutException
import kotlin.coroutines.EmptyCoroutineContext

/**
 * One connection over one [Wire] (CPython's selector transport plus `StreamReaderProtocol`): a [ReadPump] that moves
 * what arrives into the [sink] and stops while the sink asks it to pause, a [WriteBuffer] that [write] appends to
 * (sending at once what the wire takes while nothing is queued, as CPython's `write()` does), a write pump that
 * sends the rest, and closing. State is under [lock]. The connection is *lost* once, with or without an error, after
 * [close] has flushed and closed the wire, after [abort], or when the wire fails; then [closed] completes.
 */
internal class StreamTransport(
    @Volatile private var wire: Wire,
    private val sink: InboundSink,
    /** Accepted by a server (so `startTls` acts as the TLS server), rather than connected by a client. */
    val serverSide: Boolean = false,
) : ReadTransport,
    ReadPump.Ends {
    /** The object itself: no one outside it ever locks it, and a lock object of its own would cost every connection. */
    private inline val lock: Any get() = this

    /** The loop the connection lives on. */
    val loop: Loop get() = wire.loop

    /** The connection's coroutines once one is launched ([scope]); null before, and [LOST] once the scope stopped. */
    @Volatile private var coroutines: CoroutineScope? = null

    /**
     * The connection's coroutines, a scope made at the first launch: most connections launch none (a socket read by
     * callback, a close with nothing left to send), and a job made at every open and cancelled at every close costs
     * both. Without a dispatcher of its own, a launch that names none runs on `Default`. **Once the connection is
     * lost, every launch gets a scope cancelled already**, as the connection's own scope is then.
     */
    override val scope: CoroutineScope
        get() {
            val made = coroutines
            if (made != null && made !== LOST) return made
            return synchronized(lock) {
                when (val now = coroutines) {
                    null -> CoroutineScope(SupervisorJob()).also { coroutines = it }
                    LOST -> CoroutineScope(Job().apply { cancel(Stopped()) })
                    else -> now
                }
            }
        }
    private var buffer = WriteBuffer(wire.tls)
    private var eofRequested = false
    private var closing = false
    private var aborted = false
    private var writesLost = 0
    private var lost = false

    /**
     * Pauses (true) and resumes (false) decided under [lock] and not yet told to the sink, oldest first: made at the
     * first, for a sink that calls user code (a stream's reader has no one to tell). One thread at a time tells them
     * ([telling]), in this order and outside the lock, so a writer on another thread than the pump's never has its
     * pause heard before the pump's resume that came before it.
     */
    private var untold: ArrayDeque<Boolean>? = null
    private var telling = false
    private val writeSignal = Signal()

    /** Told of every piece sent while `startTls` waits for the buffer to empty (made then: most connections never do). */
    @Volatile private var flushed: Signal? = null

    /** Completes when the connection is lost: normally after a clean close or abort, exceptionally on an error. */
    val closed = CompletableDeferred<Unit>()

    /** Told once the connection is lost ([whenLost]); under [lock]. */
    private var lostListener: ((StreamTransport) -> Unit)? = null

    /**
     * The write pump, launched when it first has work ([startWritePump]): most connections never fill their socket,
     * and a close with nothing left to send runs as a task of the loop, with no coroutine waiting for it beforehand.
     */
    @Volatile private var writePump: Job? = null
    private var started = false
    private var upgrading = false

    private val reading = ReadPump(sink, this)

    init {
        reading.launch(wire, CoroutineStart.LAZY)
        sink.attach(this)
    }

    fun start() {
        reading.start()
        synchronized(lock) { started = true }
        startWritePump()
    }

    // ---- reading ------------------------------------------------------------------------------------------------

    override fun pauseReading() = reading.pause()

    override fun resumeReading() = reading.resume()

    override fun readInline(n: Int) = reading.readInline(n)

    override fun mayReadInline(): Boolean = reading.mayReadInline()

    /** True unless reading is paused or the connection is closing. */
    fun isReading(): Boolean = !reading.isPaused && !isClosing()

    /**
     * The peer's FIN: end of stream for the reader; a TCP connection stays open for writing (half-close), a TLS one
     * closes (CPython's eof_received() returns False over SSL).
     */
    override fun eofReceived(wire: Wire) {
        if (!sink.eof() || !wire.canWriteEof) close()
    }

    override suspend fun readFailed(e: Throwable) {
        if (e is RaggedEof) {
            // Strict TLS: everything decrypted is readable, and the truncation comes where the end would.
            sink.raggedEof(e.cause)
            lose(e.cause)
        } else {
            lose(connectionError(e))
        }
    }

    // ---- writing ------------------------------------------------------------------------------------------------

    /** Buffers [data]; returns false when it was dropped because the connection is closing or lost. */
    fun write(
        data: ByteArray,
        what: String,
    ): Boolean {
        var change: WriteBuffer.Change? = null
        var mustTell = false
        var queued = false
        var failure: Throwable? = null
        synchronized(lock) {
            check(!eofRequested) { "Cannot call $what() after write_eof()" }
            if (data.isEmpty()) return true
            if (isGoneLocked()) {
                // CPython warns once a lost connection has swallowed this many writes, and at every one after.
                if (++writesLost >= LOST_WRITES_BEFORE_WARNING) log.warn("socket.send() raised exception.")
                return false
            }
            var sent = 0
            if (buffer.isIdle) {
                try {
                    sent = wire.trySend(data, 0)
                } catch (e: IOException) {
                    failure = e
                }
            }
            if (failure == null && sent < data.size) {
                change = buffer.append(data, sent)
                mustTell = queueNewsLocked(change)
                queued = true
            }
        }
        // CPython's write() does not raise for a broken connection: the connection is lost with the error.
        failure?.let {
            fail(connectionError(it))
            return true
        }
        if (queued) {
            writeSignal.signal()
            startWritePump()
        }
        announce(change, mustTell)
        return true
    }

    fun writeBufferSize(): Long = synchronized(lock) { buffer.size }

    fun setWriteBufferLimits(
        high: Int?,
        low: Int?,
    ) = crossing { buffer.setLimits(high, low) }

    fun writeBufferLimits(): IntArray = synchronized(lock) { intArrayOf(buffer.low, buffer.high) }

    /** Works out under [lock] whether the write buffer crossed a mark ([decide]), then [announce]s it. */
    private inline fun crossing(decide: () -> WriteBuffer.Change?) {
        var mustTell = false
        val change = synchronized(lock) { decide().also { mustTell = queueNewsLocked(it) } }
        announce(change, mustTell)
    }

    /**
     * Under [lock], where [change] was decided: queues it for a sink that calls user code; true when the caller must
     * then [announce] it with `mustTell`, no other thread telling the queue already.
     */
    private fun queueNewsLocked(change: WriteBuffer.Change?): Boolean {
        if (change == null || !sink.runsUserCode) return false
        (untold ?: ArrayDeque<Boolean>(2).also { untold = it }).addLast(change.paused)
        if (telling) return false
        telling = true
        return true
    }

    /**
     * Outside [lock]: opens the drain gate a resume brings, and, when [mustTell], tells the sink every queued pause
     * and resume in the order they were decided, including those another thread queues meanwhile.
     */
    private fun announce(
        change: WriteBuffer.Change?,
        mustTell: Boolean,
    ) {
        change?.gate?.complete(null)
        if (!mustTell) return
        try {
            while (true) {
                val paused =
                    synchronized(lock) {
                        untold?.removeFirstOrNull().also { if (it == null) telling = false }
                    } ?: return
                if (paused) sink.writingPaused() else sink.writingResumed()
            }
        } catch (e: Throwable) {
            synchronized(lock) { telling = false }
            throw e
        }
    }

    suspend fun drain(readerException: Throwable?) {
        readerException?.let { throw it }
        val gate =
            synchronized(lock) {
                if (isGoneLocked()) throw connectionLost()
                buffer.drainGate() ?: return
            }
        // A tail call: a drain with nothing to wait for allocates no coroutine frame.
        return awaitDrained(gate)
    }

    private suspend fun awaitDrained(gate: CompletableDeferred<Throwable?>) {
        gate.await()?.let { throw it }
    }

    val canWriteEof: Boolean get() = wire.canWriteEof

    fun writeEof() {
        if (!wire.canWriteEof) throw UnsupportedOperationException("write_eof() is not supported over TLS")
        synchronized(lock) {
            if (closing || lost || eofRequested) return
            eofRequested = true
        }
        writeSignal.signal()
        startWritePump()
    }

    /**
     * Launches the write pump if it has work and none runs: bytes the wire did not take or an end of stream (on the
     * wire's write context), or a close with nothing left to send (a task of the loop, as CPython's
     * `call_soon(_call_connection_lost)`). Not before [start], unless closing; not while [upgrade] swaps wires.
     */
    private fun startWritePump() {
        val pump =
            synchronized(lock) {
                if (lost || upgrading || writePump != null || !(started || closing)) return
                val context =
                    when {
                        buffer.hasPending || eofRequested -> {
                            wire.writeContext
                        }

                        closing && wire.closesAtOnce && reading.stopsAtOnce -> {
                            writePump = CLOSED_AT_ONCE
                            loop.dispatcher.dispatch(EmptyCoroutineContext, Runnable(::closeAtOnce))
                            return
                        }

                        closing -> {
                            loop.dispatcher
                        }

                        else -> {
                            return
                        }
                    }
                val current = wire
                scope.launch(context, CoroutineStart.LAZY) { pumpOut(current) }.also { writePump = it }
            }
        pump.start()
    }

    /** What the write pump does next. */
    private enum class Next { SEND, CLOSE, SHUT_DOWN, WAIT }

    private suspend fun pumpOut(wire: Wire) {
        try {
            while (true) {
                var piece: kotlinx.io.Buffer? = null
                val next =
                    synchronized(lock) {
                        when {
                            // Bounded pieces, so that the wire's back-pressure reaches drain().
                            buffer.hasPending -> Next.SEND.also { piece = buffer.takePiece(MAX_WRITE) }

                            closing -> Next.CLOSE

                            eofRequested -> Next.SHUT_DOWN

                            else -> Next.WAIT
                        }
                    }
                when (next) {
                    Next.SEND -> {
                        wire.send(piece!!)
                        crossing { buffer.pieceSent() }
                        flushed?.signal()
                    }

                    Next.CLOSE -> {
                        return finishClose()
                    }

                    Next.SHUT_DOWN -> {
                        wire.shutdownOutput()
                        while (!synchronized(lock) { closing }) writeSignal.await()
                        return finishClose()
                    }

                    Next.WAIT -> {
                        writeSignal.await()
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

    /**
     * Nothing written now would be sent (CPython's `_conn_lost`): lost, aborted, or closing with nothing left to
     * flush. A connection closing while it flushes still takes writes, as CPython's transport does.
     */
    private fun isGoneLocked(): Boolean = lost || aborted || (closing && buffer.isIdle)

    /** CPython's `close()`: stop reading now, flush what is buffered, then close the wire. Idempotent. */
    fun close() {
        synchronized(lock) {
            if (closing || lost) return
            closing = true
        }
        reading.cancel()
        writeSignal.signal()
        startWritePump()
    }

    private suspend fun finishClose() {
        withContext(NonCancellable) {
            // close() may still be on its way to stopping the reader: it must be stopped before the wire closes (a
            // TLS wire reads the peer's close_notify itself).
            reading.cancelAndJoin()
            val error =
                try {
                    wire.close()
                    null
                } catch (e: SocketTimeoutException) {
                    e // CPython's `SSL shutdown timed out`: the connection is lost with it
                } catch (e: Exception) {
                    null
                }
            lose(error)
        }
    }

    /**
     * A close with nothing left to send, of a socket read by callback: a plain task of the loop, with no coroutine,
     * as CPython's `call_soon(_call_connection_lost)`. The loop stops reading at once, then the socket closes.
     */
    private fun closeAtOnce() {
        reading.cancel()
        wire.closeAtOnce()
        if (markLost(null)) {
            closed.complete(Unit)
            ended()
        }
    }

    /** CPython's `abort()`: drop what is buffered and free the socket at once. */
    fun abort() {
        synchronized(lock) {
            if (lost) return
            closing = true
            aborted = true
        }
        scope.launch(start = CoroutineStart.UNDISPATCHED) {
            withContext(NonCancellable) {
                stopAndAbort()
                lose(null)
            }
        }
    }

    private suspend fun stopAndAbort() {
        reading.cancel()
        writePump?.cancel(Stopped())
        runCatching { wire.abort() }
    }

    /** The connection is gone: CPython's `connection_lost(exc)`. Runs once. */
    private suspend fun lose(error: Throwable?) {
        if (!markLost(error)) return
        if (error != null) {
            withContext(NonCancellable) { stopAndAbort() }
            closed.completeExceptionally(error)
        } else {
            closed.complete(Unit)
        }
        ended()
    }

    /**
     * Calls [listener] once the connection is lost, after [closed] completes (at once if it is lost already): how a
     * server counts its clients, with no completion handler or function object per connection. One listener.
     */
    fun whenLost(listener: (StreamTransport) -> Unit) {
        synchronized(lock) {
            if (!closed.isCompleted) {
                lostListener = listener
                return
            }
        }
        listener(this)
    }

    /** After [closed] completed: tells the listener, then stops the connection's coroutines. */
    private fun ended() {
        synchronized(lock) { lostListener.also { lostListener = null } }?.invoke(this)
        stopScope()
    }

    /** Cancels the connection's coroutines, if it ever launched any; later launches get a cancelled scope. */
    private fun stopScope() {
        val made = synchronized(lock) { coroutines.also { coroutines = LOST } }
        if (made != null && made !== LOST) made.cancel(Stopped())
    }

    /** Marks the connection lost and tells the sink and a waiting drain; false when it was lost already. */
    private fun markLost(error: Throwable?): Boolean {
        val gate =
            synchronized(lock) {
                if (lost) return false
                lost = true
                closing = true
                buffer.clear()
            }
        sink.lost(error)
        gate?.complete(error)
        return true
    }

    /**
     * CPython's `start_tls`: once everything written so far is sent, stops both pumps, hands the bytes the reader
     * already holds to [secure] when [handOverBuffered] (they may start the peer's handshake), and restarts the pumps
     * over the wire it returns, in place of the old one; over TLS already, TLS goes inside TLS, as CPython allows.
     * **On failure the connection is aborted.**
     */
    suspend fun upgrade(
        handOverBuffered: Boolean,
        secure: suspend (raw: Wire, early: ByteArray) -> Wire,
    ) {
        check(!isClosing()) { "the connection is closing" }
        val sent = flushed ?: Signal().also { flushed = it }
        while (writeBufferSize() > 0) sent.await()
        reading.cancelAndJoin()
        val pump =
            synchronized(lock) {
                upgrading = true
                writePump.also { writePump = null }
            }
        pump?.cancel(Stopped())
        pump?.join()
        // What the sink holds came first (handed over by a server, as CPython 3.14 does; a client's stays readable as
        // plaintext), then what the stopped pump held back while paused, which nobody has read.
        val buffered = if (handOverBuffered) sink.takeBuffered() else ByteArray(0)
        val early = buffered + reading.takeHeld()
        val secured =
            try {
                secure(wire, early)
            } catch (e: Throwable) {
                abort()
                throw e
            }
        wire = secured
        synchronized(lock) {
            buffer = WriteBuffer(secured.tls)
            upgrading = false
        }
        // The TLS connection reads from the start, as CPython's new SSL transport does, paused before or not.
        reading.resume()
        reading.launch(secured)
        startWritePump()
    }

    /** A fatal error found above the transport (a protocol callback that threw): the connection is lost with it. */
    fun fail(error: Throwable) {
        scope.launch(start = CoroutineStart.UNDISPATCHED) { withContext(NonCancellable) { lose(error) } }
    }

    fun extraInfo(name: String): Any? = wire.extra[name]

    fun hasExtraInfo(name: String): Boolean = name in wire.extra

    override fun toString(): String = "<StreamTransport ${wire.extra["peername"] ?: wire.extra["sockname"] ?: ""}>"

    companion object {
        private val log = Loggers.transport

        /** Marks a stopped scope: compared by identity, never launched into. */
        private val LOST = CoroutineScope(EmptyCoroutineContext)

        /** CPython's `LOG_THRESHOLD_FOR_CONNLOST_WRITES`. */
        private const val LOST_WRITES_BEFORE_WARNING = 5
        const val MAX_FEED: Long = 256 * 1024
        const val MAX_WRITE: Long = 256 * 1024

        /** [writePump] once a close ran as a task of the loop: no pump will run for the connection. */
        private val CLOSED_AT_ONCE: Job = Job().apply { complete() }
    }
}
