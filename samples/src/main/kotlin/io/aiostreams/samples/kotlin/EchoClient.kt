package io.aiostreams.samples.kotlin

import io.aiostreams.openConnection
import io.aiostreams.samples.shared.PyRepr
import kotlinx.coroutines.runBlocking
import java.io.PrintStream

/** asyncio's TCP echo client: sends one message, prints what comes back. */
object EchoClient {
    @JvmStatic
    fun run(
        host: String,
        port: Int,
        message: String,
        out: PrintStream,
    ): Unit =
        runBlocking {
            val (reader, writer) = openConnection(host, port)
            out.println("Send: ${PyRepr.str(message)}")
            writer.write(message.encodeToByteArray())
            writer.drain()
            val data = reader.read(100)
            out.println("Received: ${PyRepr.str(data.decodeToString())}")
            out.println("Close the connection")
            writer.close()
            writer.waitClosed()
        }
}
