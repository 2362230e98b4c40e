package io.aiostreams.samples

import io.aiostreams.startServer
import io.aiostreams.testing.TestPki
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContain
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldStartWith
import kotlinx.coroutines.CompletableDeferred
import java.io.ByteArrayOutputStream
import java.io.PrintStream
import java.net.InetSocketAddress
import java.nio.file.Path

private class Run(
    val code: Int,
    val out: String,
    val err: String,
)

private fun run(block: (PrintStream, PrintStream) -> Int): Run {
    val out = ByteArrayOutputStream()
    val err = ByteArrayOutputStream()
    val code = PrintStream(out, true, Charsets.UTF_8).use { o ->
        PrintStream(err, true, Charsets.UTF_8).use { e -> block(o, e) }
    }
    return Run(code, out.toString(Charsets.UTF_8), err.toString(Charsets.UTF_8))
}

private val headTwins: Map<String, (String, Path?, Long, PrintStream, PrintStream) -> Int> =
    mapOf(
        "kotlin" to { url, ca, ms, o, e -> io.aiostreams.samples.kotlin.HeadTool.run(url, ca, ms, o, e) },
        "java" to
            {
                url,
                ca,
                ms,
                o,
                e,
                ->
                io.aiostreams.samples.java.HeadTool.run(url, ca, java.time.Duration.ofMillis(ms), o, e)
            },
    )

/** `wget TARGET [PORT] [--cafile] [--timeout]` in one twin, with progress off (no terminal). */
private typealias WgetTwin = (String, Int?, Path?, Long, PrintStream, PrintStream) -> Int

private val wgetTwins: Map<String, WgetTwin> =
    mapOf(
        "kotlin" to { t, port, ca, ms, o, e -> io.aiostreams.samples.kotlin.Wget.run(t, port, ca, ms, false, o, e) },
        "java" to { t, port, ca, ms, o, e -> io.aiostreams.samples.java.Wget.run(t, port, ca, ms, false, o, e) },
    )

/** The HTTP samples (`head`, `wget`) in both twins, against a real nginx and against an aiostreams server. */
class HttpToolsSpec :
    FunSpec({
        val nginx = Nginx()
        afterSpec { nginx.close() }

        for ((twin, head) in headTwins) {
            context("twin $twin") {
                test("headPrintsNginxHeadersOverHttp") {
                    val r = run { o, e -> head("http://127.0.0.1:${nginx.httpPort}/", null, 10_000, o, e) }
                    r.code shouldBe 0
                    val lines = r.out.lines()
                    lines.first() shouldStartWith "HTTP header> HTTP/1.1 200 OK"
                    lines shouldContain "HTTP header> X-Test: aiostreams"
                    lines.any { it.startsWith("HTTP header> Server: nginx") } shouldBe true
                }

                test("headPrintsNginxHeadersOverHttpsWithATestCa") {
                    val r = run { o, e -> head("https://localhost:${nginx.httpsPort}/", TestPki.caCert, 10_000, o, e) }
                    r.err shouldBe ""
                    r.code shouldBe 0
                    r.out.lines() shouldContain "HTTP header> X-Test: aiostreams"
                }

                test("headFailsClearlyWhenTheCertificateIsNotTrusted") {
                    val r = run { o, e -> head("https://localhost:${nginx.httpsPort}/", null, 10_000, o, e) }
                    r.code shouldBe 1
                    r.err shouldStartWith "samples head: TLS failure with https://localhost:${nginx.httpsPort}/: "
                }

                test("headFailsClearlyOnARefusedConnectionABadUrlAndATimeout") {
                    val refused = run { o, e -> head("http://127.0.0.1:1/", null, 10_000, o, e) }
                    refused.code shouldBe 1
                    refused.err shouldStartWith "samples head: cannot connect to http://127.0.0.1:1/: "
                    val bad = run { o, e -> head("ftp://example/", null, 10_000, o, e) }
                    bad.code shouldBe 1
                    bad.err.trim() shouldBe "samples head: bad URL 'ftp://example/': the scheme must be http or https"
                    val silent = CompletableDeferred<Unit>()
                    val server = startServer("127.0.0.1", 0) { _, _ -> silent.await() }
                    val port = (server.addresses.first() as InetSocketAddress).port
                    val slow = run { o, e -> head("http://127.0.0.1:$port/", null, 500, o, e) }
                    slow.code shouldBe 1
                    slow.err.trim() shouldBe "samples head: timed out after 0.5 seconds"
                    silent.complete(Unit)
                    server.close()
                    server.waitClosed()
                }

                test("headAgainstAnAiostreamsServerPrintsEveryHeaderLine") {
                    val server =
                        startServer("127.0.0.1", 0) { reader, writer ->
                            val request = reader.readUntil("\r\n\r\n".toByteArray()).decodeToString()
                            val path = request.lineSequence().first()
                            writer.write("HTTP/1.0 204 No Content\r\nX-Request: $path\r\n\r\n".toByteArray())
                        }
                    val port = (server.addresses.first() as InetSocketAddress).port
                    val r = run { o, e -> head("http://127.0.0.1:$port/some/path?q=1", null, 10_000, o, e) }
                    r.code shouldBe 0
                    r.out shouldBe
                        "HTTP header> HTTP/1.0 204 No Content\nHTTP header> X-Request: HEAD /some/path?q=1 HTTP/1.0\n"
                    server.close()
                    server.waitClosed()
                }
            }
        }

        for ((twin, wget) in wgetTwins) {
            context("wget twin $twin") {
                test("wgetPrintsNginxsResponse") {
                    val r = run { o, e -> wget("127.0.0.1", nginx.httpPort, null, 10_000, o, e) }
                    r.code shouldBe 0
                    r.out.lines().first() shouldStartWith "127.0.0.1 header > HTTP/1.1 200 OK"
                    r.out.endsWith("hello from nginx\n") shouldBe true
                }

                test("wgetFetchesAnHttpsUrlWithATestCa") {
                    val r = run {
                        o,
                        e,
                        ->
                        wget("https://localhost:${nginx.httpsPort}/", null, TestPki.caCert, 10_000, o, e)
                    }
                    r.err shouldBe ""
                    r.code shouldBe 0
                    r.out.endsWith("hello over tls\n") shouldBe true
                }

                test("wgetStreamsTheBodyBeforeItEnds") {
                    // The server sends its first part, then waits until the client has printed it: a wget that
                    // buffered the whole body would never print it, and the server would give up waiting.
                    val out = ByteArrayOutputStream()
                    val printed = CompletableDeferred<Boolean>()
                    val server =
                        startServer("127.0.0.1", 0) { reader, writer ->
                            reader.readUntil("\r\n\r\n".toByteArray())
                            writer.write("HTTP/1.0 200 OK\r\n\r\nfirst part\n".toByteArray())
                            writer.drain()
                            val deadline = System.nanoTime() + 10_000_000_000L
                            while (!out.toString(Charsets.UTF_8).contains("first part") &&
                                System.nanoTime() < deadline
                            ) {
                                kotlinx.coroutines.delay(10)
                            }
                            printed.complete(out.toString(Charsets.UTF_8).contains("first part"))
                            writer.write(ByteArray(1 shl 20) { 'x'.code.toByte() })
                            writer.write("\nthe end\n".toByteArray())
                            writer.close()
                        }
                    val port = (server.addresses.first() as InetSocketAddress).port
                    val code = PrintStream(out, true, Charsets.UTF_8).use { o ->
                        wget("127.0.0.1", port, null, 20_000, o, System.err)
                    }
                    code shouldBe 0
                    printed.await() shouldBe true
                    val text = out.toString(Charsets.UTF_8)
                    text.endsWith("\nthe end\n") shouldBe true
                    text.count { it == 'x' } shouldBe (1 shl 20)
                    server.close()
                    server.waitClosed()
                }

                test("wgetGivesUpWhenNoDataComesWithinTheTimeout") {
                    val server =
                        startServer("127.0.0.1", 0) { reader, writer ->
                            reader.readUntil("\r\n\r\n".toByteArray())
                            writer.write("HTTP/1.0 200 OK\r\n\r\nsome".toByteArray())
                            reader.read() // stalls: the client hangs up first
                        }
                    val port = (server.addresses.first() as InetSocketAddress).port
                    val r = run { o, e -> wget("127.0.0.1", port, null, 300, o, e) }
                    r.code shouldBe 1
                    r.err.trim() shouldBe "samples wget: timed out: no data for 0.3 seconds"
                    r.out.endsWith("some") shouldBe true
                    server.close()
                    server.closeClients()
                    server.waitClosed()
                }

                test("wgetRejectsAPortGivenTwice") {
                    val r = run { o, e -> wget("http://127.0.0.1:1/", 80, null, 1_000, o, e) }
                    r.code shouldBe 1
                    r.err.trim() shouldBe
                        "samples wget: give the port in the URL, not as a second argument: http://127.0.0.1:1/ 80"
                }
            }
        }
    })
