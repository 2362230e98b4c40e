package io.aiostreams.blocking

import io.aiostreams.Server
import io.aiostreams.checkLimit
import io.aiostreams.connectionOf
import io.aiostreams.future.StreamOptions
import io.aiostreams.internal.ConnectOptions
import io.aiostreams.internal.Connector
import io.aiostreams.internal.HandlerThreads
import io.aiostreams.internal.Listener
import io.aiostreams.internal.ServeOptions
import io.aiostreams.internal.ServerCore
import io.aiostreams.internal.ThreadCall
import io.aiostreams.internal.Wire
import io.aiostreams.serve
import io.aiostreams.serveUnix
import io.aiostreams.streamHandler
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.withContext
import java.io.IOException
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel

/**
 * The entry points for blocking code, on virtual threads (Java 21+) or plain ones: [openConnection], [startServer]
 * and their Unix and `sock` variants. Each call blocks until the connection is made or the server listens.
 *
 * Options come in a [StreamOptions], as for the future API; its `executor` is where a server runs its handlers (by
 * default a virtual thread per connection on Java 21+, a cached thread pool on Java 17; see
 * [BlockingClientHandler]).
 *
 * **Failures** are the exceptions Kotlin callers see (`java.net.ConnectException`, `javax.net.ssl.SSLException`,
 * ...). **Interrupting a thread blocked in a call cancels it** (no socket is left open) and throws
 * [InterruptedException].
 *
 * **Python:** `asyncio.open_connection`, `start_server`, `open_unix_connection`, `start_unix_server`, each as a
 * blocking call.
 */
public object BlockingStreams {
    /**
     * `asyncio.open_connection(host, port)`: see [io.aiostreams.openConnection].
     *
     * @throws IOException when no address could be connected, or the TLS handshake fails.
     * @throws InterruptedException when interrupted while connecting.
     */
    @JvmStatic
    @JvmOverloads
    @Throws(IOException::class, InterruptedException::class)
    public fun openConnection(
        host: String,
        port: Int,
        options: StreamOptions = StreamOptions(),
    ): BlockingConnection = connect(options) { Connector.tcp(host, port, options.connectOptions()) }

    /**
     * `asyncio.open_connection(sock=sock)`: a connected `SocketChannel` of yours.
     *
     * @throws IOException when the TLS handshake fails.
     * @throws InterruptedException when interrupted while connecting.
     */
    @JvmStatic
    @JvmOverloads
    @Throws(IOException::class, InterruptedException::class)
    public fun openConnection(
        sock: SocketChannel,
        options: StreamOptions = StreamOptions(),
    ): BlockingConnection = connect(options) { Connector.adopt(sock, ConnectOptions(options.tls(client = true))) }

    /**
     * `asyncio.open_unix_connection(path)`.
     *
     * @throws IOException when the socket cannot be connected, or the TLS handshake fails.
     * @throws InterruptedException when interrupted while connecting.
     */
    @JvmStatic
    @JvmOverloads
    @Throws(IOException::class, InterruptedException::class)
    public fun openUnixConnection(
        path: String,
        options: StreamOptions = StreamOptions(),
    ): BlockingConnection = connect(options) { Connector.unix(path, ConnectOptions(options.tls(client = true))) }

    /**
     * `asyncio.start_server(handler, host, port)`: every address of [host] (`null` or `""`: every interface).
     *
     * @throws IOException when an address cannot be bound.
     * @throws InterruptedException when interrupted while binding.
     */
    @JvmStatic
    @JvmOverloads
    @Throws(IOException::class, InterruptedException::class)
    public fun startServer(
        host: String?,
        port: Int,
        handler: BlockingClientHandler,
        options: StreamOptions = StreamOptions(),
    ): BlockingServer =
        listen(handler, options) { serveOptions, opener ->
            serve(Listener.tcp(host, port, serveOptions), serveOptions, opener)
        }

    /**
     * `asyncio.start_server(handler, [host1, host2], port)`: every address of every host.
     *
     * @throws IOException when an address cannot be bound.
     * @throws InterruptedException when interrupted while binding.
     */
    @JvmStatic
    @JvmOverloads
    @Throws(IOException::class, InterruptedException::class)
    public fun startServer(
        hosts: List<String>,
        port: Int,
        handler: BlockingClientHandler,
        options: StreamOptions = StreamOptions(),
    ): BlockingServer =
        listen(handler, options) { serveOptions, opener ->
            serve(Listener.tcp(hosts, port, serveOptions), serveOptions, opener)
        }

    /**
     * `asyncio.start_server(handler, sock=sock)`: a bound `ServerSocketChannel` of yours.
     *
     * @throws IOException when the channel cannot listen.
     * @throws InterruptedException when interrupted while starting.
     */
    @JvmStatic
    @JvmOverloads
    @Throws(IOException::class, InterruptedException::class)
    public fun startServer(
        sock: ServerSocketChannel,
        handler: BlockingClientHandler,
        options: StreamOptions = StreamOptions(),
    ): BlockingServer =
        listen(handler, options) { serveOptions, opener -> serve(listOf(Listener.adopt(sock)), serveOptions, opener) }

    /**
     * `asyncio.start_unix_server(handler, path)`.
     *
     * @throws IOException when the path cannot be bound.
     * @throws InterruptedException when interrupted while binding.
     */
    @JvmStatic
    @JvmOverloads
    @Throws(IOException::class, InterruptedException::class)
    public fun startUnixServer(
        path: String,
        handler: BlockingClientHandler,
        options: StreamOptions = StreamOptions(),
    ): BlockingServer =
        listen(handler, options) { serveOptions, opener ->
            serveUnix(path, serveOptions, opener, options.cleanupSocket)
        }

    private fun connect(
        options: StreamOptions,
        open: suspend () -> Wire,
    ): BlockingConnection {
        checkLimit(options.limit)
        val connection = ThreadCall.run { connectionOf(open(), options.limit) }
        return BlockingConnection(BlockingStreamReader(connection.reader), BlockingStreamWriter(connection.writer))
    }

    private fun listen(
        handler: BlockingClientHandler,
        options: StreamOptions,
        bind: suspend (ServeOptions, ServerCore.ConnectionOpener) -> Server,
    ): BlockingServer {
        checkLimit(options.limit)
        val serveOptions = options.serveOptions()
        val threads = (options.executor ?: HandlerThreads.default).asCoroutineDispatcher()
        val opener =
            streamHandler(options.limit) { r, w ->
                withContext(threads) { handler.handle(BlockingStreamReader(r), BlockingStreamWriter(w)) }
            }
        return BlockingServer(ThreadCall.run { bind(serveOptions, opener) })
    }
}
