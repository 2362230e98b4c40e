package io.aiostreams.internal

/**
 * High- and low-water marks over a buffered byte count (the marks half of CPython's `_FlowControlMixin`): **writing
 * pauses when more than [high] bytes are buffered and resumes when [low] or fewer are** (`>` and `<=`); with
 * [pausesAtHigh] (CPython's SSL transport) it pauses **at** [high]. Not thread-safe: its owner calls it under a lock.
 */
internal class WaterMarks(
    private val defaultHigh: Int = DEFAULT_HIGH_WATER,
    private val pausesAtHigh: Boolean = false,
) {
    var high: Int = defaultHigh
        private set
    var low: Int = defaultHigh / 4
        private set

    /** True between crossing [high] and falling back to [low]. */
    var paused: Boolean = false
        private set

    /**
     * Sets the marks: with only one given, CPython's rule makes the other (`low = high / 4`, `high = 4 * low`); with
     * neither, the defaults.
     *
     * @throws IllegalArgumentException `high (h) must be >= low (l) must be >= 0`, with nothing changed.
     */
    fun set(
        high: Int?,
        low: Int?,
    ) {
        val h = high ?: (if (low == null) defaultHigh else 4 * low)
        val l = low ?: (h / 4)
        require(h >= l && l >= 0) { "high ($h) must be >= low ($l) must be >= 0" }
        this.high = h
        this.low = l
    }

    /** CPython's `get_write_buffer_limits()`: `[low, high]`. */
    fun limits(): IntArray = intArrayOf(low, high)

    /**
     * Re-checks [size] against the marks: true when writing just paused, false when it just resumed, else null. With
     * [pauseOnly] (after new marks are set, as CPython's `_maybe_pause_protocol`) it never resumes.
     */
    fun update(
        size: Long,
        pauseOnly: Boolean = false,
    ): Boolean? {
        if (!paused && (size > high || (pausesAtHigh && size == high.toLong()))) {
            paused = true
            return true
        }
        if (paused && !pauseOnly && size <= low) {
            paused = false
            return false
        }
        return null
    }

    companion object {
        const val DEFAULT_HIGH_WATER: Int = 64 * 1024

        /** CPython's `FLOW_CONTROL_HIGH_WATER_SSL_WRITE`. */
        const val TLS_HIGH_WATER: Int = 512 * 1024
    }
}
