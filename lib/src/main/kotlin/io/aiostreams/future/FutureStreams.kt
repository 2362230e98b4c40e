package io.aiostreams.future

import io.aiostreams.Connection
import io.aiostreams.DEFAULT_LIMIT
import io.aiostreams.StreamReader
import io.aiostreams.StreamWriter
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.future.await
import kotlinx.coroutines.future.future
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
    /** `asyncio.open_connection(host, port, limit=limit)`: see [io.aiostreams.openConnection]. */
    @JvmStatic
    @JvmOverloads
    public fun openConnection(
        host: String,
        port: Int,
        limit: Int = DEFAULT_LIMIT,
        executor: Executor? = null,
    ): CompletableFuture<FutureConnection> =
        futureScope(executor).future(start = CoroutineStart.UNDISPATCHED) {
            view(io.aiostreams.openConnection(host, port, limit), executor)
        }

    /** `asyncio.open_unix_connection(path, limit=limit)`: see [io.aiostreams.openUnixConnection]. */
    @JvmStatic
    @JvmOverloads
    public fun openUnixConnection(
        path: String,
        limit: Int = DEFAULT_LIMIT,
        executor: Executor? = null,
    ): CompletableFuture<FutureConnection> =
        futureScope(executor).future(start = CoroutineStart.UNDISPATCHED) {
            view(io.aiostreams.openUnixConnection(path, limit), executor)
        }

    /**
     * `asyncio.start_server(handler, host, port, limit=limit)`: see [io.aiostreams.startServer] and
     * [FutureClientHandler] for what the handler's returned stage means.
     */
    @JvmStatic
    @JvmOverloads
    public fun startServer(
        host: String?,
        port: Int,
        handler: FutureClientHandler,
        limit: Int = DEFAULT_LIMIT,
        executor: Executor? = null,
    ): CompletableFuture<FutureServer> =
        futureScope(executor).future(start = CoroutineStart.UNDISPATCHED) {
            FutureServer(
                io.aiostreams.startServer(host, port, limit) { r, w ->
                    run(handler, r, w, executor)
                },
                executor,
            )
        }

    /** `asyncio.start_unix_server(handler, path, limit=limit)`: see [io.aiostreams.startUnixServer]. */
    @JvmStatic
    @JvmOverloads
    public fun startUnixServer(
        path: String,
        handler: FutureClientHandler,
        limit: Int = DEFAULT_LIMIT,
        executor: Executor? = null,
    ): CompletableFuture<FutureServer> =
        futureScope(executor).future(start = CoroutineStart.UNDISPATCHED) {
            FutureServer(io.aiostreams.startUnixServer(path, limit) { r, w -> run(handler, r, w, executor) }, executor)
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
        val stage = handler.handle(FutureStreamReader(reader, executor), FutureStreamWriter(writer, executor))
        if (stage != null) {
            stage.await()
        } else {
            // A plain callback: the connection lives until its writer is closed.
            runCatching { writer.waitClosed() }
        }
    }
}
