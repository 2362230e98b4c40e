package io.aiostreams.samples.kotlin

import io.aiostreams.Server
import io.aiostreams.protocol.Protocol
import io.aiostreams.protocol.Transport
import io.aiostreams.protocol.createServer
import io.aiostreams.samples.shared.PyRepr
import kotlinx.coroutines.runBlocking
import java.io.PrintStream
import java.util.concurrent.atomic.AtomicReference

/**
 * The asyncio tutorial's `SimpleEchoProtocol` server: prints `Connection received!` and every chunk, answers `echo:`
 * plus the data, and closes the whole server when its connection is lost.
 */
object SimpleEchoServer {
    @JvmStatic
    fun start(
        host: String,
        port: Int,
        out: PrintStream,
    ): Server =
        runBlocking {
            val self = AtomicReference<Server>()
            val server =
                createServer({
                    object : Protocol {
                        private lateinit var transport: Transport

                        override fun connectionMade(transport: Transport) {
                            out.println("Connection received!")
                            this.transport = transport
                        }

                        override fun dataReceived(data: ByteArray) {
                            out.println(PyRepr.bytes(data))
                            transport.write("echo:".encodeToByteArray())
                            transport.write(data)
                        }

                        override fun connectionLost(exception: Throwable?) {
                            out.println("Connection lost! Closing server...")
                            self.get().close()
                        }
                    }
                }, host, port)
            self.set(server)
            server
        }

    /** Waits until the server has closed itself (after its first connection ends). */
    @JvmStatic
    fun waitClosed(server: Server): Unit = runBlocking { server.waitClosed() }
}
