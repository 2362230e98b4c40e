package example

import io.aiostreams.openConnection
import io.aiostreams.startServer
import kotlinx.coroutines.runBlocking
import java.net.InetSocketAddress
import kotlin.system.exitProcess

/** A server and a client on loopback: prints the echoed line, exits 1 if it differs. */
fun main() {
    val echoed =
        runBlocking {
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    for (line in reader) {
                        writer.write(line)
                        writer.drain()
                    }
                }
            val port = (server.addresses.first() as InetSocketAddress).port
            val (reader, writer) = openConnection("127.0.0.1", port)
            writer.write("hello from Kotlin 2.2\n".toByteArray())
            val line = reader.readLine().decodeToString()
            writer.close()
            writer.waitClosed()
            server.close()
            server.waitClosed()
            line
        }
    print(echoed)
    if (echoed != "hello from Kotlin 2.2\n") exitProcess(1)
}
