package io.aiostreams.protocol

/**
 * The callbacks of one stream connection, for code that reacts to data rather than reading it: CPython's
 * `asyncio.Protocol`. Every method has an empty default, so an implementation (in Kotlin or Java) overrides only
 * what it needs.
 *
 * ### Order
 * Callbacks come one at a time, never concurrently, in this order: [connectionMade] once; [dataReceived] any number
 * of times; [eofReceived] at most once (the peer's end of stream); [connectionLost] exactly once, last.
 * [pauseWriting] and [resumeWriting] come in pairs between [connectionMade] and [connectionLost].
 *
 * ### Threads
 * **Callbacks run on the [io.aiostreams.EventLoop]'s thread, one at a time across every connection and endpoint**, as
 * asyncio runs them on its loop: state shared by the protocols of several connections (a chat server's list of
 * clients) needs no lock when only callbacks touch it. **A callback must not block**: it would hold up every
 * connection. Calling the [Transport] from a callback is fine; a transport called from another thread runs the
 * callbacks it causes ([pauseWriting], say) on the loop soon after.
 *
 * ### Failures
 * **A callback that throws is reported** (SLF4J logger `io.aiostreams.Server`, and a server's exception handler).
 * **When it was [dataReceived] or [eofReceived], the connection is also aborted** (CPython's `Fatal error:
 * protocol.data_received() call failed.`), and [connectionLost] receives that exception; any other failing callback
 * ([connectionMade], [pauseWriting], [resumeWriting]) is reported and the connection goes on, as in CPython.
 *
 * **Python:** `asyncio.Protocol` (with `BaseProtocol`'s `pause_writing` / `resume_writing`), on one loop per process.
 */
public interface Protocol {
    /** The connection is open; [transport] writes to it and closes it. **Python:** `connection_made(transport)`. */
    public fun connectionMade(transport: Transport) {}

    /** Bytes arrived, in order; their size depends on the network. **Python:** `data_received(data)`. */
    public fun dataReceived(data: ByteArray) {}

    /**
     * The peer half-closed its side. **Return true to keep the connection open for writing** (then close it
     * yourself); return false (the default) to close it now. **Python:** `eof_received()`, where `None` means false.
     */
    public fun eofReceived(): Boolean = false

    /**
     * The connection is closed: cleanly when [exception] is `null` (end of stream, or closed by this side), otherwise
     * with that error (a reset, a TLS failure, an exception thrown by a callback). Called exactly once, last.
     * **Python:** `connection_lost(exc)`.
     */
    public fun connectionLost(exception: Throwable?) {}

    /** The transport's write buffer went above its high-water mark: stop writing for now. **Python:** `pause_writing()`. */
    public fun pauseWriting() {}

    /** The write buffer drained to its low-water mark: writing may go on. **Python:** `resume_writing()`. */
    public fun resumeWriting() {}
}
