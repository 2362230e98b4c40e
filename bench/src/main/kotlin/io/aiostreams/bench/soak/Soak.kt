package io.aiostreams.bench.soak

import io.aiostreams.SslContexts
import io.aiostreams.openConnection
import io.aiostreams.testing.TestPki
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withTimeout
import java.io.File
import java.util.Locale
import java.util.concurrent.TimeUnit
import kotlin.system.exitProcess

/**
 * The soak: starts a [SoakServer] process, runs the [SoakLoad] mix against it for a while, reads the server's stats
 * every interval, and ends with a [SoakVerdict]. Writes `soak.csv`, `soak.svg` and `verdict.txt` into the output
 * folder and exits 0 when nothing grew, 1 otherwise.
 *
 * Usage: `Soak [--minutes M | --seconds S] [--interval S] [--warmup S] [--out DIR] [--java PATH]`; by default 30
 * minutes, a sample every 10 s, a warm-up of 5 minutes (or a third of a shorter run), the server on this JVM's `java`.
 */
object Soak {
    @JvmStatic
    fun main(args: Array<String>) {
        var seconds = 1800.0
        var interval = 10.0
        var warmup: Double? = null
        var out = File("soak")
        var java = File(System.getProperty("java.home"), "bin/java").path
        var i = 0
        while (i < args.size) {
            val value = args.getOrNull(i + 1) ?: error("${args[i]} needs a value")
            when (args[i]) {
                "--minutes" -> seconds = value.toDouble() * 60
                "--seconds" -> seconds = value.toDouble()
                "--interval" -> interval = value.toDouble()
                "--warmup" -> warmup = value.toDouble()
                "--out" -> out = File(value)
                "--java" -> java = value
                else -> error("unknown option ${args[i]}")
            }
            i += 2
        }
        val verdict = run(seconds, interval, warmup ?: minOf(300.0, seconds / 3), java, out)
        exitProcess(if (verdict.ok) 0 else 1)
    }

    /** Runs the soak and returns its verdict; writes the CSV, the chart and the verdict into [out] if given. */
    fun run(
        seconds: Double,
        interval: Double,
        warmup: Double,
        java: String,
        out: File?,
    ): SoakVerdict {
        val server =
            ProcessBuilder(
                java,
                "-cp",
                System.getProperty("java.class.path"),
                SoakServer::class.java.name,
                TestPki.serverCert.toString(),
                TestPki.serverKey.toString(),
            ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
        try {
            val ready = server.inputReader().readLine() ?: error("the soak server ended before it listened")
            val (plain, tls, stats) = ready.removePrefix("READY ").split(' ').map { it.toInt() }
            val load = SoakLoad(plain, tls, SslContexts.clientContext(TestPki.caCert))
            val samples = mutableListOf<SoakSample>()
            runBlocking(Dispatchers.Default) {
                val start = System.nanoTime()
                val deadline = start + (seconds * 1e9).toLong()
                val running = async { load.run(deadline) }
                var next = start
                while (next <= deadline) {
                    delay(maxOf(0, (next - System.nanoTime()) / 1_000_000))
                    val sample = SoakSample.parse((System.nanoTime() - start) / 1e9, stats(stats))
                    samples += sample
                    println(String.format(Locale.ROOT, "%7.0f s  %s", sample.seconds, sample.line))
                    next += (interval * 1e9).toLong()
                }
                running.await()
            }
            val errors = load.errors.mapValues { it.value.sum() }
            val verdict = SoakVerdict(samples, warmup, errors)
            println("completed: ${load.completed.mapValues { it.value.sum() }.toSortedMap()}")
            print(verdict.report())
            if (out != null) write(out, samples, warmup, verdict, seconds, load)
            return verdict
        } finally {
            server.destroy()
            if (!server.waitFor(10, TimeUnit.SECONDS)) server.destroyForcibly()
        }
    }

    private suspend fun stats(port: Int): String =
        withTimeout(30_000) {
            val conn = openConnection("127.0.0.1", port)
            try {
                conn.writer.write("STATS\n".toByteArray())
                conn.reader.readLine().decodeToString()
            } finally {
                conn.writer.close()
                conn.writer.waitClosed()
            }
        }

    private fun write(
        out: File,
        samples: List<SoakSample>,
        warmup: Double,
        verdict: SoakVerdict,
        seconds: Double,
        load: SoakLoad,
    ) {
        out.mkdirs()
        File(out, "soak.csv").writeText(
            "seconds,fds,rss_bytes,live_heap_bytes,threads,served\n" +
                samples.joinToString("") {
                    "${it.seconds},${it.fds},${it.rss},${it.heap},${it.threads},${it.served}\n"
                },
        )
        val jdk = System.getProperty("java.version")
        val title = "aiostreams soak: ${(seconds / 60).toInt()} min, server on JDK $jdk (grey: warm-up)"
        File(out, "soak.svg").writeText(SoakChart.svg(samples, warmup, title))
        val completed = "completed units of work: ${load.completed.mapValues { it.value.sum() }.toSortedMap()}\n"
        File(out, "verdict.txt").writeText(verdict.report() + completed)
    }
}
