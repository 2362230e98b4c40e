package io.aiostreams.future

import io.aiostreams.Connection
import io.aiostreams.Server
import io.aiostreams.StreamReader
import io.aiostreams.StreamWriter
import io.aiostreams.checkLimit
import io.aiostreams.connectionOf
import io.aiostreams.internal.ConnectOptions
import io.aiostreams.internal.Connector
import io.aiostreams.internal.Listener
import io.aiostreams.internal.ServeOptions
import io.aiostreams.internal.ServerCore
import io.aiostreams.internal.Wire
import io.aiostreams.serve
import io.aiostreams.serveUnix
import io.aiostreams.streamHandler
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.future.await
import kotlinx.coroutines.future.future
import kotlinx.coroutines.withContext
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.util.concurrent.CompletableFuture
import java.util.concurrent.Executor

/**
 * The entry points for Java: [openConnection], [startServer], [openUnixConnection] and [startUnixServer], returning
 * futures of [FutureConnection] and [FutureServer].
 *
 * ### Threads
 * A returned future completes on the thread that finished the work: the caller's own thread when nothing had to be
 * waited for, otherwise the `executor` given, or a thread of `Dispatchers.Default` when none is given. Callbacks
 * attached to it (`thenApply`, ...) run there too; attach them with `...Async(fn, executor)` to choose. A server
 * handler is called on such a thread as well, and must not block it.
 *
 * ### Failures and cancellation
 * Futures complete exceptionally with the exceptions Kotlin callers see (`java.net.ConnectException`,
 * `IncompleteReadError`, ...). Cancelling a future cancels the operation; a cancelled connect leaves no socket open.
 *
 * **Python:** `asyncio.open_connection`, `start_server`, `open_unix_connection`, `start_unix_server`.
 */
public object FutureStreams {
    /** `asyncio.open_connection(host, port)`: see [io.aiostreams.openConnection]. */
    @JvmStatic
    @JvmOverloads
    public fun openConnection(
        host: String,
        port: Int,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureConnection> = connect(options) { Connector.tcp(host, port, options.connectOptions()) }

    /** `asyncio.open_unix_connection(path)`: see [io.aiostreams.openUnixConnection]. */
    @JvmStatic
    @JvmOverloads
    public fun openUnixConnection(
        path: String,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureConnection> =
        connect(options) { Connector.unix(path, ConnectOptions(options.tls(client = true))) }

    /** `asyncio.open_connection(sock=sock)`: see [io.aiostreams.openConnection] for a `SocketChannel`. */
    @JvmStatic
    @JvmOverloads
    public fun openConnection(
        sock: SocketChannel,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureConnection> =
        connect(options) { Connector.adopt(sock, ConnectOptions(options.tls(client = true))) }

    /**
     * `asyncio.start_server(handler, host, port)`: see [io.aiostreams.startServer] and [FutureClientHandler] for what
     * the handler's returned stage means.
     */
    @JvmStatic
    @JvmOverloads
    public fun startServer(
        host: String?,
        port: Int,
        handler: FutureClientHandler,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureServer> =
        listen(handler, options) { serveOptions, opener ->
            serve(Listener.tcp(host, port, serveOptions), serveOptions, opener)
        }

    /** `asyncio.start_server(handler, [host1, host2], port)`: every address of every host. */
    @JvmStatic
    @JvmOverloads
    public fun startServer(
        hosts: List<String>,
        port: Int,
        handler: FutureClientHandler,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureServer> =
        listen(handler, options) { serveOptions, opener ->
            serve(Listener.tcp(hosts, port, serveOptions), serveOptions, opener)
        }

    /** `asyncio.start_unix_server(handler, path)`: see [io.aiostreams.startUnixServer]. */
    @JvmStatic
    @JvmOverloads
    public fun startUnixServer(
        path: String,
        handler: FutureClientHandler,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureServer> =
        listen(handler, options) { serveOptions, opener ->
            serveUnix(path, serveOptions, opener, options.cleanupSocket)
        }

    /** `asyncio.start_server(handler, sock=sock)`: see [io.aiostreams.startServer] for a `ServerSocketChannel`. */
    @JvmStatic
    @JvmOverloads
    public fun startServer(
        sock: ServerSocketChannel,
        handler: FutureClientHandler,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureServer> =
        listen(handler, options) { serveOptions, opener -> serve(listOf(Listener.adopt(sock)), serveOptions, opener) }

    /** Every client call: options checked first, then the connector's wire as a connection for Java. */
    private fun connect(
        options: StreamOptions,
        open: suspend () -> Wire,
    ): CompletableFuture<FutureConnection> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            checkLimit(options.limit)
            view(connectionOf(open(), options.limit), options.executor)
        }

    /** Every server call: options checked first, then the listener serving Java handlers. */
    private fun listen(
        handler: FutureClientHandler,
        options: StreamOptions,
        bind: suspend (ServeOptions, ServerCore.ConnectionOpener) -> Server,
    ): CompletableFuture<FutureServer> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            checkLimit(options.limit)
            val opener = streamHandler(options.limit) { r, w -> run(handler, r, w, options.executor) }
            FutureServer(bind(options.serveOptions(), opener), options.executor)
        }

    private fun view(
        connection: Connection,
        executor: Executor?,
    ) = FutureConnection(
        FutureStreamReader(connection.reader, executor),
        FutureStreamWriter(connection.writer, executor),
    )

    private suspend fun run(
        handler: FutureClientHandler,
        reader: StreamReader,
        writer: StreamWriter,
        executor: Executor?,
    ) {
        // Java callbacks may block (join()): never on the event loop's thread.
        val stage =
            withContext(executor?.asCoroutineDispatcher() ?: Dispatchers.Default) {
                handler.handle(FutureStreamReader(reader, executor), FutureStreamWriter(writer, executor))
            }
        if (stage != null) {
            stage.await()
        } else {
            // A plain callback: the connection lives until its writer is closed.
            runCatching { writer.waitClosed() }
        }
    }
}
