package io.aiostreams.internal

import io.ktor.network.selector.Selectable
import io.ktor.network.sockets.Socket
import io.ktor.network.sockets.openReadChannel
import io.ktor.network.sockets.openWriteChannel
import io.ktor.network.sockets.toJavaAddress
import io.ktor.utils.io.ByteReadChannel
import io.ktor.utils.io.ByteWriteChannel
import io.ktor.utils.io.readAvailable
import io.ktor.utils.io.writePacket
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.cancel
import kotlinx.io.Buffer
import kotlin.coroutines.CoroutineContext

/**
 * A wire over Ktor byte channels: a Ktor socket or a channel pair that a user hands in, the only path that goes
 * through Ktor's channels. Nothing is sent without the write pump, so [trySend] takes nothing.
 */
internal class KtorWire private constructor(
    private val input: ByteReadChannel,
    private val output: ByteWriteChannel,
    override val extra: Map<String, Any?>,
    private val closer: suspend (abort: Boolean) -> Unit,
) : Wire {
    override val canWriteEof: Boolean get() = true

    /** A pool thread for the reader; the loop for protocol callbacks, which run there one at a time. */
    override fun readContext(runsUserCode: Boolean): CoroutineContext =
        if (runsUserCode) Loop.dispatcher else Dispatchers.Default

    override fun resumeContext(runsUserCode: Boolean): CoroutineContext = readContext(runsUserCode)

    override val writeContext: CoroutineContext get() = Dispatchers.Default

    override suspend fun receive(deliver: (Buffer, Long) -> Unit): Boolean {
        if (!input.awaitContent()) {
            input.closedCause?.let { throw it }
            return false
        }
        // At most MAX_FEED at a time (CPython reads 256 KiB per recv), so that pausing can take effect.
        input.readAvailable(1) { buffer ->
            val n = minOf(buffer.size, StreamTransport.MAX_FEED)
            deliver(buffer, n)
            n.toInt()
        }
        return true
    }

    override suspend fun send(piece: Buffer) {
        output.writePacket(piece)
        output.flush()
    }

    override suspend fun shutdownOutput() {
        // Ktor shuts the socket's output down once the channel is drained.
        output.flushAndClose()
    }

    override suspend fun close() {
        runCatching { output.flushAndClose() }
        closer(false)
    }

    override suspend fun abort() = closer(true)

    companion object {
        /** A connected Ktor [socket]; its channels must not have been opened before. */
        fun of(socket: Socket): KtorWire =
            KtorWire(
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

        /** Any channel pair: closing cancels [input] (the output was closed by [close]). */
        fun of(
            input: ByteReadChannel,
            output: ByteWriteChannel,
        ): KtorWire =
            KtorWire(input, output, emptyMap()) { abort: Boolean ->
                if (abort) output.cancel(null)
                input.cancel(null)
            }
    }
}
