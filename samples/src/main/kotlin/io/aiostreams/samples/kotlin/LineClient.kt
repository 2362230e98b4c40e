package io.aiostreams.samples.kotlin

import io.aiostreams.openConnection
import io.aiostreams.samples.shared.PyRepr
import kotlinx.coroutines.runBlocking
import java.io.PrintStream

/** The line client of the asyncio tutorial: writes four lines, reads lines back until `Last line.`. */
object LineClient {
    private val LAST_LINE = "Last line.\n".encodeToByteArray()

    @JvmStatic
    fun run(
        host: String,
        port: Int,
        out: PrintStream,
    ): Unit =
        runBlocking {
            val (reader, writer) = openConnection(host, port)
            for (line in listOf(
                "First line.\n",
                "Second line.\n",
                "Third line.\n",
            )) {
                writer.write(line.encodeToByteArray())
            }
            writer.write(LAST_LINE)
            out.println("Lines received")
            while (true) {
                val line = reader.readLine()
                out.println(PyRepr.bytes(line))
                if (line.contentEquals(LAST_LINE) || line.isEmpty()) break
            }
            writer.close()
            writer.waitClosed()
        }
}
