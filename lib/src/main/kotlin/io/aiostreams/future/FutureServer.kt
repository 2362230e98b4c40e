package io.aiostreams.future

import io.aiostreams.Server
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.future.future
import java.net.SocketAddress
import java.nio.channels.ServerSocketChannel
import java.util.concurrent.CompletableFuture
import java.util.concurrent.Executor

/**
 * A [Server] seen from Java. [serveForever], [startServing] and [waitClosed] return futures; **cancelling the future
 * of [serveForever] closes the server**, as cancelling `serve_forever()` does in Python.
 *
 * **Python:** `asyncio.Server`.
 */
public class FutureServer internal constructor(
    /** The Kotlin server behind this view. */
    public val server: Server,
    executor: Executor?,
) : AutoCloseable {
    private val scope = futureScope(executor)

    /** [Server.sockets]: the listening channels; empty once closed. */
    public val sockets: List<ServerSocketChannel>
        get() = server.sockets

    /** [Server.addresses]: the addresses listened on; empty once closed. */
    public val addresses: List<SocketAddress>
        get() = server.addresses

    /** [Server.isServing]. */
    public fun isServing(): Boolean = server.isServing()

    /** [Server.startServing]. */
    public fun startServing(): CompletableFuture<Void?> =
        scope.future(start = CoroutineStart.UNDISPATCHED) {
            server.startServing()
            null
        }

    /**
     * [Server.serveForever]: never completes normally; completes exceptionally with `IllegalStateException` when
     * already serving forever or closed, and is cancelled when the server is closed.
     */
    public fun serveForever(): CompletableFuture<Void?> = scope.future(start = CoroutineStart.UNDISPATCHED) {
        server.serveForever()
    }

    /** [Server.close]: stops listening; live connections are left alone. */
    override fun close() {
        server.close()
    }

    /** [Server.waitClosed]: completes once closed and every connection has finished. */
    public fun waitClosed(): CompletableFuture<Void?> =
        scope.future(start = CoroutineStart.UNDISPATCHED) {
            server.waitClosed()
            null
        }

    /** [Server.closeClients]. */
    public fun closeClients() {
        server.closeClients()
    }

    /** [Server.abortClients]. */
    public fun abortClients() {
        server.abortClients()
    }

    /** The server's repr: `<Server sockets=(...)>`. */
    override fun toString(): String = server.toString()
}
