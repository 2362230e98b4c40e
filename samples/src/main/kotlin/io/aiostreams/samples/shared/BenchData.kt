package io.aiostreams.samples.shared

import java.util.Locale

/** Input and report format shared by both twins of the reader benchmark. */
object BenchData {
    /** [lines] lines of [lineLength] bytes ending in `\n` (or `\r\n`), cut into chunks of [chunkSize] bytes. */
    @JvmStatic
    fun chunks(
        lines: Int,
        lineLength: Int,
        chunkSize: Int,
        crlf: Boolean,
    ): List<ByteArray> {
        val line = ByteArray(lineLength) { 'x'.code.toByte() }
        line[lineLength - 1] = '\n'.code.toByte()
        if (crlf) line[lineLength - 2] = '\r'.code.toByte()
        val all = ByteArray(lines * lineLength)
        for (i in 0 until lines) line.copyInto(all, i * lineLength)
        return (all.indices step chunkSize).map { all.copyOfRange(it, minOf(all.size, it + chunkSize)) }
    }

    /** One report line: the median and best of the sorted [times] (nanoseconds). */
    @JvmStatic
    fun report(
        twin: String,
        what: String,
        lines: Int,
        lineLength: Int,
        times: List<Long>,
    ): String {
        val median = times[times.size / 2] / 1e9
        val best = times.first() / 1e9
        val mib = lines.toDouble() * lineLength / (1024 * 1024)
        return String.format(
            Locale.ROOT,
            "%-6s %-17s %,d lines: median %.3f s = %.2f M lines/s = %.0f MiB/s (best %.2f M lines/s)",
            twin,
            what,
            lines,
            median,
            lines / median / 1e6,
            mib / median,
            lines / best / 1e6,
        )
    }
}
