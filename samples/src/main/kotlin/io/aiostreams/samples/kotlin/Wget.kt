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
 * The asyncio `wget` example: `GET <path> HTTP/1.0`, prints each header as `<host> header > <line>`, then streams the
 * body to [out] as it arrives, 64 KiB at a time (memory stays bounded whatever the body's size). http and https
 * (`--cafile` for the CAs to trust). [timeoutMillis] bounds connecting and every wait for data. With [progress], the
 * byte count so far goes to [err] (the command turns it on when standard error is a terminal).
 */
object Wget {
    private const val CHUNK = 65536
    private val BLANK = "\r\n".toByteArray()

    @JvmStatic
    fun run(
        target: String,
        port: Int?,
        caFile: Path?,
        timeoutMillis: Long,
        progress: Boolean,
        out: PrintStream,
        err: PrintStream,
    ): Int {
        val where =
            try {
                HttpTarget.of(target, port)
            } catch (e: IllegalArgumentException) {
                err.println("samples wget: ${e.message}")
                return 1
            }
        return try {
            runBlocking { wget(where, caFile, timeoutMillis, progress, out, err) }
            0
        } catch (e: TimeoutCancellationException) {
            err.println("samples wget: timed out: no data for ${timeoutMillis / 1000.0} seconds")
            1
        } catch (e: Exception) {
            err.println(Failures.describe("wget", where.display, e))
            1
        }
    }

    private suspend fun wget(
        where: HttpTarget,
        caFile: Path?,
        timeoutMillis: Long,
        progress: Boolean,
        out: PrintStream,
        err: PrintStream,
    ) {
        val ssl = if (where.secure) {
            caFile?.let {
                SslContexts.clientContext(it)
            } ?: SslContexts.defaultContext()
        } else {
            null
        }
        val (reader, writer) = withTimeout(timeoutMillis) { openConnection(where.host, where.port, ssl = ssl) }
        try {
            // No drain(), as in the Python original: a server that answers and closes at once would make it fail
            // with "Connection lost" after the request is long gone.
            writer.write("GET ${where.path} HTTP/1.0\r\nHost: ${where.host}\r\n\r\n".toByteArray(Charsets.ISO_8859_1))
            while (true) {
                val line = withTimeout(timeoutMillis) { reader.readLine() }
                if (line.isEmpty() || line.contentEquals(BLANK)) break
                out.println("${where.host} header > ${PyStr.rstrip(String(line, Charsets.ISO_8859_1))}")
            }
            var received = 0L
            while (true) {
                val chunk = withTimeout(timeoutMillis) { reader.read(CHUNK) }
                if (chunk.isEmpty()) break
                out.write(chunk)
                received += chunk.size
                if (progress) err.print("\r$received bytes")
            }
            out.flush()
            if (progress) err.println()
        } finally {
            writer.close()
        }
    }
}
