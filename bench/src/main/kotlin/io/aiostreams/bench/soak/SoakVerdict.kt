package io.aiostreams.bench.soak

import java.util.Locale

/**
 * Whether anything grew after the warm-up. The samples after [warmupSeconds] are cut in thirds and the last third is
 * compared with the first: descriptors and threads by their peaks (the load keeps up to a dozen connections in
 * flight, so [FD_SLACK] descriptors and [THREAD_SLACK] threads of difference are noise), live heap by its mean (within
 * [HEAP_SLACK_BYTES] or a quarter, whichever is more). Resident memory is reported, not judged: the JVM grows its heap
 * toward its maximum before it collects, without a leak. Any unexpected client error fails the verdict too.
 */
class SoakVerdict(
    samples: List<SoakSample>,
    private val warmupSeconds: Double,
    private val clientErrors: Map<String, Long>,
) {
    private val after = samples.filter { it.seconds >= warmupSeconds }
    private val third = maxOf(1, after.size / 3)
    private val first = after.take(third)
    private val last = after.takeLast(third)

    val fdGrowth: Long = peak(last) { it.fds } - peak(first) { it.fds }
    val threadGrowth: Long = peak(last) { it.threads } - peak(first) { it.threads }
    val heapGrowth: Long = mean(last) { it.heap } - mean(first) { it.heap }
    val rssGrowth: Long = mean(last) { it.rss } - mean(first) { it.rss }

    private val heapAllowance = maxOf(HEAP_SLACK_BYTES, mean(first) { it.heap } / 4)

    /** Why the verdict fails; empty when nothing grew. */
    val failures: List<String> =
        buildList {
            if (after.size < 3) add("only ${after.size} samples after the warm-up: too short to judge")
            if (fdGrowth > FD_SLACK) add("descriptors grew by $fdGrowth")
            if (threadGrowth > THREAD_SLACK) add("threads grew by $threadGrowth")
            if (heapGrowth > heapAllowance) add("live heap grew by ${mib(heapGrowth)} MiB")
            for ((kind, count) in clientErrors) add("$count unexpected client errors: $kind")
        }

    val ok: Boolean get() = failures.isEmpty()

    /** The verdict as a few lines of text, with each series' first and last third and its slope per hour. */
    fun report(): String =
        buildString {
            appendLine(
                if (ok) {
                    "VERDICT: nothing grows after the warm-up"
                } else {
                    "VERDICT: GROWTH: ${failures.joinToString(
                        "; ",
                    )}"
                },
            )
            appendLine(
                "samples after the ${warmupSeconds.toInt()} s warm-up: ${after.size}, compared as first third vs last third",
            )
            appendLine(series("descriptors", { it.fds }, 1.0, "") + " (peaks)")
            appendLine(series("threads", { it.threads }, 1.0, "") + " (peaks)")
            appendLine(series("live heap after GC", { it.heap }, MIB, " MiB") + " (means)")
            appendLine(series("RSS", { it.rss }, MIB, " MiB") + " (means; not judged)")
            after.lastOrNull()?.let { appendLine("connections served: ${it.served}; last stats: ${it.line}") }
            appendLine("unexpected client errors: ${if (clientErrors.isEmpty()) "none" else clientErrors}")
        }

    private fun series(
        name: String,
        value: (SoakSample) -> Long,
        unit: Double,
        suffix: String,
    ): String {
        val peaks = name == "descriptors" || name == "threads"
        val a = if (peaks) peak(first, value).toDouble() else mean(first, value).toDouble()
        val b = if (peaks) peak(last, value).toDouble() else mean(last, value).toDouble()
        return String.format(
            Locale.ROOT,
            "%-20s %10.1f -> %10.1f%s, slope %+.2f%s/hour",
            name,
            a / unit,
            b / unit,
            suffix,
            slopePerHour(value) / unit,
            suffix,
        )
    }

    /** Least-squares slope of [value] over the samples after the warm-up, per hour. */
    private fun slopePerHour(value: (SoakSample) -> Long): Double {
        if (after.size < 2) return 0.0
        val mx = after.map { it.seconds }.average()
        val my = after.map { value(it).toDouble() }.average()
        val sxy = after.sumOf { (it.seconds - mx) * (value(it) - my) }
        val sxx = after.sumOf { (it.seconds - mx) * (it.seconds - mx) }
        return if (sxx == 0.0) 0.0 else sxy / sxx * 3600
    }

    private fun peak(
        samples: List<SoakSample>,
        value: (SoakSample) -> Long,
    ): Long = samples.maxOfOrNull(value) ?: 0

    private fun mean(
        samples: List<SoakSample>,
        value: (SoakSample) -> Long,
    ): Long = if (samples.isEmpty()) 0 else samples.sumOf(value) / samples.size

    companion object {
        const val FD_SLACK: Long = 16
        const val THREAD_SLACK: Long = 4
        const val HEAP_SLACK_BYTES: Long = 8L * 1024 * 1024
        private const val MIB = 1024.0 * 1024

        private fun mib(bytes: Long) = String.format(Locale.ROOT, "%.1f", bytes / MIB)
    }
}
