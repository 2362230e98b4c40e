package io.aiostreams.future

import io.aiostreams.Connection
import io.aiostreams.StreamReader
import io.aiostreams.StreamWriter
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
    ): CompletableFuture<FutureConnection> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            val connection =
                io.aiostreams.openConnection(
                    host,
                    port,
                    options.limit,
                    options.ssl,
                    options.serverHostname,
                    options.sslParameters,
                    options.sslHandshakeTimeout,
                    options.sslShutdownTimeout,
                    options.suppressRaggedEofs,
                    options.localAddress,
                    options.happyEyeballsDelay,
                    options.interleave,
                    options.family,
                    options.allErrors,
                )
            view(connection, options.executor)
        }

    /** `asyncio.open_unix_connection(path)`: see [io.aiostreams.openUnixConnection]. */
    @JvmStatic
    @JvmOverloads
    public fun openUnixConnection(
        path: String,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureConnection> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            val connection =
                io.aiostreams.openUnixConnection(
                    path,
                    options.limit,
                    options.ssl,
                    options.serverHostname,
                    options.sslParameters,
                    options.sslHandshakeTimeout,
                    options.sslShutdownTimeout,
                    options.suppressRaggedEofs,
                )
            view(connection, options.executor)
        }

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
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            val server =
                io.aiostreams.startServer(
                    host,
                    port,
                    options.limit,
                    options.backlog,
                    options.reuseAddress,
                    options.reusePort,
                    options.keepAlive,
                    options.family,
                    startServing = options.startServing,
                    ssl = options.ssl,
                    sslParameters = options.sslParameters,
                    sslHandshakeTimeout = options.sslHandshakeTimeout,
                    sslShutdownTimeout = options.sslShutdownTimeout,
                    suppressRaggedEofs = options.suppressRaggedEofs,
                    exceptionHandler = options.kotlinExceptionHandler(),
                ) { r, w -> run(handler, r, w, options.executor) }
            FutureServer(server, options.executor)
        }

    /** `asyncio.start_unix_server(handler, path)`: see [io.aiostreams.startUnixServer]. */
    @JvmStatic
    @JvmOverloads
    public fun startUnixServer(
        path: String,
        handler: FutureClientHandler,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureServer> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            val server =
                io.aiostreams.startUnixServer(
                    path,
                    options.limit,
                    options.backlog,
                    startServing = options.startServing,
                    ssl = options.ssl,
                    sslParameters = options.sslParameters,
                    sslHandshakeTimeout = options.sslHandshakeTimeout,
                    sslShutdownTimeout = options.sslShutdownTimeout,
                    suppressRaggedEofs = options.suppressRaggedEofs,
                    cleanupSocket = options.cleanupSocket,
                    exceptionHandler = options.kotlinExceptionHandler(),
                ) { r, w -> run(handler, r, w, options.executor) }
            FutureServer(server, options.executor)
        }

    /** `asyncio.open_connection(sock=sock)`: see [io.aiostreams.openConnection] for a `SocketChannel`. */
    @JvmStatic
    @JvmOverloads
    public fun openConnection(
        sock: SocketChannel,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureConnection> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            val connection =
                io.aiostreams.openConnection(
                    sock,
                    options.limit,
                    options.ssl,
                    options.serverHostname,
                    options.sslParameters,
                    options.sslHandshakeTimeout,
                    options.sslShutdownTimeout,
                    options.suppressRaggedEofs,
                )
            view(connection, options.executor)
        }

    /** `asyncio.start_server(handler, sock=sock)`: see [io.aiostreams.startServer] for a `ServerSocketChannel`. */
    @JvmStatic
    @JvmOverloads
    public fun startServer(
        sock: ServerSocketChannel,
        handler: FutureClientHandler,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureServer> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            val server =
                io.aiostreams.startServer(
                    sock,
                    options.limit,
                    options.keepAlive,
                    startServing = options.startServing,
                    ssl = options.ssl,
                    sslParameters = options.sslParameters,
                    sslHandshakeTimeout = options.sslHandshakeTimeout,
                    sslShutdownTimeout = options.sslShutdownTimeout,
                    suppressRaggedEofs = options.suppressRaggedEofs,
                    exceptionHandler = options.kotlinExceptionHandler(),
                ) { r, w -> run(handler, r, w, options.executor) }
            FutureServer(server, options.executor)
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
