package io.aiostreams.samples.kotlin

import io.aiostreams.protocol.DatagramProtocol
import io.aiostreams.protocol.DatagramTransport
import io.aiostreams.protocol.createDatagramEndpoint
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.io.PrintStream
import java.net.InetSocketAddress
import java.net.SocketAddress

/** asyncio's UDP echo client: sends one message, prints the reply, closes. */
object UdpEchoClient {
    @JvmStatic
    fun run(
        host: String,
        port: Int,
        message: String,
        out: PrintStream,
    ): Unit =
        runBlocking {
            val closed = CompletableDeferred<Unit>()
            createDatagramEndpoint({
                object : DatagramProtocol {
                    private lateinit var transport: DatagramTransport

                    override fun connectionMade(transport: DatagramTransport) {
                        this.transport = transport
                        out.println("Send: $message")
                        transport.sendTo(message.encodeToByteArray())
                    }

                    override fun datagramReceived(
                        data: ByteArray,
                        address: SocketAddress,
                    ) {
                        out.println("Received: ${data.decodeToString()}")
                        out.println("Close the socket")
                        transport.close()
                    }

                    override fun errorReceived(exception: Exception) {
                        out.println("Error received: ${exception.message}")
                    }

                    override fun connectionLost(exception: Throwable?) {
                        out.println("Connection closed")
                        closed.complete(Unit)
                    }
                }
            }, remoteAddress = InetSocketAddress(host, port))
            withTimeout(30_000) { closed.await() }
        }
}
