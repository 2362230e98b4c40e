package io.aiostreams.samples.kotlin

import io.aiostreams.IncompleteReadError
import io.aiostreams.LimitOverrunError
import io.aiostreams.openConnection
import io.aiostreams.startServer
import kotlinx.coroutines.runBlocking
import java.io.PrintStream
import java.net.InetSocketAddress

/**
 * The main demo, offline: a server and a client in one process on a free loopback port. The server answers a small
 * line protocol; the client shows lines, separators, exact reads, the limit, a half-close and end of stream.
 */
object LoopbackDemo {
    @JvmStatic
    fun run(out: PrintStream): Unit =
        runBlocking {
            val server =
                startServer("127.0.0.1", 0, limit = 64) { reader, writer ->
                    try {
                        for (line in reader) {
                            val text = line.decodeToString().trimEnd()
                            val reply =
                                when {
                                    text.startsWith("UPPER ") -> text.removePrefix("UPPER ").uppercase() + "\n"
                                    text.startsWith("SIZE ") -> "#".repeat(text.removePrefix("SIZE ").toInt())
                                    text == "RECORDS" -> "alpha;beta;gamma;"
                                    else -> "unknown command\n"
                                }
                            writer.write(reply.encodeToByteArray())
                            writer.drain()
                        }
                        out.println("server> client half-closed; saying goodbye")
                        writer.write("goodbye\n".encodeToByteArray())
                    } catch (e: IllegalArgumentException) {
                        out.println("server> line over the limit: ${e.message}")
                    }
                }
            val port = (server.addresses.first() as InetSocketAddress).port
            out.println("server> listening on a free loopback port")

            val (reader, writer) = openConnection("127.0.0.1", port, limit = 16)
            writer.write("UPPER hello, streams\n".encodeToByteArray())
            out.println("client> readLine: " + reader.readLine().decodeToString().trimEnd())
            writer.write("SIZE 12\n".encodeToByteArray())
            out.println("client> readExactly(12): " + reader.readExactly(12).decodeToString())
            writer.write("RECORDS\n".encodeToByteArray())
            repeat(3) {
                out.println("client> readUntil(;): " + reader.readUntil(";".encodeToByteArray()).decodeToString())
            }
            val long = "a line longer than the client's limit of 16"
            writer.write("UPPER $long\n".encodeToByteArray())
            try {
                reader.readUntil("\n".encodeToByteArray())
            } catch (e: LimitOverrunError) {
                out.println("client> LimitOverrunError: more than 16 bytes before the newline; the data stays buffered")
                out.println(
                    "client> readExactly(${long.length}): " +
                        reader.readExactly(long.length + 1).decodeToString().trimEnd(),
                )
            }
            out.println("client> sending EOF (half-close), still reading")
            writer.writeEof()
            out.println("client> readLine: " + reader.readLine().decodeToString().trimEnd())
            try {
                reader.readExactly(1)
            } catch (e: IncompleteReadError) {
                out.println("client> IncompleteReadError at end of stream: ${e.message}")
            }
            writer.close()
            writer.waitClosed()
            server.close()
            server.waitClosed()
            out.println("server> closed")
        }
}
