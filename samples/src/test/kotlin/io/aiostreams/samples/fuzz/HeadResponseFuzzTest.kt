package io.aiostreams.samples.fuzz

import com.code_intelligence.jazzer.api.BugDetectors
import com.code_intelligence.jazzer.api.FuzzedDataProvider
import com.code_intelligence.jazzer.junit.FuzzTest
import org.junit.jupiter.api.AfterAll
import org.junit.jupiter.api.Assertions.assertEquals
import org.junit.jupiter.api.Assertions.assertFalse
import org.junit.jupiter.api.Assertions.assertTrue
import java.io.ByteArrayOutputStream
import java.io.IOException
import java.io.PrintStream
import java.net.InetAddress
import java.net.ServerSocket
import java.time.Duration
import java.util.concurrent.Executors
import java.util.concurrent.TimeUnit
import io.aiostreams.samples.java.HeadTool as JavaHeadTool
import io.aiostreams.samples.kotlin.HeadTool as KotlinHeadTool

/** What `samples head` must print for a response, by CPython's rules: its lines, and whether it then fails. */
private class Expected(
    val out: String,
    val fails: Boolean,
)

/** The characters Python's `str.rstrip()` removes from Latin-1 text (`str.isspace()`). */
private val PY_SPACE = "\t\n\u000b\u000c\r\u001c\u001d\u001e\u001f \u0085\u00a0".toSet()

/**
 * `print_http_headers` in CPython, as a plain function of the whole response: `readline()` gives each line with its
 * `\n` (the last may be unterminated); a line with more than the 64 KiB limit before its `\n`, or an unterminated tail
 * that long, is a `ValueError` that ends the program; every line is decoded as Latin-1, `rstrip()`ped, and printed
 * unless empty.
 */
private fun expected(response: ByteArray): Expected {
    val out = StringBuilder()
    var start = 0
    while (start < response.size) {
        val newline = (start until response.size).firstOrNull { response[it] == '\n'.code.toByte() }
        val end = newline?.plus(1) ?: response.size
        if ((newline ?: response.size) - start > LIMIT) return Expected(out.toString(), fails = true)
        val text = String(response, start, end - start, Charsets.ISO_8859_1).trimEnd { it in PY_SPACE }
        if (text.isNotEmpty()) out.append("HTTP header> ").append(text).append(System.lineSeparator())
        start = end
    }
    return Expected(out.toString(), fails = false)
}

private const val LIMIT = 65_536

/**
 * Hostile responses to `samples head` (both twins) from a raw loopback server: no status line, binary, lines without
 * CR or LF, lines around and past the 64 KiB limit, control characters. Each case must end as CPython's program ends:
 * the header lines printed exactly and exit status 0, or the lines before an over-long one and then exit status 1
 * with one line on standard error, `samples head: <cause>`, never a stack trace, never a hang.
 */
class HeadResponseFuzzTest {
    @FuzzTest(maxDuration = "30s")
    fun headPrintsTheLinesOrFailsInOneLine(data: FuzzedDataProvider) {
        val java = data.consumeBoolean()
        val long = if (data.consumeInt(0, 5) == 0) LIMIT - 6 + data.consumeInt(0, 12) else 0
        val at = data.consumeInt(0, Int.MAX_VALUE)
        val raw = data.consumeRemainingAsBytes()
        val response =
            ByteArrayOutputStream().run {
                val cut = if (raw.isEmpty()) 0 else at % (raw.size + 1)
                write(raw, 0, cut)
                write(ByteArray(long) { 'A'.code.toByte() })
                write(raw, cut, raw.size - cut)
                toByteArray()
            }
        val want = expected(response)
        val out = ByteArrayOutputStream()
        val err = ByteArrayOutputStream()
        val served = peers.submit { answer(response) }
        val code =
            BugDetectors.allowNetworkConnections { host, _ -> InetAddress.getByName(host).isLoopbackAddress }.use {
                val url = "http://127.0.0.1:${listener.localPort}/"
                val outStream = PrintStream(out, true, Charsets.UTF_8)
                val errStream = PrintStream(err, true, Charsets.UTF_8)
                if (java) {
                    JavaHeadTool.run(url, null, Duration.ofSeconds(10), outStream, errStream)
                } else {
                    KotlinHeadTool.run(url, null, 10_000, outStream, errStream)
                }
            }
        served.get(10, TimeUnit.SECONDS)
        val errText = err.toString(Charsets.UTF_8)
        val context = "${if (java) "java" else "kotlin"} twin, ${response.size} bytes, stderr: $errText"
        assertEquals(want.out, out.toString(Charsets.UTF_8), context)
        if (want.fails) {
            assertEquals(1, code, context)
            val lines = errText.lines().filter { it.isNotEmpty() }
            assertEquals(1, lines.size, context)
            assertTrue(lines[0].startsWith("samples head: "), context)
            assertFalse(lines[0].contains("Exception"), context)
        } else {
            assertEquals(0, code, context)
            assertEquals("", errText, context)
        }
    }

    companion object {
        private val listener = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
        private val peers = Executors.newCachedThreadPool { r -> Thread(r, "head-fuzz-peer").apply { isDaemon = true } }

        /** Serves one connection: reads the request to its blank line, sends [response], ends, reads to the end. */
        private fun answer(response: ByteArray) {
            listener.accept().use { s ->
                s.soTimeout = 10_000
                try {
                    val input = s.getInputStream()
                    var tail = 0
                    while (tail != 0x0d0a0d0a) tail = (tail shl 8) or input.read().also { check(it >= 0) }
                    s.getOutputStream().write(response)
                    s.shutdownOutput()
                    while (input.read() >= 0) continue
                } catch (e: IOException) {
                    // The tool stopped reading (an over-long line) and closed: nothing left to serve.
                }
            }
        }

        @JvmStatic
        @AfterAll
        fun stop() {
            listener.close()
            peers.shutdownNow()
        }
    }
}
