package io.aiostreams.internal

import io.ktor.utils.io.ByteChannel
import io.ktor.utils.io.readAvailable
import io.ktor.utils.io.writeFully
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.runInterruptible
import java.net.Inet6Address
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.StandardProtocolFamily
import java.net.StandardSocketOptions
import java.nio.ByteBuffer
import java.nio.channels.SocketChannel

/**
 * A client connection bound to a chosen local address, which Ktor's socket builder cannot do: a JDK [SocketChannel]
 * is bound, connected and then bridged to a Ktor channel pair by two coroutines doing blocking I/O on
 * `Dispatchers.IO`. Only `openConnection(localAddress = ...)` takes this path.
 */
internal object BoundSocket {
    private const val CHUNK = 64 * 1024

    suspend fun connect(
        address: InetAddress,
        port: Int,
        localAddress: InetSocketAddress,
        keepAlive: Boolean?,
    ): Endpoint {
        val family = if (address is Inet6Address) StandardProtocolFamily.INET6 else StandardProtocolFamily.INET
        val channel = SocketChannel.open(family)
        try {
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true)
            if (keepAlive != null) channel.setOption(StandardSocketOptions.SO_KEEPALIVE, keepAlive)
            channel.bind(localAddress)
            // Cancellation interrupts the connecting thread, which closes the channel.
            runInterruptible(Dispatchers.IO) { channel.connect(InetSocketAddress(address, port)) }
        } catch (e: Throwable) {
            channel.close()
            throw e
        }
        return bridge(channel)
    }

    private fun bridge(channel: SocketChannel): Endpoint {
        val scope = CoroutineScope(SupervisorJob() + Dispatchers.IO)
        val input = ByteChannel()
        val output = ByteChannel()
        val reading =
            scope.launch {
                val buffer = ByteBuffer.allocate(CHUNK)
                try {
                    while (true) {
                        buffer.clear()
                        if (runInterruptible { channel.read(buffer) } < 0) break
                        buffer.flip()
                        input.writeFully(buffer)
                    }
                    input.flushAndClose()
                } catch (e: CancellationException) {
                    throw e
                } catch (e: Throwable) {
                    input.cancel(e)
                }
            }
        val writing =
            scope.launch {
                val buffer = ByteBuffer.allocate(CHUNK)
                try {
                    while (true) {
                        buffer.clear()
                        if (output.readAvailable(buffer) < 0) break
                        buffer.flip()
                        runInterruptible { while (buffer.hasRemaining()) channel.write(buffer) }
                    }
                    runInterruptible { channel.shutdownOutput() }
                } catch (e: CancellationException) {
                    throw e
                } catch (e: Throwable) {
                    output.cancel(e)
                }
            }
        val extra = mapOf("peername" to channel.remoteAddress, "sockname" to channel.localAddress, "socket" to channel)
        return Endpoint(input, output, extra) { abort: Boolean ->
            if (!abort) writing.join()
            channel.close()
            scope.cancel()
            reading.join()
            writing.join()
        }
    }
}
