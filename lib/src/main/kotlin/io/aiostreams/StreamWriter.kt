package io.aiostreams

import io.aiostreams.internal.Loggers
import io.aiostreams.internal.StreamTransport
import io.aiostreams.internal.TlsConfig
import io.aiostreams.internal.TransportView
import io.aiostreams.protocol.Transport
import java.lang.ref.Cleaner
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLParameters
import kotlin.time.Duration

/**
 * Writes to one connection, with CPython's `asyncio.StreamWriter` semantics.
 *
 * [write] and [writeLines] **never suspend**: they append to a write buffer that a background coroutine sends. Call
 * [drain] after writing to wait while that buffer is above its high-water mark (64 KiB by default; see
 * [setWriteBufferLimits]): that is how a fast writer is slowed to the pace of a slow peer.
 *
 * ### Closing
 * [close] sends what is buffered and then closes the connection; [waitClosed] waits for that, and **throws the
 * connection's error if it was lost with one** (a reset, say). [abort] drops the buffer and closes at once.
 * [writeEof] half-closes: the peer sees end of stream and can still send back.
 *
 * ### Writes after the end
 * **After [close], writes are still sent while what was buffered before is being flushed; once the connection is
 * lost (or aborted, or closed with nothing left to flush), they are dropped silently**, as CPython's transport does;
 * [drain] is where the loss shows (`Connection lost`, or the reader's error). A write after [writeEof] throws.
 *
 * ### A writer dropped without [close]
 * **A writer that becomes unreachable while its connection is open closes it**, with the warning `unclosed
 * <StreamWriter ...>` on the SLF4J logger `io.aiostreams.StreamWriter`, as CPython's `ResourceWarning`. Keep the writer
 * (or the [Connection]) for as long as the connection is used, even when only reading.
 *
 * **Python:** `asyncio.StreamWriter`. `get_extra_info` keys give JDK types.
 * Over TLS, [close] sends close_notify and waits for the peer's (or its end of stream) up to `sslShutdownTimeout`;
 * **past it the connection is aborted and [waitClosed] throws `java.net.SocketTimeoutException("SSL shutdown timed
 * out")`**, CPython's `TimeoutError`. A TLS failure after the handshake is reported as the `javax.net.ssl.SSLException`
 * itself.
 */
public class StreamWriter internal constructor(
    @get:JvmSynthetic
    internal val core: StreamTransport,
    private val reader: StreamReader,
) : AutoCloseable {
    /**
     * The connection's transport, for what the writer itself does not offer: pausing and resuming reading
     * (`pauseReading`, `resumeReading`, `isReading`) and the write buffer's marks (`getWriteBufferLimits`).
     *
     * **Python:** `writer.transport`.
     */
    public val transport: Transport = TransportView(core)

    init {
        // CPython's StreamWriter.__del__: a writer dropped while its connection is open closes it, with a warning.
        unclosedWriters.register(this, UnclosedWriter(core))
    }

    /**
     * Buffers [data] to be sent. Never suspends; empty data is ignored.
     *
     * **Dropped silently once the connection is closing or lost**, as in CPython.
     *
     * **Python:** `write(data)`.
     *
     * @throws IllegalStateException `Cannot call write() after write_eof()`.
     */
    public fun write(data: ByteArray) {
        core.write(data, "write")
    }

    /**
     * Buffers every array of [lines], in order, as one write. Never suspends.
     *
     * **Python:** `writelines(data)`.
     *
     * @throws IllegalStateException `Cannot call writelines() after write_eof()`.
     */
    public fun writeLines(lines: Iterable<ByteArray>) {
        core.write(TransportView.joined(lines), "writelines")
    }

    /**
     * Waits until the write buffer is at or below its low-water mark, when it was above its high-water mark;
     * **returns at once, without suspending, otherwise**.
     *
     * Checks in CPython's order: **the reader's stored exception is thrown first** (a reset seen while reading, say);
     * then, once the connection is lost (or aborted, or closed with nothing left to flush),
     * `java.net.SocketException("Connection lost")`. **After [close], while buffered data is still being sent, it waits
     * as before and returns normally once the data is flushed and the connection closed cleanly.** A connection lost
     * with an error while waiting throws that error. Several coroutines may drain at once; all are released together.
     *
     * **Cancellation:** cancelling a waiting drain leaves the buffer as it is.
     *
     * **Python:** `await drain()`; `ConnectionResetError('Connection lost')` is a `SocketException` here.
     *
     * @throws java.io.IOException when the connection is lost, as described above.
     */
    public suspend fun drain() {
        core.drain(reader.exception())
    }

    /** True for TCP and Unix connections, false over TLS. **Python:** `can_write_eof()`. */
    public fun canWriteEof(): Boolean = core.canWriteEof

    /**
     * Half-closes the connection once the buffer is sent: **the peer reads end of stream, and can still send back**,
     * which this side keeps reading. Does nothing when the connection is closing or EOF was already written.
     *
     * **Python:** `write_eof()`.
     *
     * @throws UnsupportedOperationException over TLS, which cannot half-close (Python raises `NotImplementedError`).
     */
    public fun writeEof() {
        core.writeEof()
    }

    /**
     * Closes the connection after sending what is buffered; idempotent. [isClosing] is true at once; reading stops at
     * once, and the reader then sees end of stream. Wait for the end with [waitClosed].
     *
     * **Python:** `close()`.
     */
    override fun close() {
        core.close()
    }

    /** True once [close] or [abort] was called, or the connection was lost. **Python:** `is_closing()`. */
    public fun isClosing(): Boolean = core.isClosing()

    /**
     * Waits until the connection is closed. It does not close it: call [close] first. May be called many times.
     *
     * **If the connection was lost with an error, throws that error**, e.g. a `java.net.SocketException` for a reset.
     *
     * **Python:** `await wait_closed()`.
     *
     * @throws java.io.IOException the error the connection was lost with.
     */
    public suspend fun waitClosed() {
        core.closed.await()
    }

    /**
     * Closes the connection at once, **dropping whatever is buffered**; the reader sees end of stream.
     *
     * **Python:** `transport.abort()`.
     */
    public fun abort() {
        core.abort()
    }

    /**
     * Information about the connection, or [default] when [name] is unknown here: `"peername"` and `"sockname"`
     * (a `java.net.InetSocketAddress`, or a `java.net.UnixDomainSocketAddress` for Unix sockets), and `"socket"` (the
     * `java.nio.channels.SocketChannel`; use it for socket options only, never to read or write). Over TLS also
     * `"sslcontext"` (the `javax.net.ssl.SSLContext`), `"ssl_object"` (the `javax.net.ssl.SSLSession`), `"peercert"`
     * (the peer's `java.security.cert.X509Certificate`, or `null`), `"cipher"` (a list: suite name, protocol, secret
     * bits) and `"compression"` (always `null`).
     *
     * **Python:** `get_extra_info(name, default=None)`, with JDK types instead of tuples and socket objects.
     */
    @JvmOverloads
    public fun getExtraInfo(
        name: String,
        default: Any? = null,
    ): Any? = if (core.hasExtraInfo(name)) core.extraInfo(name) else default

    /** Bytes written but not yet handed to the socket. **Python:** `transport.get_write_buffer_size()`. */
    public fun getWriteBufferSize(): Long = core.writeBufferSize()

    /**
     * Sets the write buffer's marks: [drain] waits once more than [high] bytes are buffered, until [low] or fewer are.
     * With only one given, CPython's rule makes the other: `low = high / 4`, `high = 4 * low`; with neither, 64 KiB and
     * 16 KiB.
     *
     * **Python:** `transport.set_write_buffer_limits(high=None, low=None)`.
     *
     * @throws IllegalArgumentException when `high < low` or `low < 0`.
     */
    @JvmOverloads
    public fun setWriteBufferLimits(
        high: Int? = null,
        low: Int? = null,
    ) {
        core.setWriteBufferLimits(high, low)
    }

    /**
     * Upgrades this open plain connection to TLS (STARTTLS): waits until what was written is sent, then runs the
     * handshake, **as the server when the connection was accepted by [startServer], as the client otherwise**.
     * On the server side, bytes the reader already holds (an early ClientHello) are handed to TLS, as CPython 3.14
     * does; on the client side they stay readable as plaintext. Afterwards every read and write is encrypted and
     * [getExtraInfo] reports the TLS keys. A connection that speaks TLS already can start TLS again inside it (through
     * a TLS proxy, say), as in CPython.
     *
     * **A failed or timed-out handshake aborts the connection** and throws (`javax.net.ssl.SSLHandshakeException`,
     * `java.net.SocketTimeoutException`).
     *
     * **Python:** `await start_tls(sslcontext, server_hostname=..., ssl_handshake_timeout=...,
     * ssl_shutdown_timeout=...)`.
     *
     * @param serverHostname the name a client verifies and sends as SNI. **Without one, a client verifies the
     *   certificate chain but no host name**, as CPython's `start_tls` does.
     * @param suppressRaggedEofs as for [openConnection]: true (the default) makes a peer's TCP end of stream without
     *   close_notify a clean end of stream.
     * @throws IllegalArgumentException CPython's messages for non-positive timeouts.
     * @throws IllegalStateException when the connection is closing.
     */
    public suspend fun startTls(
        sslContext: SSLContext,
        serverHostname: String? = null,
        sslParameters: SSLParameters? = null,
        sslHandshakeTimeout: Duration? = null,
        sslShutdownTimeout: Duration? = null,
        suppressRaggedEofs: Boolean = true,
    ) {
        val config =
            TlsConfig.of(
                sslContext,
                serverHostname,
                sslParameters,
                sslHandshakeTimeout,
                sslShutdownTimeout,
                suppressRaggedEofs,
            )!!
        drain()
        core.upgrade(handOverBuffered = core.serverSide) { raw, early ->
            config.secure(raw, core.serverSide, serverHostname, 0, early)
        }
    }

    /** Python's `repr`: `<StreamWriter transport=... reader=...>`. */
    override fun toString(): String = "<StreamWriter transport=$core reader=$reader>"
}

/** Closes the connection of a writer that became unreachable without [StreamWriter.close] (CPython's `__del__`). */
private class UnclosedWriter(
    private val core: StreamTransport,
) : Runnable {
    override fun run() {
        if (core.isClosing()) return
        Loggers.transport.warn("unclosed <StreamWriter transport={}>", core)
        core.close()
    }
}

private val unclosedWriters: Cleaner = Cleaner.create()
