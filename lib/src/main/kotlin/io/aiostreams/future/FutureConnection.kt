package io.aiostreams.future

/**
 * A connection seen from Java: its [reader] and [writer], as [FutureStreams.openConnection] returns them.
 *
 * **Python:** the `(reader, writer)` tuple of `asyncio.open_connection()`.
 */
public class FutureConnection internal constructor(
    /** Reads what the peer sends. */
    public val reader: FutureStreamReader,
    /** Writes to the peer, and closes the connection. */
    public val writer: FutureStreamWriter,
)
