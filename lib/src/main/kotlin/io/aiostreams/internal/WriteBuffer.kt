package io.aiostreams.internal

import kotlinx.coroutines.CompletableDeferred
import kotlinx.io.Buffer

/**
 * A connection's write buffer and its flow control (CPython's `_FlowControlMixin`): bytes waiting to be sent, the
 * piece being sent, the high- and low-water marks, and the gate that `drain()` waits at while writing is paused.
 *
 * **Writing pauses when more than [high] bytes are buffered and resumes when [low] or fewer are** (CPython's `>` and
 * `<=`); over [tls], as CPython's SSL transport, the marks default to 512 and 128 KiB and writing pauses **at** [high].
 * Not thread-safe: its owner ([StreamTransport]) calls it under its own lock, and announces the [Change]s it
 * returns outside that lock.
 */
internal class WriteBuffer(
    tls: Boolean = false,
) {
    private val pending = Buffer()
    private var inFlight = 0L
    private var gate: CompletableDeferred<Throwable?>? = null

    private val defaultHigh = if (tls) TLS_HIGH_WATER else DEFAULT_HIGH_WATER
    private val pausesAtHigh = tls

    var high: Int = defaultHigh
        private set
    var low: Int = defaultHigh / 4
        private set

    /** True between crossing [high] and falling back to [low]. */
    var writingPaused: Boolean = false
        private set

    /** What a sink must be told: writing paused, or resumed (and the drain gate to open). */
    class Change(
        val paused: Boolean,
        val gate: CompletableDeferred<Throwable?>?,
    )

    /** Bytes buffered: waiting, plus the piece being sent. CPython's `get_write_buffer_size()`. */
    val size: Long get() = pending.size + inFlight

    /** Nothing waits and nothing is being sent: a write may go straight to the socket. */
    val isIdle: Boolean get() = pending.size == 0L && inFlight == 0L

    val hasPending: Boolean get() = pending.size > 0

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
     * Sets the marks: with only one given, CPython's rule makes the other (`low = high / 4`, `high = 4 * low`); with
     * neither, the defaults (64 and 16 KiB; over TLS 512 and 128 KiB). Returns the pause or resume this caused.
     *
     * @throws IllegalArgumentException `high (h) must be >= low (l) must be >= 0`, with nothing changed.
     */
    fun setLimits(
        high: Int?,
        low: Int?,
    ): Change? {
        val h = high ?: (if (low == null) defaultHigh else 4 * low)
        val l = low ?: (h / 4)
        require(h >= l && l >= 0) { "high ($h) must be >= low ($l) must be >= 0" }
        this.high = h
        this.low = l
        return update()
    }

    /** The gate `drain()` waits at, or null when writing is not paused and `drain()` returns at once. */
    fun drainGate(): CompletableDeferred<Throwable?>? {
        if (!writingPaused) return null
        return gate ?: CompletableDeferred<Throwable?>().also { gate = it }
    }

    /** Drops everything (the connection is gone); returns the gate to open, with the connection's error if any. */
    fun clear(): CompletableDeferred<Throwable?>? {
        pending.clear()
        inFlight = 0
        return gate.also { gate = null }
    }

    private fun update(): Change? {
        val size = size
        if (!writingPaused && (size > high || (pausesAtHigh && size == high.toLong()))) {
            writingPaused = true
            return Change(paused = true, gate = null)
        }
        if (writingPaused && size <= low) {
            writingPaused = false
            return Change(paused = false, gate = gate.also { gate = null })
        }
        return null
    }

    companion object {
        const val DEFAULT_HIGH_WATER: Int = 64 * 1024

        /** CPython's `FLOW_CONTROL_HIGH_WATER_SSL_WRITE`. */
        const val TLS_HIGH_WATER: Int = 512 * 1024
    }
}
