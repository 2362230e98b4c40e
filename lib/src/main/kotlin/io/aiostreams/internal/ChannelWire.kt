package io.aiostreams.internal

import io.ktor.utils.io.readAvailable
import io.ktor.utils.io.writePacket
import kotlinx.coroutines.Dispatchers
import kotlinx.io.Buffer
import kotlin.coroutines.CoroutineContext

/**
 * A wire over an [Endpoint]'s Ktor byte channels: for wrapped channels, wrapped sockets and TLS. Nothing is sent
 * without the write pump, so [trySend] takes nothing.
 */
internal class ChannelWire(
    private val endpoint: Endpoint,
) : Wire {
    override fun readContext(runsUserCode: Boolean): CoroutineContext = Dispatchers.Default

    override fun resumeContext(runsUserCode: Boolean): CoroutineContext = Dispatchers.Default

    override val writeContext: CoroutineContext get() = Dispatchers.Default

    override suspend fun receive(deliver: (Buffer, Long) -> Unit): Boolean {
        val input = endpoint.input
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

    override fun trySend(
        data: ByteArray,
        offset: Int,
    ): Int = 0

    override suspend fun send(piece: Buffer) {
        endpoint.output.writePacket(piece)
        endpoint.output.flush()
    }

    override suspend fun finish() {
        endpoint.output.flushAndClose()
    }

    override suspend fun shutdownOutput() {
        // Ktor shuts the socket's output down once the channel is drained.
        endpoint.output.flushAndClose()
    }
}
