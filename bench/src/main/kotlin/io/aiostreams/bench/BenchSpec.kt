package io.aiostreams.bench

import java.util.Locale

/**
 * The loopback workloads W1–W5 that every benchmark peer implements (see `BENCHMARKS.md`): their constants, their
 * default sizes and the one JSON line a client prints.
 */
object BenchSpec {
    const val HOST: String = "127.0.0.1"
    const val CHUNK: Int = 64 * 1024
    const val LINE_LENGTH: Int = 100
    const val MESSAGE_LENGTH: Int = 64
    const val LINES_PER_WRITE: Int = CHUNK / LINE_LENGTH
    const val FANIN_ROUND_TRIPS: Int = 10

    /** Servers listen with this backlog (the kernel caps it at `net.core.somaxconn`) so that W5 connects at once. */
    const val BACKLOG: Int = 16384

    /** 99 x 'x' and '\n'. */
    @JvmStatic
    fun line(): ByteArray = ByteArray(LINE_LENGTH) {
        if (it ==
            LINE_LENGTH - 1
        ) {
            '\n'.code.toByte()
        } else {
            'x'.code.toByte()
        }
    }

    /** 63 x 'm' and '\n'. */
    @JvmStatic
    fun message(): ByteArray =
        ByteArray(MESSAGE_LENGTH) { if (it == MESSAGE_LENGTH - 1) '\n'.code.toByte() else 'm'.code.toByte() }

    /** [count] lines back to back. */
    @JvmStatic
    fun lines(count: Int): ByteArray {
        val line = line()
        val out = ByteArray(count * LINE_LENGTH)
        for (i in 0 until count) line.copyInto(out, i * LINE_LENGTH)
        return out
    }

    /** The default N (or S, or C) of [workload]. */
    @JvmStatic
    fun defaultSize(workload: String): Long =
        when (workload) {
            "W1", "W6" -> 1L shl 30
            "W2" -> 5_000_000
            "W3" -> 100_000
            "W4" -> 20_000
            "W5" -> 2_000
            "W7" -> 0
            else -> throw IllegalArgumentException("unknown workload: $workload (W1 to W7)")
        }

    /** The [q] quantile (0..1) of sorted [values]. */
    @JvmStatic
    fun percentile(
        values: LongArray,
        q: Double,
    ): Long = values[minOf(values.size - 1, (q * values.size).toInt())]

    /** Fails the run with [message] unless [ok]. */
    @JvmStatic
    fun check(
        ok: Boolean,
        message: String,
    ) {
        if (!ok) throw IllegalStateException("benchmark failed: $message")
    }

    /** The client's one JSON line: peer, workload, metric, value, then [extra] in order (numbers or strings). */
    @JvmStatic
    fun json(
        peer: String,
        workload: String,
        metric: String,
        value: Double,
        extra: Map<String, Any>,
    ): String {
        val fields = linkedMapOf<String, Any>(
            "peer" to peer,
            "workload" to workload,
            "metric" to metric,
            "value" to value,
        )
        fields.putAll(extra)
        return fields.entries.joinToString(", ", "{", "}") { (k, v) -> "\"$k\": ${jsonValue(v)}" }
    }

    private fun jsonValue(v: Any): String =
        when (v) {
            is Double -> String.format(Locale.ROOT, "%.3f", v)
            is Number -> v.toString()
            else -> "\"$v\""
        }

    /** W1's (or W6's) JSON line: MiB/s for [size] bytes in [seconds]. */
    @JvmStatic
    @JvmOverloads
    fun bulkJson(
        peer: String,
        size: Long,
        seconds: Double,
        workload: String = "W1",
    ): String = json(peer, workload, "MiB/s", size / 1048576.0 / seconds, mapOf("bytes" to size, "seconds" to seconds))

    /** W3's JSON line: round trips per second, and p50 / p99 of the round-trip [times] (nanoseconds, sorted here). */
    @JvmStatic
    fun pingPongJson(
        peer: String,
        seconds: Double,
        times: LongArray,
    ): String {
        times.sort()
        return json(
            peer,
            "W3",
            "round_trips/s",
            times.size / seconds,
            mapOf(
                "p50_us" to percentile(times, 0.50) / 1000.0,
                "p99_us" to percentile(times, 0.99) / 1000.0,
                "round_trips" to times.size,
                "seconds" to seconds,
            ),
        )
    }

    /** W5's JSON line: the total [seconds] for [conns] connections. */
    @JvmStatic
    fun fanInJson(
        peer: String,
        conns: Int,
        seconds: Double,
    ): String = json(
        peer,
        "W5",
        "seconds",
        seconds,
        mapOf(
            "connections" to conns,
            "round_trips_each" to FANIN_ROUND_TRIPS,
        ),
    )

    /** Seconds since [startNanos] on the monotonic clock. */
    @JvmStatic
    fun secondsSince(startNanos: Long): Double = (System.nanoTime() - startNanos) / 1e9
}
