package io.aiostreams.blocking

/**
 * What a blocking server runs for each connection, on a thread of its own: `(reader, writer) -> { ... }`.
 *
 * **When [handle] returns, the connection is closed** (after what was written is sent); **when it throws, the
 * exception is reported** (log and the options' exception handler) and the connection is closed.
 *
 * **Threads:** on Java 21+ each connection gets a new virtual thread, so thousands of blocked handlers cost little;
 * on Java 17 each gets a thread of a cached pool. The options' `executor` overrides both (a fixed pool bounds how
 * many connections are handled at once; the others wait for a thread).
 *
 * **Python:** `client_connected_cb(reader, writer)`, written as blocking code.
 */
public fun interface BlockingClientHandler {
    /** Handles one connection; see the type's documentation. */
    @Throws(Exception::class)
    public fun handle(
        reader: BlockingStreamReader,
        writer: BlockingStreamWriter,
    )
}
