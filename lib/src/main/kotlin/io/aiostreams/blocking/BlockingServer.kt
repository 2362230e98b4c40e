package io.aiostreams.blocking

import io.aiostreams.Server
import io.aiostreams.internal.ThreadCall
import java.net.SocketAddress
import java.nio.channels.ServerSocketChannel

/**
 * A [Server] for blocking code. [serveForever], [startServing] and [waitClosed] block the calling thread;
 * **interrupting [serveForever] closes the server**, as cancelling `serve_forever()` does in Python.
 *
 * **Python:** `asyncio.Server`.
 */
public class BlockingServer internal constructor(
    /** The Kotlin server behind this view. */
    public val server: Server,
) : AutoCloseable {
    /** [Server.sockets]: the listening channels; empty once closed. */
    public val sockets: List<ServerSocketChannel>
        get() = server.sockets

    /** [Server.addresses]: the addresses listened on; empty once closed. */
    public val addresses: List<SocketAddress>
        get() = server.addresses

    /** [Server.isServing]. */
    public fun isServing(): Boolean = server.isServing()

    /**
     * [Server.startServing]: starts accepting connections.
     *
     * @throws InterruptedException when interrupted while waiting.
     */
    @Throws(InterruptedException::class)
    public fun startServing() {
        ThreadCall.run { server.startServing() }
    }

    /**
     * [Server.serveForever]: serves until the server is closed (then throws
     * `java.util.concurrent.CancellationException`) or the thread is interrupted (then closes the server and throws
     * [InterruptedException]).
     *
     * @throws IllegalStateException when already serving forever, or closed.
     */
    @Throws(InterruptedException::class)
    public fun serveForever() {
        ThreadCall.run { server.serveForever() }
    }

    /** [Server.close]: stops listening; live connections are left alone. */
    override fun close() {
        server.close()
    }

    /**
     * [Server.waitClosed]: blocks until the server is closed and every connection has finished.
     *
     * @throws InterruptedException when interrupted while waiting.
     */
    @Throws(InterruptedException::class)
    public fun waitClosed() {
        ThreadCall.run { server.waitClosed() }
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
