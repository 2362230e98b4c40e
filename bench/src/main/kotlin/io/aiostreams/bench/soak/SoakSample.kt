package io.aiostreams.bench.soak

/**
 * One reading of the soak's server, [seconds] after the load started: open descriptors, resident memory, live heap
 * after a full GC (bytes), threads, connections served, and the `key=value` line it came from (with the handlers'
 * endings by kind).
 */
class SoakSample(
    val seconds: Double,
    val fds: Long,
    val rss: Long,
    val heap: Long,
    val threads: Long,
    val served: Long,
    val line: String,
) {
    companion object {
        /** Parses [SoakServer]'s `STATS` answer. */
        fun parse(
            seconds: Double,
            line: String,
        ): SoakSample {
            val values = line.trim().split(' ').associate { it.substringBefore('=') to it.substringAfter('=') }

            fun long(key: String) = values[key]?.toLongOrNull() ?: error("no $key in the server's stats: $line")
            return SoakSample(
                seconds,
                long("fds"),
                long("rss"),
                long("heap"),
                long("threads"),
                long("served"),
                line.trim(),
            )
        }
    }
}
