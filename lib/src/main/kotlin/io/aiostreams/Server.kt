package io.aiostreams

import io.aiostreams.internal.ServerCore
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.withContext
import java.net.SocketAddress
import java.nio.channels.ServerSocketChannel

/**
 * A listening server made by [startServer] or [startUnixServer], with CPython's `asyncio.Server` semantics
 * (3.12.1+ for [waitClosed], 3.13 for [closeClients] / [abortClients]).
 *
 * Each accepted connection gets its own [StreamReader] and [StreamWriter] and runs the handler in its own coroutine,
 * **on the [EventLoop]'s thread, as asyncio runs it on its loop: a handler must not block** (move blocking work off the
 * loop with `withContext(Dispatchers.IO)`).
 * **A handler that throws is reported** (SLF4J logger `io.aiostreams.Server`, message `Unhandled exception in
 * client_connected_cb`, and the server's exception handler, if any) **and its connection is closed; the server keeps
 * serving.** A cancelled handler closes its connection quietly. When a handler returns, its connection is closed
 * (after what it wrote is sent): keep the handler running for as long as the connection is used.
 *
 * **While the process is out of descriptors or memory (`accept()` failing with EMFILE, ENFILE, ENOBUFS or ENOMEM),
 * the server stops accepting for one second at a time**, logging one warning per pause, as CPython does; clients
 * wait in the listen backlog meanwhile, and accepting goes on by itself once descriptors are free.
 *
 * ### Shutting down
 * [close] stops accepting and leaves live connections alone; [waitClosed] then waits until **every** connection has
 * finished. To end them, call [closeClients] (flushes, then closes) or [abortClients] (drops buffers) in between:
 * `server.close(); server.closeClients(); server.waitClosed()`. Kotlin's `use {}` calls [close].
 *
 * **Python:** `asyncio.Server`; `async with server` is [serving]. The JDK cannot bind a socket without listening, so `startServing = false` binds
 * and listens, and only accepting waits for [startServing].
 */
public class Server internal constructor(
    private val engine: ServerCore,
) : AutoCloseable {
    /**
     * The listening sockets: `java.nio.channels.ServerSocketChannel`s, **empty once the server is closed**. Use them
     * for socket options and addresses only; accepting and closing are the server's. For the addresses alone, see
     * [addresses].
     *
     * **Python:** `sockets` (socket objects there too).
     */
    public val sockets: List<ServerSocketChannel>
        get() = engine.sockets()

    /**
     * The addresses the server listens on (`java.net.InetSocketAddress`, or `java.net.UnixDomainSocketAddress`); with
     * port 0 they tell which port was picked. **Empty once the server is closed.**
     *
     * **Python:** `[s.getsockname() for s in server.sockets]`.
     */
    public val addresses: List<SocketAddress>
        get() = engine.openAddresses()

    /** True while the server accepts connections. **Python:** `is_serving()`. */
    public fun isServing(): Boolean = engine.isServing()

    /** Starts accepting connections, if not already; idempotent. **Python:** `await start_serving()`. */
    public suspend fun startServing() {
        engine.startServing()
    }

    /**
     * Serves until cancelled: starts serving if needed, then waits. **When the calling coroutine is cancelled, or when
     * [close] is called elsewhere, it closes the server, waits for [waitClosed], then throws the
     * `CancellationException`.**
     *
     * **Python:** `await serve_forever()`.
     *
     * @throws IllegalStateException `server <...> is already being awaited on serve_forever()`, or
     *   `server <...> is closed`, with CPython's messages.
     */
    public suspend fun serveForever(): Nothing = engine.serveForever { toString() }

    /**
     * Stops listening and closes the listening sockets; **live connections are left alone**. Idempotent. A Unix
     * server also removes its socket file, if it is still the one it bound.
     *
     * **Python:** `close()`.
     */
    override fun close() {
        engine.close()
    }

    /**
     * Waits until the server is closed **and** every connection it accepted has finished. Returns at once forever
     * after that.
     *
     * **Python:** `await wait_closed()` (3.12.1+ semantics).
     */
    public suspend fun waitClosed() {
        engine.waitClosed()
    }

    /** Closes every live connection, each after sending what it has buffered. **Python:** `close_clients()`. */
    public fun closeClients() {
        engine.closeClients()
    }

    /** Aborts every live connection, dropping what it has buffered. **Python:** `abort_clients()`. */
    public fun abortClients() {
        engine.abortClients()
    }

    /**
     * Runs [block] with this server, then closes it **and waits until every connection has finished** ([waitClosed]),
     * however [block] ends: CPython's `async with server:`.
     *
     * **Python:** `async with server: ...`.
     */
    public suspend fun <R> serving(block: suspend (Server) -> R): R =
        try {
            block(this)
        } finally {
            close()
            withContext(NonCancellable) { waitClosed() }
        }

    /** Python's `repr`: `<Server sockets=(...)>`, the addresses listened on; `<Server sockets=()>` once closed. */
    override fun toString(): String = "<Server sockets=(" + engine.openAddresses().joinToString(", ") + ")>"
}
