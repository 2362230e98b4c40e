package io.aiostreams.samples.kotlin

import io.aiostreams.openConnection
import kotlinx.coroutines.runBlocking
import java.io.PrintStream

/** The asyncio `wget` example: `GET / HTTP/1.0`, prints each header as `<host> header > <line>`, then the body. */
object Wget {
    @JvmStatic
    fun run(
        host: String,
        port: Int,
        out: PrintStream,
        err: PrintStream,
    ): Int =
        try {
            runBlocking {
                val (reader, writer) = openConnection(host, port)
                writer.write("GET / HTTP/1.0\r\nHost: $host\r\n\r\n".toByteArray(Charsets.ISO_8859_1))
                writer.drain()
                while (true) {
                    val line = reader.readLine()
                    if (line.isEmpty() || line.contentEquals("\r\n".toByteArray())) break
                    out.println("$host header > ${String(line, Charsets.ISO_8859_1).trimEnd()}")
                }
                out.print(String(reader.read(), Charsets.ISO_8859_1))
                out.flush()
                writer.close()
            }
            0
        } catch (e: Exception) {
            err.println(HttpFailures.describe("wget", "$host:$port", e))
            1
        }
}
