package io.aiostreams.protocol

import java.net.SocketAddress

/**
 * The callbacks of a UDP endpoint: CPython's `asyncio.DatagramProtocol`. Every method has an empty default.
 *
 * Callbacks come one at a time, never concurrently: [connectionMade] once, then [datagramReceived] and
 * [errorReceived] in any number, then [connectionLost] once, last. **They run on the event loop's thread, one at a
 * time across every endpoint and connection**, as asyncio runs them, and must not block. A callback that throws is reported and the endpoint aborted; [connectionLost] gets the error.
 *
 * **Python:** `asyncio.DatagramProtocol`.
 */
public interface DatagramProtocol {
    /** The endpoint is ready; [transport] sends datagrams. **Python:** `connection_made(transport)`. */
    public fun connectionMade(transport: DatagramTransport) {}

    /** A datagram arrived from [address] (a `java.net.InetSocketAddress`). **Python:** `datagram_received(data, addr)`. */
    public fun datagramReceived(
        data: ByteArray,
        address: SocketAddress,
    ) {}

    /**
     * A send or receive failed (an ICMP "port unreachable" on a connected endpoint, say). **The endpoint stays
     * open.** **Python:** `error_received(exc)`.
     */
    public fun errorReceived(exception: Exception) {}

    /** The endpoint is closed, cleanly (`null`) or with an error. **Python:** `connection_lost(exc)`. */
    public fun connectionLost(exception: Throwable?) {}

    /**
     * More than the high-water mark of datagrams waits to be sent: stop sending for now. A failure here is reported,
     * not fatal. **Python:** `pause_writing()`.
     */
    public fun pauseWriting() {}

    /** What waits to be sent fell to the low-water mark: sending may go on. **Python:** `resume_writing()`. */
    public fun resumeWriting() {}
}
