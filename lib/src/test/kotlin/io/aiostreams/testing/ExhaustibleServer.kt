package io.aiostreams.testing

import io.aiostreams.openDescriptors
import io.aiostreams.port
import io.aiostreams.startServer
import kotlinx.coroutines.runBlocking

/**
 * An echo server run in a child JVM whose descriptor limit the test sets low: prints `port <n> fds <open>` once
 * listening, serves until its standard input closes, then exits.
 */
object ExhaustibleServer {
    @JvmStatic
    fun main(args: Array<String>) {
        val server =
            runBlocking {
                startServer("127.0.0.1", 0) { reader, writer ->
                    for (line in reader) {
                        writer.write(line)
                        writer.drain()
                    }
                }
            }
        println("port ${server.port} fds ${openDescriptors()}")
        System.out.flush()
        System.`in`.readBytes() // until the test closes our standard input
        server.close()
    }
}
