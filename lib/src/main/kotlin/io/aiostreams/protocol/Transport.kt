package io.aiostreams.protocol

/**
 * One stream connection as its [Protocol] sees it: CPython's `asyncio.Transport`. Nothing here suspends or blocks;
 * writes are buffered and sent in the background.
 *
 * **Python:** `asyncio.Transport` (`WriteTransport` + `ReadTransport`).
 */
public interface Transport {
    /**
     * Buffers [data] to be sent; **dropped once the connection is closing or lost**, as in CPython.
     * **Python:** `write(data)`.
     *
     * @throws IllegalStateException `Cannot call write() after write_eof()`.
     */
    public fun write(data: ByteArray)

    /** Buffers every array of [lines], in order. **Python:** `writelines(list_of_data)`. */
    public fun writeLines(lines: Iterable<ByteArray>)

    /**
     * Half-closes once the buffer is sent: the peer sees end of stream and can still send.
     * **Python:** `write_eof()`.
     *
     * @throws UnsupportedOperationException over TLS.
     */
    public fun writeEof()

    /** True for TCP and Unix connections, false over TLS. **Python:** `can_write_eof()`. */
    public fun canWriteEof(): Boolean

    /** Closes after sending what is buffered; the protocol then gets `connectionLost(null)`. **Python:** `close()`. */
    public fun close()

    /** Closes at once, dropping what is buffered. **Python:** `abort()`. */
    public fun abort()

    /** True once closing has started. **Python:** `is_closing()`. */
    public fun isClosing(): Boolean

    /** [getExtraInfo] with `null` as the default. */
    public fun getExtraInfo(name: String): Any? = getExtraInfo(name, null)

    /**
     * The same keys as `StreamWriter.getExtraInfo` (`peername`, `sockname`, `socket`, and the TLS keys), or
     * [default]. **Python:** `get_extra_info(name, default=None)`.
     */
    public fun getExtraInfo(
        name: String,
        default: Any?,
    ): Any?

    /** Stops delivering [Protocol.dataReceived] until [resumeReading]; the peer's sends then back up. **Python:** `pause_reading()`. */
    public fun pauseReading()

    /** Delivers data again after [pauseReading]. **Python:** `resume_reading()`. */
    public fun resumeReading()

    /** False while reading is paused or the connection is closing. **Python:** `is_reading()`. */
    public fun isReading(): Boolean

    /** Bytes buffered and not yet handed to the socket. **Python:** `get_write_buffer_size()`. */
    public fun getWriteBufferSize(): Long

    /**
     * Sets the marks that drive [Protocol.pauseWriting] / [Protocol.resumeWriting] (64 KiB and 16 KiB by default;
     * with one given, `low = high / 4` or `high = 4 * low`). **Python:** `set_write_buffer_limits(high, low)`.
     *
     * @throws IllegalArgumentException when `high < low` or `low < 0`.
     */
    public fun setWriteBufferLimits(
        high: Int?,
        low: Int?,
    )

    /** The marks as a two-element array: `[low, high]`. **Python:** `get_write_buffer_limits()`. */
    public fun getWriteBufferLimits(): IntArray
}
