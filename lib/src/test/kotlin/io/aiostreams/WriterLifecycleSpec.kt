package io.aiostreams

import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.longs.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import java.lang.ref.WeakReference
import java.net.SocketException

/** The writer around close(), as CPython's: drain and writes while the buffer flushes, the transport, a dropped writer. */
class WriterLifecycleSpec :
    FunSpec({
        /** A server that starts reading after [delayMillis] and reports how many bytes came before end of stream. */
        suspend fun countingServer(
            received: CompletableDeferred<Long>,
            delayMillis: Long = 200,
        ): Server =
            startServer("127.0.0.1", 0) { reader, _ ->
                delay(delayMillis)
                var total = 0L
                while (true) {
                    val chunk = reader.read(65536)
                    if (chunk.isEmpty()) break
                    total += chunk.size
                }
                received.complete(total)
            }

        test("drainAfterCloseWaitsForTheFlushAndReturnsThenConnectionLost") {
            val received = CompletableDeferred<Long>()
            val server = countingServer(received)
            val (_, writer) = openConnection("127.0.0.1", server.port)
            writer.write(ByteArray(8_000_000))
            writer.getWriteBufferSize() shouldBeGreaterThan 0L
            writer.close()
            // CPython's probe: the first drain returns normally once everything is sent; the next one raises.
            withTimeout(30_000) { writer.drain() }
            withTimeout(30_000) { writer.waitClosed() }
            shouldThrow<SocketException> { writer.drain() }.message shouldBe "Connection lost"
            withTimeout(30_000) { received.await() } shouldBe 8_000_000L
            server.close()
            server.waitClosed()
        }

        test("coroutinesLaunchedOnAConnectionAreCancelledByItsCloseAndOnesLaunchedAfterItStartCancelled") {
            val server = echoServer()
            // Launched while the connection lives: it runs until the close cancels it.
            val (_, first) = openConnection("127.0.0.1", server.port)
            val before = first.core.scope.launch { awaitCancellation() }
            delay(50)
            before.isActive shouldBe true
            first.close()
            withTimeout(10_000) { before.join() }
            before.isCancelled shouldBe true
            // Lost before it ever launched one: a launch afterwards starts cancelled instead of running unowned.
            val (_, second) = openConnection("127.0.0.1", server.port)
            second.close()
            withTimeout(10_000) { second.waitClosed() }
            val after = second.core.scope.launch { awaitCancellation() }
            withTimeout(10_000) { after.join() }
            after.isCancelled shouldBe true
            server.close()
            server.waitClosed()
        }

        test("drainAfterCloseWithNothingBufferedRaisesAtOnce") {
            val server = startServer("127.0.0.1", 0) { reader, _ -> reader.read() }
            val (_, writer) = openConnection("127.0.0.1", server.port)
            writer.close()
            shouldThrow<SocketException> { writer.drain() }.message shouldBe "Connection lost"
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("writesAfterCloseAreSentWhileTheBufferIsStillFlushingAndDroppedOnceGone") {
            val received = CompletableDeferred<Long>()
            val server = countingServer(received)
            val (_, writer) = openConnection("127.0.0.1", server.port)
            writer.write(ByteArray(8_000_000))
            writer.getWriteBufferSize() shouldBeGreaterThan 0L
            writer.close()
            writer.write(ByteArray(1_000)) // still flushing: sent, as CPython sends it
            withTimeout(30_000) { writer.waitClosed() }
            writer.write(ByteArray(1_000)) // lost: dropped
            withTimeout(30_000) { received.await() } shouldBe 8_001_000L
            server.close()
            server.waitClosed()
        }

        test("theWritersTransportPausesReadingAndReportsTheMarks") {
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    writer.write(reader.readLine())
                    writer.drain()
                    reader.read()
                }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            val transport = writer.transport
            transport.getWriteBufferLimits().toList() shouldBe listOf(16 * 1024, 64 * 1024)
            transport.isReading() shouldBe true
            transport.pauseReading()
            transport.isReading() shouldBe false
            writer.write("echo\n".ascii())
            delay(200)
            reader.core.bufferedSize() shouldBe 0L // paused: nothing moved into the reader
            transport.resumeReading()
            String(withTimeout(10_000) { reader.readLine() }) shouldBe "echo\n"
            transport.getExtraInfo("peername") shouldBe writer.getExtraInfo("peername")
            writer.close()
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("aWriterDroppedWithoutCloseClosesItsConnectionWhenCollected") {
            val ended = CompletableDeferred<Unit>()
            val server =
                startServer("127.0.0.1", 0) { reader, _ ->
                    reader.read()
                    ended.complete(Unit)
                }
            var dropped: WeakReference<StreamWriter>? = null
            run {
                val connection = openConnection("127.0.0.1", server.port)
                dropped = WeakReference(connection.writer)
            }
            withTimeout(30_000) {
                while (dropped!!.get() != null || !ended.isCompleted) {
                    System.gc()
                    delay(50)
                }
            }
            ended.isCompleted shouldBe true
            server.close()
            server.waitClosed()
        }

        test("connectionsWhoseReadsWaitedAreCollectedOnceClosedOnBothSides") {
            // A finished read must leave nothing reachable from the reader that leads back to the writer: the
            // writer's cleaner holds the transport, so such a path would keep every closed connection alive.
            val serverWriters = CompletableDeferred<WeakReference<StreamWriter>>()
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    serverWriters.complete(WeakReference(writer))
                    for (line in reader) {
                        writer.write(line)
                        writer.drain()
                    }
                }
            var clientWriter: WeakReference<StreamWriter>? = null
            run {
                val (reader, writer) = openConnection("127.0.0.1", server.port)
                clientWriter = WeakReference(writer)
                for (part in listOf("a line in ", "two parts\n", "and one more\n")) {
                    writer.write(part.ascii())
                    writer.drain()
                    delay(20) // the server's readLine waits between the parts
                }
                String(withTimeout(10_000) { reader.readLine() }) shouldBe "a line in two parts\n"
                String(withTimeout(10_000) { reader.readLine() }) shouldBe "and one more\n"
                writer.close()
                withTimeout(10_000) { writer.waitClosed() }
            }
            val serverWriter = withTimeout(10_000) { serverWriters.await() }
            withTimeout(30_000) {
                while (serverWriter.get() != null || clientWriter!!.get() != null) {
                    System.gc()
                    delay(50)
                }
            }
            server.close()
            server.waitClosed()
        }

        test("writesSwallowedByALostConnectionAreWarnedAboutFromTheFifthOnAsCPythonDoes") {
            val server = startServer("127.0.0.1", 0) { reader, _ -> reader.read() }
            val (_, writer) = openConnection("127.0.0.1", server.port)
            writer.abort()
            withTimeout(10_000) { writer.waitClosed() }
            val captured = java.io.ByteArrayOutputStream()
            val original = System.err
            System.setErr(java.io.PrintStream(captured, true))
            try {
                repeat(4) { writer.write("lost".ascii()) }
                captured.toString().contains("socket.send() raised exception.") shouldBe false
                writer.write("lost".ascii())
            } finally {
                System.setErr(original)
            }
            captured.toString().contains("socket.send() raised exception.") shouldBe true
            server.close()
            server.closeClients()
            server.waitClosed()
        }
    })
