package io.aiostreams.internal

import io.aiostreams.Connection
import io.aiostreams.StreamReader
import io.aiostreams.StreamWriter
import io.ktor.network.selector.Selectable
import io.ktor.network.sockets.Socket
import io.ktor.network.sockets.openReadChannel
import io.ktor.network.sockets.openWriteChannel
import io.ktor.network.sockets.toJavaAddress
import io.ktor.utils.io.ByteReadChannel
import io.ktor.utils.io.ByteWriteChannel
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancel
import java.nio.channels.SocketChannel

/**
 * A connected byte stream, whatever made it: its two channels, what `getExtraInfo` reports, and how to close it
 * ([close] with `abort = false` after the output channel was flushed and closed; `abort = true` to cut it off).
 */
internal class Endpoint(
    openInput: () -> ByteReadChannel,
    openOutput: () -> ByteWriteChannel,
    val extra: Map<String, Any?>,
    /** False over TLS: a TLS stream cannot half-close, and the peer's end of stream ends the connection. */
    val canWriteEof: Boolean = true,
    /** The socket itself, when a transport may drive it directly instead of through the channels. */
    val direct: SocketWire? = null,
    private val closer: suspend (abort: Boolean) -> Unit,
) {
    constructor(
        input: ByteReadChannel,
        output: ByteWriteChannel,
        extra: Map<String, Any?>,
        canWriteEof: Boolean = true,
        closer: suspend (abort: Boolean) -> Unit,
    ) : this({ input }, { output }, extra, canWriteEof, null, closer)

    /** Opened on first use: a socket driven directly never opens them (`startTls` does, to hand them to TLS). */
    val input: ByteReadChannel by lazy(openInput)
    val output: ByteWriteChannel by lazy(openOutput)

    suspend fun close(abort: Boolean) = closer(abort)
}

/**
 * A connected Ktor socket as an endpoint. With [direct] (sockets this library connected or accepted itself), a
 * transport drives the socket's NIO channel without Ktor's channel pumps; a socket handed in by a user may already
 * have its channels open, so it goes through them.
 */
internal fun endpointOf(
    socket: Socket,
    direct: Boolean = false,
): Endpoint {
    val wire = if (direct) directWire(socket) else null
    var channelsOpened = false
    return Endpoint(
        {
            channelsOpened = true
            socket.openReadChannel()
        },
        {
            channelsOpened = true
            socket.openWriteChannel()
        },
        mapOf(
            "peername" to runCatching { socket.remoteAddress.toJavaAddress() }.getOrNull(),
            "sockname" to runCatching { socket.localAddress.toJavaAddress() }.getOrNull(),
            "socket" to (socket as? Selectable)?.channel,
        ),
        direct = wire,
    ) { abort: Boolean ->
        if (wire != null && !channelsOpened) {
            // Driven directly, nothing of Ktor's is running on the socket: close it now, not in Ktor's closing
            // coroutine (which a cancelled socket job may never run), and let Ktor's bookkeeping follow.
            wire.close()
            socket.close()
        } else {
            // Ktor frees the descriptor only with close() first and, to cut a stuck flush short, cancel() after it.
            socket.close()
            if (abort) socket.socketContext.cancel()
            socket.socketContext.join()
        }
    }
}

private fun directWire(socket: Socket): SocketWire? {
    val selectable = socket as? Selectable ?: return null
    val channel = selectable.channel as? SocketChannel ?: return null
    return SocketWire(selectable, channel, Loop.selector)
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
