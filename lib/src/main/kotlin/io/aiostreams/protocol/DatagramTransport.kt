package io.aiostreams.protocol

import java.net.SocketAddress

/**
 * A UDP endpoint as its [DatagramProtocol] sees it: CPython's `asyncio.DatagramTransport`. Nothing here suspends;
 * datagrams are queued and sent in the background.
 *
 * **Python:** `asyncio.DatagramTransport`.
 */
public interface DatagramTransport {
    /** [sendTo] to the endpoint's remote address (a connected endpoint). */
    public fun sendTo(data: ByteArray): Unit = sendTo(data, null)

    /**
     * Queues one datagram to [address], or to the remote address of a connected endpoint when [address] is `null`.
     * **Dropped once the endpoint is closing.** A failure to send is reported to
     * [DatagramProtocol.errorReceived]. **On an unconnected endpoint, no address is fatal**, as in CPython: the endpoint
     * is lost and [DatagramProtocol.connectionLost] gets an `IllegalArgumentException`.
     *
     * **Python:** `sendto(data, addr=None)`.
     *
     * @throws IllegalArgumentException `Invalid address: must be None or <remote>` when a connected endpoint is given
     *   another address (CPython's message).
     */
    public fun sendTo(
        data: ByteArray,
        address: SocketAddress?,
    )

    /** Closes after sending what is queued; the protocol then gets `connectionLost(null)`. **Python:** `close()`. */
    public fun close()

    /** Closes at once, dropping what is queued. **Python:** `abort()`. */
    public fun abort()

    /** True once closing has started. **Python:** `is_closing()`. */
    public fun isClosing(): Boolean

    /** [getExtraInfo] with `null` as the default. */
    public fun getExtraInfo(name: String): Any? = getExtraInfo(name, null)

    /** `sockname`, `peername` (connected endpoints), `socket` (the `DatagramChannel`), or [default]. **Python:** `get_extra_info`. */
    public fun getExtraInfo(
        name: String,
        default: Any?,
    ): Any?

    /** Bytes queued and not yet sent. **Python:** `get_write_buffer_size()`. */
    public fun getWriteBufferSize(): Long

    /**
     * Sets the marks of the send queue: [DatagramProtocol.pauseWriting] is called once more than [high] bytes wait,
     * [DatagramProtocol.resumeWriting] once [low] or fewer do. With only one given, CPython's rule makes the other
     * (`low = high / 4`, `high = 4 * low`); with neither, 64 and 16 KiB.
     *
     * **Python:** `set_write_buffer_limits(high=None, low=None)`.
     *
     * @throws IllegalArgumentException `high (h) must be >= low (l) must be >= 0`.
     */
    public fun setWriteBufferLimits(
        high: Int?,
        low: Int?,
    )

    /** The marks as `[low, high]`. **Python:** `get_write_buffer_limits()`. */
    public fun getWriteBufferLimits(): IntArray
}
