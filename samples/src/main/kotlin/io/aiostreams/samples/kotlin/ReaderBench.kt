package io.aiostreams.samples.kotlin

import io.aiostreams.IncompleteReadError
import io.aiostreams.StreamReader
import io.aiostreams.samples.shared.BenchData
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.yield
import java.io.PrintStream

/**
 * Throughput of the reader alone: [lines] lines of 100 bytes fed in 64 KiB chunks, read back with `readLine`
 * after 5 unmeasured warm-up rounds,
 * (`\n` lines) and with `readUntil("\r\n")` (`\r\n` lines); one producer and one consumer on one thread.
 */
object ReaderBench {
    private const val LINE = 100
    private const val CHUNK = 64 * 1024
    private const val WARM_UP = 5

    @JvmStatic
    fun run(
        out: PrintStream,
        lines: Int,
        rounds: Int,
    ) {
        for (crlf in listOf(false, true)) {
            val chunks = BenchData.chunks(lines, LINE, CHUNK, crlf)
            val name = if (crlf) "readUntil(\\r\\n)" else "readLine()"
            repeat(WARM_UP) { once(chunks, lines, crlf) }
            val times = List(rounds) { once(chunks, lines, crlf) }.sorted()
            out.println(BenchData.report("kotlin", name, lines, LINE, times))
        }
    }

    private fun once(
        chunks: List<ByteArray>,
        lines: Int,
        crlf: Boolean,
    ): Long =
        runBlocking {
            val started = System.nanoTime()
            val reader = StreamReader()
            var count = 0
            val consumer =
                launch(start = CoroutineStart.UNDISPATCHED) {
                    if (crlf) {
                        val separator = "\r\n".toByteArray()
                        try {
                            while (true) {
                                reader.readUntil(separator)
                                count++
                            }
                        } catch (_: IncompleteReadError) {
                        }
                    } else {
                        while (reader.readLine().isNotEmpty()) count++
                    }
                }
            for (chunk in chunks) {
                reader.feedData(chunk)
                yield()
            }
            reader.feedEof()
            consumer.join()
            check(count == lines) { "read $count lines, expected $lines" }
            System.nanoTime() - started
        }
}
