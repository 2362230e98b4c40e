package io.aiostreams.bench

import io.aiostreams.bench.soak.Soak
import io.aiostreams.bench.soak.SoakSample
import io.aiostreams.bench.soak.SoakVerdict
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.File
import kotlin.time.Duration.Companion.minutes

private fun sample(
    seconds: Double,
    fds: Long = 40,
    heap: Long = 20L shl 20,
    threads: Long = 20,
) = SoakSample(seconds, fds, 100L shl 20, heap, threads, 0, "fds=$fds")

/**
 * The soak's verdict finds growth where there is some, and a one-minute soak of the real server (pingpong, churn, TLS
 * churn, bulk, and faults through the proxy) shows no growth in descriptors, threads or live heap after its warm-up,
 * and no unexpected client error.
 */
class SoakSpec :
    FunSpec({
        test("verdictFindsGrowingDescriptorsThreadsAndHeapButNotNoise") {
            val flat = (0..30).map { sample(it * 10.0, fds = 40L + it % 7, heap = (20L shl 20) + (it % 3) * 100_000L) }
            SoakVerdict(flat, 60.0, emptyMap()).failures.shouldBeEmpty()
            val leaking = (0..30).map { sample(it * 10.0, fds = 40L + it * 2) }
            SoakVerdict(leaking, 60.0, emptyMap()).failures.single() shouldContain "descriptors grew"
            val threads = (0..30).map { sample(it * 10.0, threads = 20L + it) }
            SoakVerdict(threads, 60.0, emptyMap()).failures.single() shouldContain "threads grew"
            val heap = (0..30).map { sample(it * 10.0, heap = (20L shl 20) + it * (1L shl 20)) }
            SoakVerdict(heap, 60.0, emptyMap()).failures.single() shouldContain "live heap grew"
            SoakVerdict(flat, 60.0, mapOf("churn IOException" to 1L)).ok shouldBe false
            SoakVerdict(flat.take(3), 60.0, emptyMap()).failures.single() shouldContain "too short"
        }

        test("aMinuteOfMixedLoadAndFaultsGrowsNothing").config(timeout = 3.minutes) {
            val out = File("target/soak-60s")
            val verdict =
                Soak.run(
                    seconds = 60.0,
                    interval = 5.0,
                    warmup = 20.0,
                    java = File(System.getProperty("java.home"), "bin/java").path,
                    out = out,
                )
            print(verdict.report())
            verdict.failures.shouldBeEmpty()
            File(out, "soak.svg").readText() shouldContain "<polyline"
        }
    })
