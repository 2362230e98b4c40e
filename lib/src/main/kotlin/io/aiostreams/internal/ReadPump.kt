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

/**
 * A transport's reading side (CPython's `_read_ready` with `pause_reading()` / `resume_reading()`): one coroutine
 * that moves what a [Wire] receives into the [sink], and waits while reading is paused. **It stops at once when
 * cancelled, even in the middle of a read**; the peer's end of stream goes to [onEof], a broken wire to [onError].
 */
internal class ReadPump(
    private val scope: CoroutineScope,
    private val sink: InboundSink,
    private val onEof: (Wire) -> Unit,
    private val onError: suspend (Throwable) -> Unit,
) {
    @Volatile private var paused = false
    private val resumed = Signal()

    @Volatile private var job: Job = Job().apply { complete() }

    val isPaused: Boolean get() = paused

    /** Starts reading [wire]; with [CoroutineStart.LAZY], only at [start]. */
    fun launch(
        wire: Wire,
        start: CoroutineStart = CoroutineStart.DEFAULT,
    ) {
        job = scope.launch(wire.readContext(sink.runsUserCode), start) { pump(wire) }
    }

    fun start() {
        job.start()
    }

    fun pause() {
        paused = true
    }

    fun resume() {
        paused = false
        resumed.signal()
    }

    /** Stops reading now (CPython removes the reader); what was delivered stays delivered. */
    fun cancel() = job.cancel(Stopped())

    suspend fun cancelAndJoin() {
        job.cancel(Stopped())
        job.join()
    }

    /** Removes and returns bytes held while paused (for `startTls`, after the pump has stopped). */
    fun takeHeld(): ByteArray = held.readByteArray()

    /**
     * Bytes a wire delivered after reading was paused (the pump was already waiting in the wire when the pause came):
     * held until reading resumes, so that **nothing reaches the sink while reading is paused**, as with CPython's
     * `pause_reading()`.
     */
    private val held = Buffer()
    private val deliver: (Buffer, Long) -> Unit = { buffer, max ->
        if (paused || held.size > 0) held.write(buffer, minOf(max, buffer.size)) else sink.feed(buffer, max)
    }

    private suspend fun pump(wire: Wire) {
        val resumeContext = wire.resumeContext(sink.runsUserCode)
        var ended = false
        try {
            while (true) {
                currentCoroutineContext().ensureActive()
                if (paused) withContext(resumeContext) { while (paused) resumed.await() }
                if (held.size > 0) {
                    sink.feed(held, held.size)
                    continue
                }
                if (ended || !wire.receive(deliver)) {
                    // What was held goes first: the loop comes back here once it is delivered.
                    ended = true
                    if (held.size == 0L) break
                }
            }
            onEof(wire)
        } catch (e: CancellationException) {
            throw e
        } catch (e: Throwable) {
            // A read racing close() or abort() finds the socket closed: that is the close, not a failure.
            if (!currentCoroutineContext().isActive) return
            onError(e)
        }
    }
}
