package io.aiostreams

import io.aiostreams.testing.TestPki
import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldContainExactlyInAnyOrder
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.withTimeout
import java.util.Collections

/**
 * A server started with `loops = N` spreads its connections over the event loop and N - 1 more, round robin: each
 * connection's handler runs on its loop's thread, plain and over TLS, and everything echoes as on one loop;
 * descriptors come back after many connections on the other loops; `loops < 1` is refused.
 */
class MultiLoopSpec :
    FunSpec({
        test("twoLoopsTakeTheConnectionsInTurnAndRunTheirHandlersThere") {
            val threads = Collections.synchronizedList(mutableListOf<String>())
            val server =
                startServer("127.0.0.1", 0, loops = 2) { reader, writer ->
                    threads += Thread.currentThread().name.substringBefore(" @")
                    val line = reader.readLine()
                    threads += Thread.currentThread().name.substringBefore(" @")
                    writer.write(line)
                    writer.drain()
                }
            withTimeout(20_000) {
                repeat(4) { i ->
                    val (reader, writer) = openConnection("127.0.0.1", server.port)
                    writer.write("line $i\n".ascii())
                    String(reader.readLine()) shouldBe "line $i\n"
                    writer.close()
                    writer.waitClosed()
                }
            }
            server.close()
            server.waitClosed()
            threads.toSet() shouldBe setOf("aiostreams-loop", "aiostreams-loop-2")
            threads.count { it == "aiostreams-loop-2" } shouldBe 4
        }

        test("twoLoopsServeTlsAndManyConnectionsAtOnce") {
            val threads = Collections.synchronizedSet(mutableSetOf<String>())
            val server =
                startServer(
                    "127.0.0.1",
                    0,
                    ssl = SslContexts.serverContext(TestPki.serverCert, TestPki.serverKey),
                    loops = 2,
                ) {
                    reader,
                    writer,
                    ->
                    val line = reader.readLine()
                    threads += Thread.currentThread().name.substringBefore(" @")
                    writer.write(line)
                    writer.drain()
                }
            withTimeout(60_000) {
                coroutineScope {
                    (0 until 40)
                        .map { i ->
                            async {
                                val (reader, writer) =
                                    openConnection(
                                        "127.0.0.1",
                                        server.port,
                                        ssl = SslContexts.clientContext(TestPki.caCert),
                                        serverHostname = "localhost",
                                    )
                                writer.write("tls $i\n".ascii())
                                val back = String(reader.readLine())
                                writer.close()
                                writer.waitClosed()
                                back
                            }
                        }.awaitAll() shouldContainExactlyInAnyOrder (0 until 40).map { "tls $it\n" }
                }
            }
            server.close()
            server.waitClosed()
            threads shouldBe setOf("aiostreams-loop", "aiostreams-loop-2")
        }

        test("descriptorsComeBackAfterConnectionsOnTwoLoops") {
            val server =
                startServer("127.0.0.1", 0, loops = 2) { reader, writer ->
                    writer.write(reader.readLine())
                    writer.drain()
                }
            repeat(2) {
                openConnection("127.0.0.1", server.port).writer.apply {
                    close()
                    waitClosed()
                }
            }
            val before = awaitDescriptors(openDescriptors())
            withTimeout(60_000) {
                repeat(500) { i ->
                    val (reader, writer) = openConnection("127.0.0.1", server.port)
                    writer.write("cycle $i\n".ascii())
                    String(reader.readLine()) shouldBe "cycle $i\n"
                    if (i % 2 == 0) writer.close() else writer.abort()
                    writer.waitClosed()
                }
            }
            awaitDescriptors(before) shouldBeLessThanOrEqual before
            server.close()
            server.waitClosed()
        }

        test("loopsBelowOneAreRefused") {
            shouldThrow<IllegalArgumentException> {
                startServer("127.0.0.1", 0, loops = 0) { _, _ -> }
            }.message shouldBe
                "loops < 1: 0"
        }
    })
