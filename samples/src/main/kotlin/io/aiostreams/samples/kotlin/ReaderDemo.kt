package io.aiostreams.samples.kotlin

import io.aiostreams.IncompleteReadError
import io.aiostreams.LimitOverrunError
import io.aiostreams.StreamReader
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import java.io.PrintStream

/** Parses an HTTP/1.0 response that arrives in 7-byte pieces, then shows the end-of-stream and limit rules. */
object ReaderDemo {
    private const val RESPONSE =
        "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!tail"

    @JvmStatic
    fun run(out: PrintStream): Unit =
        runBlocking {
            val reader = StreamReader(limit = 64)
            launch {
                for (piece in RESPONSE.toByteArray().asList().chunked(7)) {
                    reader.feedData(piece.toByteArray())
                    yield()
                }
                reader.feedEof()
            }
            out.println("status> " + reader.readLine().decodeToString().trimEnd())
            var length = 0
            while (true) {
                val header = reader.readUntil("\r\n".toByteArray()).decodeToString().trimEnd()
                if (header.isEmpty()) break
                out.println("header> $header")
                if (header.startsWith("Content-Length:")) length = header.substringAfter(':').trim().toInt()
            }
            out.println("body> " + reader.readExactly(length).decodeToString())
            try {
                reader.readExactly(10)
            } catch (e: IncompleteReadError) {
                out.println("eof> ${e.message}: ${e.partial.decodeToString()}")
            }
            out.println("at eof> " + reader.atEof())

            val small = StreamReader(limit = 8)
            small.feedData("0123456789;rest".toByteArray())
            try {
                small.readUntil(";".toByteArray())
            } catch (e: LimitOverrunError) {
                out.println(
                    "limit> ${e.message} (consumed=${e.consumed}); still buffered: " + small.read(100).decodeToString(),
                )
            }
        }
}
