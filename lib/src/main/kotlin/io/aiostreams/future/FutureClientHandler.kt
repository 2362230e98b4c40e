package io.aiostreams.future

import java.util.concurrent.CompletionStage

/**
 * What a Java server runs for each connection: `(reader, writer) -> stage`.
 *
 * **Return a [CompletionStage] to say when you are done with the connection**: when it completes, the connection is
 * closed (after what was written is sent); when it completes exceptionally, the error is reported and the connection
 * is closed. **Return `null` for a plain callback**: the connection then stays open until you close the writer.
 *
 * **It is called on the `StreamOptions` executor, or on `Dispatchers.Default`, never on the event loop**, so it may
 * block (`join()`); a server whose handlers block needs an executor with a thread for each of them. The one
 * exception is an executor that runs tasks in place (`Runnable::run`): the handler then runs on the event loop and
 * must never block.
 *
 * **Python:** `client_connected_cb(reader, writer)`, a coroutine function (a stage here) or a plain function (`null`).
 */
public fun interface FutureClientHandler {
    /** Handles one connection; see the type's documentation for what the returned stage means. */
    public fun handle(
        reader: FutureStreamReader,
        writer: FutureStreamWriter,
    ): CompletionStage<*>?
}
