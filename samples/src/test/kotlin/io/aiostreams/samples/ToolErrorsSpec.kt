package io.aiostreams.samples

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.string.shouldStartWith
import java.io.ByteArrayOutputStream
import java.io.File
import java.io.PrintStream
import java.net.DatagramSocket
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket

/** What the `samples` program printed and returned. */
private class ToolRun(
    val code: Int,
    val out: String,
    val err: String,
)

/** Runs `samples args...` in this process, capturing both streams. */
private fun samples(vararg args: String): ToolRun {
    val out = ByteArrayOutputStream()
    val err = ByteArrayOutputStream()
    val (oldOut, oldErr) = System.out to System.err
    System.setOut(PrintStream(out, true, Charsets.UTF_8))
    System.setErr(PrintStream(err, true, Charsets.UTF_8))
    val code =
        try {
            Samples.execute(*args)
        } finally {
            System.setOut(oldOut)
            System.setErr(oldErr)
        }
    return ToolRun(code, out.toString(Charsets.UTF_8), err.toString(Charsets.UTF_8))
}

/**
 * The lines the command itself wrote to standard error: without the log lines other threads of this test JVM may
 * print meanwhile (slf4j-simple's `[thread] LEVEL logger - ...`).
 */
private fun ToolRun.errLines(): List<String> =
    err.lines().filter { it.isNotBlank() && !Regex("""^\[[^]]+] (TRACE|DEBUG|INFO|WARN|ERROR) """).containsMatchIn(it) }

/** A loopback port nothing listens on. */
private fun closedPort(): Int = ServerSocket(0, 1, InetAddress.getLoopbackAddress()).use { it.localPort }

/**
 * The samples behave like command-line tools: a network failure is one line, `samples <command>: <cause>`, and exit
 * status 1, in every twin; `--stacktrace` adds the trace; `--version` prints the build's version.
 */
class ToolErrorsSpec :
    FunSpec({
        val refused = closedPort().toString()
        val clients =
            mapOf(
                "echo-client" to listOf("kotlin", "java"),
                "line-client" to listOf("kotlin", "java", "blocking"),
            )
        for ((command, twins) in clients) {
            for (lang in twins) {
                test("${command}In${lang}PrintsOneLineWhenTheConnectionIsRefused") {
                    val run = samples(command, "--host", "127.0.0.1", "--port", refused, "--lang", lang)
                    run.code shouldBe 1
                    run.errLines() shouldBe
                        listOf("samples $command: cannot connect to the server: Connection refused")
                }
            }
        }

        val servers =
            mapOf(
                "echo-server" to listOf("kotlin", "java", "blocking"),
                "simple-echo-server" to listOf("kotlin", "java"),
            )
        for ((command, twins) in servers) {
            for (lang in twins) {
                test("${command}In${lang}PrintsOneLineWhenThePortIsTaken") {
                    ServerSocket(0, 1, InetAddress.getByName("127.0.0.1")).use { taken ->
                        val port = taken.localPort.toString()
                        val run = samples(command, "--host", "127.0.0.1", "--port", port, "--lang", lang)
                        run.code shouldBe 1
                        val lines = run.errLines()
                        lines.size shouldBe 1
                        lines[0] shouldStartWith "samples $command: cannot listen: "
                        lines[0] shouldContain "address already in use"
                    }
                }
            }
        }

        test("udpEchoServerPrintsOneLineWhenThePortIsTaken") {
            DatagramSocket(InetSocketAddress("127.0.0.1", 0)).use { taken ->
                for (lang in listOf("kotlin", "java")) {
                    val run = samples("udp-echo-server", "--port", taken.localPort.toString(), "--lang", lang)
                    run.code shouldBe 1
                    val lines = run.errLines()
                    lines.size shouldBe 1
                    lines[0] shouldStartWith "samples udp-echo-server: "
                }
            }
        }

        test("wgetPrintsOneLineForAnUnknownHostAndARefusedPort") {
            for (lang in listOf("kotlin", "java")) {
                val run = samples("wget", "127.0.0.1", refused, "--lang", lang)
                run.code shouldBe 1
                run.err.trim() shouldBe "samples wget: cannot connect to 127.0.0.1:$refused: Connection refused"
            }
        }

        test("stacktraceAddsTheTraceAfterTheLine") {
            val run = samples("line-client", "--host", "127.0.0.1", "--port", refused, "--stacktrace")
            run.code shouldBe 1
            val lines = run.err.lines()
            lines[0] shouldBe "samples line-client: cannot connect to the server: Connection refused"
            run.err shouldContain "java.net.ConnectException: Connection refused"
            run.err shouldContain "\tat "
        }

        test("versionPrintsTheBuildsVersion") {
            for (args in listOf(arrayOf("--version"), arrayOf("echo-server", "--version"))) {
                val run = samples(*args)
                run.code shouldBe 0
                run.out.trim() shouldStartWith "samples 0."
                run.out shouldContain "aiostreams 0."
            }
        }

        test("javaTwinsImportNothingFromTheKotlinTwins") {
            val javaTwins = File("src/main/java/io/aiostreams/samples/java").listFiles()!!.filter {
                it.name.endsWith(".java")
            }
            javaTwins.size shouldBe javaTwins.size.coerceAtLeast(10)
            javaTwins.filter { it.readText().contains("io.aiostreams.samples.kotlin") }.map { it.name } shouldBe
                emptyList()
        }
    })
