package io.aiostreams.samples.kotlin

import io.aiostreams.SslContexts
import io.aiostreams.openConnection
import io.aiostreams.samples.shared.Failures
import io.aiostreams.samples.shared.HttpTarget
import io.aiostreams.samples.shared.PyStr
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.io.PrintStream
import java.nio.file.Path

/**
 * `print_http_headers` from the asyncio documentation: sends `HEAD <path> HTTP/1.0` and prints every response header
 * line as `HTTP header> <line>`. Returns the process exit code: 0, or 1 with one line on [err] when anything fails.
 */
object HeadTool {
    @JvmStatic
    fun run(
        url: String,
        caFile: Path?,
        timeoutMillis: Long,
        out: PrintStream,
        err: PrintStream,
    ): Int =
        try {
            runBlocking { withTimeout(timeoutMillis) { head(url, caFile, out) } }
            0
        } catch (e: TimeoutCancellationException) {
            err.println("samples head: timed out after ${timeoutMillis / 1000.0} seconds")
            1
        } catch (e: Exception) {
            err.println(Failures.describe("head", url, e))
            1
        }

    private suspend fun head(
        url: String,
        caFile: Path?,
        out: PrintStream,
    ) {
        val target = HttpTarget.fromUrl(url)
        val ssl = if (!target.secure) {
            null
        } else if (caFile !=
            null
        ) {
            SslContexts.clientContext(caFile)
        } else {
            SslContexts.defaultContext()
        }
        val (reader, writer) = openConnection(target.host, target.port, ssl = ssl)
        try {
            writer.write(
                "HEAD ${target.path} HTTP/1.0\r\nHost: ${target.host}\r\n\r\n".toByteArray(Charsets.ISO_8859_1),
            )
            while (true) {
                val line = reader.readLine()
                if (line.isEmpty()) break
                val text = PyStr.rstrip(String(line, Charsets.ISO_8859_1))
                if (text.isNotEmpty()) out.println("HTTP header> $text")
            }
        } finally {
            // Ignore the body, close the socket (also after a failure or a time-out).
            writer.close()
        }
    }
}
