package io.aiostreams.internal

import io.aiostreams.Connection
import io.aiostreams.StreamReader
import io.aiostreams.StreamWriter
import io.ktor.network.selector.Selectable
import io.ktor.network.selector.SelectorManager
import io.ktor.network.sockets.Socket
import io.ktor.network.sockets.openReadChannel
import io.ktor.network.sockets.openWriteChannel
import io.ktor.network.sockets.toJavaAddress
import io.ktor.utils.io.ByteReadChannel
import io.ktor.utils.io.ByteWriteChannel
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancel

/** The one selector loop every socket of the process shares (CPython's one event loop). */
internal object Selector {
    val manager: SelectorManager by lazy { SelectorManager(Dispatchers.IO) }
}

/**
 * A connected byte stream, whatever made it: its two channels, what `getExtraInfo` reports, and how to close it
 * ([close] with `abort = false` after the output channel was flushed and closed; `abort = true` to cut it off).
 */
internal class Endpoint(
    val input: ByteReadChannel,
    val output: ByteWriteChannel,
    val extra: Map<String, Any?>,
    /** False over TLS: a TLS stream cannot half-close, and the peer's end of stream ends the connection. */
    val canWriteEof: Boolean = true,
    private val closer: suspend (abort: Boolean) -> Unit,
) {
    suspend fun close(abort: Boolean) = closer(abort)
}

/** A connected Ktor socket as an endpoint. */
internal fun endpointOf(socket: Socket): Endpoint =
    Endpoint(
        socket.openReadChannel(),
        socket.openWriteChannel(),
        mapOf(
            "peername" to runCatching { socket.remoteAddress.toJavaAddress() }.getOrNull(),
            "sockname" to runCatching { socket.localAddress.toJavaAddress() }.getOrNull(),
            "socket" to (socket as? Selectable)?.channel,
        ),
    ) { abort: Boolean ->
        // Ktor frees the descriptor only with close() first and, to cut a stuck flush short, cancel() after it.
        socket.close()
        if (abort) socket.socketContext.cancel()
        socket.socketContext.join()
    }

/** Any channel pair as an endpoint: closing cancels the input (the output is closed by the transport). */
internal fun endpointOf(
    input: ByteReadChannel,
    output: ByteWriteChannel,
): Endpoint =
    Endpoint(input, output, emptyMap()) { abort: Boolean ->
        if (abort) output.cancel(null)
        input.cancel(null)
    }

/** Reader, writer and transport over [endpoint]; the transport starts pumping at once. */
internal fun connectionOf(
    endpoint: Endpoint,
    limit: Int,
    serverSide: Boolean = false,
): Connection {
    val reader = StreamReader(limit)
    val transport = StreamTransport(endpoint, ReaderSink(reader.core), serverSide)
    val writer = StreamWriter(transport, reader)
    transport.start()
    return Connection(reader, writer)
}
