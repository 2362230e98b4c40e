package io.aiostreams.samples.kotlin

import io.aiostreams.openConnection
import io.aiostreams.startServer
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.runBlocking
import java.io.PrintStream
import java.net.InetSocketAddress

/**
 * asyncio's wait-for-data example: a connected pair of sockets on loopback; one side sends `abc`, the other waits
 * for data with `read(100)` and prints it.
 */
object WaitForData {
    @JvmStatic
    fun run(out: PrintStream): Unit =
        runBlocking {
            val sent = CompletableDeferred<Unit>()
            // The "network" side of the pair: sends abc to whoever connects.
            val network =
                startServer("127.0.0.1", 0) { _, writer ->
                    writer.write("abc".encodeToByteArray())
                    writer.drain()
                    sent.complete(Unit)
                }
            val port = (network.addresses.first() as InetSocketAddress).port
            val (reader, writer) = openConnection("127.0.0.1", port)
            val data = reader.read(100)
            out.println("Received: ${data.decodeToString()}")
            writer.close()
            sent.await()
            network.close()
            network.waitClosed()
        }
}
