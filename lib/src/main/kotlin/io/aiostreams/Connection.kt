package io.aiostreams

/**
 * The two ends of one connection, as returned by [openConnection]: `val (reader, writer) = openConnection(...)`.
 *
 * **Python:** the `(reader, writer)` tuple returned by `asyncio.open_connection()`.
 *
 * @property reader reads what the peer sends.
 * @property writer writes to the peer, and closes the connection.
 */
public class Connection internal constructor(
    public val reader: StreamReader,
    public val writer: StreamWriter,
) {
    /** [reader], for `val (reader, writer) = connection`. */
    public operator fun component1(): StreamReader = reader

    /** [writer], for `val (reader, writer) = connection`. */
    public operator fun component2(): StreamWriter = writer

    /** `Connection(reader=<StreamReader ...>, writer=<StreamWriter ...>)`. */
    override fun toString(): String = "Connection(reader=$reader, writer=$writer)"
}
