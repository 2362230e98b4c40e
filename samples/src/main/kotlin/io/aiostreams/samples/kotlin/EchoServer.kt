package io.aiostreams.samples.kotlin

import io.aiostreams.Server
import io.aiostreams.samples.shared.PyRepr
import io.aiostreams.startServer
import kotlinx.coroutines.runBlocking
import java.io.PrintStream

/** asyncio's TCP echo server: reads up to 100 bytes from each client, sends them back, closes. */
object EchoServer {
    /** Starts the server and prints `Serving on ...`; the caller serves and stops it. */
    @JvmStatic
    fun start(
        host: String,
        port: Int,
        out: PrintStream,
    ): Server =
        runBlocking {
            val server =
                startServer(host, port) { reader, writer ->
                    val data = reader.read(100)
                    val message = data.decodeToString()
                    val address = writer.getExtraInfo("peername")
                    out.println("Received ${PyRepr.str(message)} from ${PyRepr.address(address)}")
                    out.println("Send: ${PyRepr.str(message)}")
                    writer.write(data)
                    writer.drain()
                    out.println("Close the connection")
                    writer.close()
                    writer.waitClosed()
                }
            out.println("Serving on ${server.addresses.joinToString(", ") { PyRepr.address(it) }}")
            server
        }

    /** Serves until the process is interrupted (Ctrl+C, SIGTERM), then closes the server and its clients. */
    @JvmStatic
    fun serveUntilStopped(server: Server) {
        Runtime.getRuntime().addShutdownHook(
            Thread {
                server.close()
                server.closeClients()
                runBlocking { server.waitClosed() }
            },
        )
        runBlocking { runCatching { server.serveForever() } }
    }
}
