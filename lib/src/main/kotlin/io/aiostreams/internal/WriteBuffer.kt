package io.aiostreams.internal

import kotlinx.coroutines.CompletableDeferred
import kotlinx.io.Buffer

/**
 * A connection's write buffer and its flow control (CPython's `_FlowControlMixin`): bytes waiting to be sent, the
 * piece being sent, the high- and low-water marks, and the gate that `drain()` waits at while writing is paused.
 *
 * **Writing pauses when more than [high] bytes are buffered and resumes when [low] or fewer are** ([WaterMarks]); over
 * [tls], as CPython's SSL transport, the marks default to 512 and 128 KiB and writing pauses **at** [high].
 * Not thread-safe: its owner ([StreamTransport]) calls it under its own lock, and announces the [Change]s it
 * returns outside that lock.
 */
internal class WriteBuffer(
    tls: Boolean = false,
) {
    /** Bytes waiting to be sent; made at the first write that has to wait (most connections never have one). */
    private var waiting: Buffer? = null
    private val pending: Buffer get() = waiting ?: Buffer().also { waiting = it }
    private var inFlight = 0L
    private var gate: CompletableDeferred<Throwable?>? = null

    private val marks =
        WaterMarks(if (tls) WaterMarks.TLS_HIGH_WATER else WaterMarks.DEFAULT_HIGH_WATER, pausesAtHigh = tls)

    val high: Int get() = marks.high
    val low: Int get() = marks.low

    /** True between crossing [high] and falling back to [low]. */
    val writingPaused: Boolean get() = marks.paused

    /** What a sink must be told: writing paused, or resumed (and the drain gate to open). */
    class Change(
        val paused: Boolean,
        val gate: CompletableDeferred<Throwable?>?,
    )

    /** Bytes buffered: waiting, plus the piece being sent. CPython's `get_write_buffer_size()`. */
    val size: Long get() = (waiting?.size ?: 0L) + inFlight

    /** Nothing waits and nothing is being sent: a write may go straight to the socket. */
    val isIdle: Boolean get() = (waiting?.size ?: 0L) == 0L && inFlight == 0L

    val hasPending: Boolean get() = (waiting?.size ?: 0L) > 0

    /** Appends `data[from until data.size]`; returns the pause this caused, if any. */
    fun append(
        data: ByteArray,
        from: Int,
    ): Change? {
        pending.write(data, from, data.size)
        return update()
    }

    /** Takes the next piece to send, at most [max] bytes; it counts as buffered until [pieceSent]. */
    fun takePiece(max: Long): Buffer {
        val piece = Buffer()
        piece.write(pending, minOf(pending.size, max))
        inFlight = piece.size
        return piece
    }

    /** The piece from [takePiece] was sent; returns the resume this caused, if any. */
    fun pieceSent(): Change? {
        inFlight = 0
        return update()
    }

    /**
     * Sets the marks ([WaterMarks.set]); returns the pause this caused, if any. New marks never resume writing by
     * themselves (CPython only re-checks pausing): the next write or send does.
     */
    fun setLimits(
        high: Int?,
        low: Int?,
    ): Change? {
        marks.set(high, low)
        return if (marks.update(size, pauseOnly = true) == true) Change(paused = true, gate = null) else null
    }

    /** The gate `drain()` waits at, or null when writing is not paused and `drain()` returns at once. */
    fun drainGate(): CompletableDeferred<Throwable?>? {
        if (!marks.paused) return null
        return gate ?: CompletableDeferred<Throwable?>().also { gate = it }
    }

    /** Drops everything (the connection is gone); returns the gate to open, with the connection's error if any. */
    fun clear(): CompletableDeferred<Throwable?>? {
        waiting?.clear()
        inFlight = 0
        return gate.also { gate = null }
    }

    private fun update(): Change? =
        when (marks.update(size)) {
            true -> Change(paused = true, gate = null)
            false -> Change(paused = false, gate = gate.also { gate = null })
            null -> null
        }
}
