package io.aiostreams.internal

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.isActive
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import kotlinx.io.Buffer
import kotlinx.io.readByteArray
import java.nio.channels.ClosedChannelException

/**
 * A transport's reading side (CPython's `_read_ready` with `pause_reading()` / `resume_reading()`): it moves what a
 * [Wire] receives into the [sink], and stops taking bytes while reading is paused. **It stops at once when cancelled,
 * even in the middle of a read**; the peer's end of stream goes to [Ends.eofReceived], a broken wire to
 * [Ends.readFailed].
 *
 * A socket feeding a reader is read by callback ([Callbacks]): the loop calls it when bytes arrive, as CPython's
 * selector calls `_read_ready`, and pausing removes it from the loop. A read on the loop that would park may also read
 * it at once ([readInline]) while the socket's last read left it full. Other wires (TLS, Ktor), and sinks that run
 * user code (protocols, whose callbacks run as tasks of the loop), are read by one coroutine that waits while
 * reading is paused.
 */
internal class ReadPump(
    private val sink: InboundSink,
    private val ends: Ends,
) {
    /** Where the pump reports how reading ended (its owner, rather than a lambda object per connection). */
    interface Ends {
        /** The peer's end of stream arrived on [wire]. */
        fun eofReceived(wire: Wire)

        /** Reading [e] failed. */
        suspend fun readFailed(e: Throwable)

        /** Where the pump launches its coroutines: asked for at each launch, as most connections launch none. */
        val scope: CoroutineScope
    }

    @Volatile private var paused = false

    /** What a pump coroutine waits on while paused; made with that coroutine (a socket read by callback has none). */
    @Volatile private var resumed: Signal? = null

    @Volatile private var job: Job = NO_JOB

    /** Set while a socket is read by callback rather than by [job]. */
    @Volatile private var callbacks: Callbacks? = null

    val isPaused: Boolean get() = paused

    /** True when [cancel], called on the loop, stops reading before it returns: a socket read by callback. */
    val stopsAtOnce: Boolean get() = callbacks != null

    /** Starts reading [wire]; with [CoroutineStart.LAZY], only at [start]. */
    fun launch(
        wire: Wire,
        start: CoroutineStart = CoroutineStart.DEFAULT,
    ) {
        val socket = wire.readable
        if (socket != null && !sink.runsUserCode) {
            callbacks = Callbacks(wire, socket).also { if (start != CoroutineStart.LAZY) it.listen() }
        } else {
            callbacks = null
            if (resumed == null) resumed = Signal()
            job = ends.scope.launch(wire.readContext(sink.runsUserCode), start) { pump(wire) }
        }
    }

    fun start() {
        val reading = callbacks
        if (reading != null) reading.listen() else job.start()
    }

    /** Called by the sink as it takes bytes past its limit: by callback, the loop stops watching the socket at once. */
    fun pause() {
        paused = true
        callbacks?.pause()
    }

    fun resume() {
        paused = false
        val reading = callbacks
        if (reading != null) reading.listen() else resumed?.signal()
    }

    /**
     * Reads the socket now for a read that found too little buffered ([n]: the size of a `read(n)`, else 0), when this
     * is the loop's thread, the socket is read by callback and its last read left it full (see [Callbacks.readInline]).
     */
    fun readInline(n: Int) {
        callbacks?.readInline(n)
    }

    /** Whether [readInline] would read now; only looks (see [ReadTransport.mayReadInline]). */
    fun mayReadInline(): Boolean = callbacks?.mayReadInline() ?: false

    /** Stops reading now (CPython removes the reader); what was delivered stays delivered. */
    fun cancel() {
        val reading = callbacks
        if (reading != null) reading.stop() else job.cancel(Stopped())
    }

    suspend fun cancelAndJoin() {
        val reading = callbacks
        if (reading != null) {
            reading.stop()
            // Removed by the loop: no delivery can be under way once this returns.
            if (!reading.loop.inLoop()) withContext(reading.loop.dispatcher) {}
            return
        }
        job.cancel(Stopped())
        job.join()
    }

    /**
     * Reading a socket by callback, on its loop's thread: one read per readiness, straight into the sink. While
     * paused, the next readiness removes it from the loop (it reads nothing more); [resume] adds it back.
     */
    private inner class Callbacks(
        private val wire: Wire,
        private val socket: LoopChannel<*>,
    ) : Runnable,
        Wire.ArrayDelivery {
        val loop: Loop get() = socket.loop

        @Volatile private var stopped = false

        /** Whether the loop watches the socket for us: changed on the loop's thread only. */
        private var listening = false

        /** What the wire delivers goes to the sink: the callbacks are the delivery function themselves. */
        override fun invoke(
            buffer: Buffer,
            max: Long,
        ) = sink.feed(buffer, max)

        override fun takeArray(bytes: ByteArray) = sink.feedArray(bytes)

        /**
         * Has the loop watch the socket. **A socket already closed under the reader (a server cutting off a
         * connection on its way to its handler) loses the connection**, as the read would have failed: it never
         * waits for a readiness that cannot come.
         */
        fun listen() =
            loop.run {
                if (listening || stopped || paused) return@run
                if (socket.isClosed) return@run fail(ClosedChannelException())
                listening = true
                socket.addReader(this)
            }

        private fun fail(e: Throwable) {
            stopped = true
            ends.scope.launch(start = CoroutineStart.UNDISPATCHED) { ends.readFailed(e) }
        }

        fun pause() = loop.run { if (paused) unlisten() }

        fun stop() {
            stopped = true
            loop.run(::unlisten)
        }

        private fun unlisten() {
            if (!listening) return
            listening = false
            socket.removeReader()
        }

        /** Reads taken by [readInline] since the loop last called [run]. */
        private var inlineReads = 0

        /**
         * A read that needs bytes now, on the loop's thread, reads the socket itself when its last read filled all
         * the room it had: no wait for the loop's next select, no park and resume of the read. **At most
         * [MAX_INLINE_READS] in a row:** then the read waits for the loop as usual, so that one busy connection never
         * keeps the loop from its other sockets and tasks (Netty reads up to 16 times per readiness likewise).
         */
        fun readInline(n: Int) {
            if (!mayReadInline()) return
            inlineReads++
            read(n)
        }

        /** On the loop's thread, listening and not paused, with room in the run of inline reads and a full socket. */
        fun mayReadInline(): Boolean =
            loop.inLoop() && listening && !stopped && !paused && inlineReads < MAX_INLINE_READS && wire.mayHaveMore

        override fun run() {
            if (stopped || paused) return unlisten()
            inlineReads = 0
            read(sink.wholeReadSize())
        }

        private fun read(whole: Int) {
            val n =
                try {
                    wire.readNow(this, whole)
                } catch (e: Throwable) {
                    unlisten()
                    // A read racing close() or abort() finds the socket closed: that is the close, not a failure.
                    if (!stopped) fail(e)
                    return
                }
            if (n < 0) {
                unlisten()
                stopped = true
                ends.eofReceived(wire)
            }
        }
    }

    /** Removes and returns bytes held while paused (for `startTls`, after the pump has stopped). */
    fun takeHeld(): ByteArray = held?.readByteArray() ?: ByteArray(0)

    /**
     * Bytes a wire delivered after reading was paused (the pump was already waiting in the wire when the pause came):
     * held until reading resumes, so that **nothing reaches the sink while reading is paused**, as with CPython's
     * `pause_reading()`. Made at the first such delivery: most connections never have one.
     */
    private var held: Buffer? = null

    private suspend fun pump(wire: Wire) {
        // Made here rather than per pump: a socket read by callback never runs this.
        val deliver: (Buffer, Long) -> Unit = { buffer, max ->
            val waiting = held
            if (paused || (waiting != null && waiting.size > 0)) {
                (waiting ?: Buffer().also { held = it }).write(buffer, minOf(max, buffer.size))
            } else {
                sink.feed(buffer, max)
            }
        }
        val resumeContext = wire.resumeContext(sink.runsUserCode)
        var ended = false
        try {
            while (true) {
                currentCoroutineContext().ensureActive()
                if (paused) withContext(resumeContext) { while (paused) resumed!!.await() }
                val waiting = held
                if (waiting != null && waiting.size > 0) {
                    sink.feed(waiting, waiting.size)
                    continue
                }
                if (ended || !wire.receive(deliver)) {
                    // What was held goes first: the loop comes back here once it is delivered.
                    ended = true
                    if ((held?.size ?: 0L) == 0L) break
                }
            }
            ends.eofReceived(wire)
        } catch (e: CancellationException) {
            throw e
        } catch (e: Throwable) {
            // A read racing close() or abort() finds the socket closed: that is the close, not a failure.
            if (!currentCoroutineContext().isActive) return
            ends.readFailed(e)
        }
    }

    private companion object {
        /** Until a coroutine reads: a finished job, shared (cancelling, starting or joining it does nothing). */
        val NO_JOB: Job = Job().apply { complete() }

        /** How many reads a socket's reader may take inline ([Callbacks.readInline]) before the loop selects again. */
        const val MAX_INLINE_READS = 16
    }
}
