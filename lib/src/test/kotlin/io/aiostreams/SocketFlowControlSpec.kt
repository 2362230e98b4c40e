package io.aiostreams

import io.aiostreams.testing.ascii
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.longs.shouldBeGreaterThan
import io.kotest.matchers.longs.shouldBeLessThan
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout

class SocketFlowControlSpec :
    FunSpec({
        test("aReaderThatIsNotReadStopsTakingFromTheSocketAndLosesNothing") {
            val total = 48 * 1024 * 1024
            val data = ByteArray(total) { (it * 7).toByte() }
            val sent = CompletableDeferred<Long>()
            val server =
                startServer("127.0.0.1", 0) { _, writer ->
                    writer.write(data)
                    delay(1_000)
                    // The peer has stopped reading: much of the 48 MiB is still waiting on this side.
                    sent.complete(writer.getWriteBufferSize())
                    writer.drain()
                }
            val limit = 16 * 1024
            val (reader, writer) = openConnection("127.0.0.1", server.port, limit = limit)
            val stillQueued = withTimeout(30_000) { sent.await() }
            // Paused above 2 * limit: the reader holds at most that plus one 256 KiB feed.
            reader.core.bufferedSize() shouldBeLessThan (2L * limit + 256 * 1024 + 1)
            stillQueued shouldBeGreaterThan 0L
            val received = withTimeout(30_000) { reader.readExactly(total) }
            received.size shouldBe total
            val firstDifference = received.indices.firstOrNull { received[it] != data[it] }
            firstDifference shouldBe null
            writer.write("done".ascii())
            writer.close()
            server.close()
            server.waitClosed()
        }
    })
