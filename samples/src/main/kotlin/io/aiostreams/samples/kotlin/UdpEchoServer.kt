package io.aiostreams.samples.kotlin

import io.aiostreams.protocol.DatagramEndpoint
import io.aiostreams.protocol.DatagramProtocol
import io.aiostreams.protocol.DatagramTransport
import io.aiostreams.protocol.createDatagramEndpoint
import io.aiostreams.samples.shared.PyRepr
import kotlinx.coroutines.runBlocking
import java.io.PrintStream
import java.net.InetSocketAddress
import java.net.SocketAddress

/** asyncio's UDP echo server: prints each datagram and its sender, and sends it back. */
object UdpEchoServer {
    @JvmStatic
    fun start(
        host: String,
        port: Int,
        out: PrintStream,
    ): DatagramEndpoint<DatagramProtocol> =
        runBlocking {
            out.println("Starting UDP server")
            createDatagramEndpoint<DatagramProtocol>({
                object : DatagramProtocol {
                    private lateinit var transport: DatagramTransport

                    override fun connectionMade(transport: DatagramTransport) {
                        this.transport = transport
                    }

                    override fun datagramReceived(
                        data: ByteArray,
                        address: SocketAddress,
                    ) {
                        val message = data.decodeToString()
                        out.println("Received ${PyRepr.str(message)} from ${PyRepr.address(address)}")
                        out.println("Send ${PyRepr.str(message)} to ${PyRepr.address(address)}")
                        transport.sendTo(data, address)
                    }
                }
            }, localAddress = InetSocketAddress(host, port))
        }
}
