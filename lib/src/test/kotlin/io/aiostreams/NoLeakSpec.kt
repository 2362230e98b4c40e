package io.aiostreams

import io.aiostreams.testing.ascii
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.withTimeout

/** Descriptors come back (no more than at the start): after clean cycles, after aborts, and after failing handlers. */
class NoLeakSpec :
    FunSpec({
        test("descriptorCountReturnsAfterConnectExchangeCloseAbortAndFailingHandlers") {
            val server =
                startServer("127.0.0.1", 0, exceptionHandler = {}) { reader, writer ->
                    val line = reader.readLine()
                    if (line.contentEquals("fail\n".ascii())) throw IllegalStateException("handler failure")
                    writer.write(line)
                    writer.drain()
                }
            // Warm up once, so that the selector and thread pools exist before counting.
            openConnection("127.0.0.1", server.port).writer.apply {
                close()
                waitClosed()
            }
            val before = awaitDescriptors(openDescriptors())

            withTimeout(120_000) {
                repeat(2_000) { i ->
                    val (reader, writer) = openConnection("127.0.0.1", server.port)
                    writer.write("cycle $i\n".ascii())
                    String(reader.readLine()) shouldBe "cycle $i\n"
                    writer.close()
                    writer.waitClosed()
                }
                repeat(200) {
                    val (_, writer) = openConnection("127.0.0.1", server.port)
                    writer.write("never answered".ascii())
                    writer.abort()
                    writer.waitClosed()
                }
                repeat(200) {
                    val (reader, writer) = openConnection("127.0.0.1", server.port)
                    writer.write("fail\n".ascii())
                    reader.read().size shouldBe 0
                    writer.close()
                    writer.waitClosed()
                }
            }
            awaitDescriptors(before) shouldBeLessThanOrEqual before
            server.close()
            server.waitClosed()
        }
    })
