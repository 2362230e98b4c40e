package io.aiostreams.bench

import io.aiostreams.testing.TestPki
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.doubles.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.double
import kotlinx.serialization.json.jsonPrimitive
import java.io.File
import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.TimeUnit

private fun freePort(): Int = ServerSocket(0).use { it.localPort }

private fun awaitListening(port: Int) {
    repeat(200) {
        if (runCatching { Socket("127.0.0.1", port).close() }.isSuccess) return
        Thread.sleep(50)
    }
    error("nothing listens on $port")
}

/** Small sizes: the harnesses must do the work and report it, not be fast. */
private val sizes = mapOf("W1" to 3L * 65536 + 123, "W2" to 2_000L, "W3" to 300L, "W4" to 30L, "W5" to 50L)

private val metrics = mapOf(
    "W1" to "MiB/s",
    "W2" to "lines/s",
    "W3" to "round_trips/s",
    "W4" to "conns/s",
    "W5" to "seconds",
)

/** One benchmark harness: how to start its server (in this process or another) and run its client. */
private class Harness(
    val peer: String,
    val server: (String, Int) -> Unit,
    val client: (String, Int, Long) -> String,
    val workloads: List<String> = listOf("W1", "W2", "W3", "W4", "W5"),
    /** The peer its client names in its JSON line (another harness's client may serve). */
    val reportedAs: String = peer,
)

private fun inProcess(serve: (String, Int) -> Unit): (String, Int) -> Unit =
    { workload, port ->
        Thread { serve(workload, port) }.apply {
            isDaemon = true
            start()
        }
    }

private val python = File("asyncio_peer.py").absolutePath

private val harnesses =
    listOf(
        Harness(
            "aiostreams",
            inProcess(io.aiostreams.bench.StreamsBench::server),
            io.aiostreams.bench.StreamsBench::client,
        ),
        Harness(
            "aiostreams-2loops",
            inProcess { w, port -> io.aiostreams.bench.StreamsBench.server(w, port, null, null, 2) },
            io.aiostreams.bench.StreamsBench::client,
            reportedAs = "aiostreams",
        ),
        Harness(
            "aiostreams-java",
            inProcess(io.aiostreams.bench.java.StreamsBench::server),
            io.aiostreams.bench.java.StreamsBench::client,
        ),
        Harness(
            "aiostreams-blocking",
            inProcess(io.aiostreams.bench.java.BlockingBench::server),
            io.aiostreams.bench.java.BlockingBench::client,
        ),
        Harness(
            "netty",
            inProcess { w, port -> io.aiostreams.bench.netty.NettyBench.server(w, port, null, null) },
            { w, port, size -> io.aiostreams.bench.netty.NettyBench.client(w, port, size, null) },
        ),
        Harness(
            "ktor",
            inProcess(io.aiostreams.bench.KtorBench::server),
            io.aiostreams.bench.KtorBench::client,
        ),
        Harness(
            "nio",
            inProcess(io.aiostreams.bench.NioFloor::server),
            io.aiostreams.bench.NioFloor::client,
            workloads = listOf("W1", "W2", "W3"),
        ),
        Harness(
            "cpython",
            { workload, port ->
                val process =
                    ProcessBuilder("python3", python, "server", "--workload", workload, "--port", "$port")
                        .redirectErrorStream(true)
                        .redirectOutput(ProcessBuilder.Redirect.DISCARD)
                        .start()
                Runtime.getRuntime().addShutdownHook(Thread { process.destroyForcibly() })
            },
            { workload, port, size ->
                val flag = if (workload == "W1") {
                    "--size"
                } else if (workload == "W5") {
                    "--conns"
                } else {
                    "--n"
                }
                val process =
                    ProcessBuilder(
                        "python3",
                        python,
                        "client",
                        "--workload",
                        workload,
                        "--port",
                        "$port",
                        flag,
                        "$size",
                    )
                        .redirectError(ProcessBuilder.Redirect.INHERIT)
                        .start()
                val out = process.inputStream.readBytes().decodeToString()
                process.waitFor(60, TimeUnit.SECONDS) shouldBe true
                process.exitValue() shouldBe 0
                out.trim()
            },
        ),
    )

/**
 * Every benchmark harness (the aiostreams twins, Netty, raw Ktor and CPython) serves and runs every workload and reports it
 * as one JSON line, and the NIO floor W1 and W3; speed is the benchmark runner's business, never this test's.
 */
class BenchHarnessSpec :
    FunSpec({
        for (harness in harnesses) {
            for (workload in harness.workloads) {
                test("${harness.peer}HarnessServesAndReports$workload") {
                    val port = freePort()
                    harness.server(workload, port)
                    awaitListening(port)
                    val line = harness.client(workload, port, sizes.getValue(workload))
                    val json = Json.parseToJsonElement(line) as JsonObject
                    json["peer"]!!.jsonPrimitive.content shouldBe harness.reportedAs
                    json["workload"]!!.jsonPrimitive.content shouldBe workload
                    json["metric"]!!.jsonPrimitive.content shouldBe metrics.getValue(workload)
                    json["value"]!!.jsonPrimitive.double shouldBeGreaterThan 0.0
                    if (workload == "W3") {
                        json["p99_us"]!!.jsonPrimitive.double shouldBeGreaterThan 0.0
                        json["p50_us"]!!.jsonPrimitive.double shouldBeGreaterThan 0.0
                    }
                }
            }
        }

        // W6 over TLS with the test PKI: each TLS harness serves and verifies the chain (W7's client is openssl s_time).
        val tlsHarnesses: Map<String, Pair<(Int) -> Unit, (Int, Long) -> String>> =
            mapOf(
                "aiostreams" to
                    Pair(
                        { port: Int ->
                            inProcess { w, p ->
                                io.aiostreams.bench.StreamsBench.server(
                                    w,
                                    p,
                                    TestPki.serverCert.toFile(),
                                    TestPki.serverKey.toFile(),
                                )
                            }("W6", port)
                        },
                        { port: Int, size: Long ->
                            io.aiostreams.bench.StreamsBench.client("W6", port, size, TestPki.caCert.toFile())
                        },
                    ),
                "netty" to
                    Pair(
                        { port: Int ->
                            inProcess { w, p ->
                                io.aiostreams.bench.netty.NettyBench.server(
                                    w,
                                    p,
                                    TestPki.serverCert.toFile(),
                                    TestPki.serverKey.toFile(),
                                )
                            }("W6", port)
                        },
                        { port: Int, size: Long ->
                            io.aiostreams.bench.netty.NettyBench.client("W6", port, size, TestPki.caCert.toFile())
                        },
                    ),
            )
        for ((peer, harness) in tlsHarnesses) {
            test("${peer}HarnessServesAndReportsW6OverTls") {
                val port = freePort()
                harness.first(port)
                awaitListening(port)
                val json = Json.parseToJsonElement(harness.second(port, 3L * 65536 + 123)) as JsonObject
                json["peer"]!!.jsonPrimitive.content shouldBe peer
                json["workload"]!!.jsonPrimitive.content shouldBe "W6"
                json["metric"]!!.jsonPrimitive.content shouldBe "MiB/s"
                json["value"]!!.jsonPrimitive.double shouldBeGreaterThan 0.0
            }
        }

        test("theNioFloorRefusesTheWorkloadsItDoesNotImplement") {
            val error =
                shouldThrow<IllegalArgumentException> {
                    io.aiostreams.bench.NioFloor.client("W4", freePort(), 10)
                }
            error.message shouldBe "the nio floor implements W1, W2 and W3 only, not W4"
        }

        test("defaultSizesAreTheWorkloadFilesDefaults") {
            BenchSpec.defaultSize("W1") shouldBe (1L shl 30)
            BenchSpec.defaultSize("W2") shouldBe 5_000_000L
            BenchSpec.defaultSize("W3") shouldBe 100_000L
            BenchSpec.defaultSize("W4") shouldBe 20_000L
            BenchSpec.defaultSize("W5") shouldBe 2_000L
            BenchSpec.defaultSize("W6") shouldBe (1L shl 30)
        }
    })
