package io.aiostreams.blocking

/**
 * A connection for blocking code: its [reader] and [writer], as [BlockingStreams.openConnection] returns them.
 * Closing it closes the [writer] (after what was written is sent), so try-with-resources works.
 *
 * **Python:** the `(reader, writer)` tuple of `asyncio.open_connection()`.
 */
public class BlockingConnection internal constructor(
    /** Reads what the peer sends. */
    public val reader: BlockingStreamReader,
    /** Writes to the peer, and closes the connection. */
    public val writer: BlockingStreamWriter,
) : AutoCloseable {
    /** Closes the [writer]; see [BlockingStreamWriter.close]. */
    override fun close() {
        writer.close()
    }
}
