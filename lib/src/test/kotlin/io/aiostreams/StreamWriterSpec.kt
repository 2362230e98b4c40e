package io.aiostreams

import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.longs.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.delay
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import java.net.InetSocketAddress
import java.net.SocketException
import java.net.StandardSocketOptions
import java.nio.channels.SocketChannel

class StreamWriterSpec :
    FunSpec({
        test("writeEofHalfClosesAndThePeerCanStillReply") {
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    val all = reader.read()
                    writer.write("got ${all.size} bytes\n".ascii())
                    writer.drain()
                }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            writer.canWriteEof() shouldBe true
            writer.write(ByteArray(100_000) { 'x'.code.toByte() })
            writer.writeEof()
            writer.writeEof()
            String(reader.readLine()) shouldBe "got 100000 bytes\n"
            reader.read().size shouldBe 0
            shouldThrow<IllegalStateException> { writer.write("late".ascii()) }.message shouldBe
                "Cannot call write() after write_eof()"
            shouldThrow<IllegalStateException> { writer.writeLines(listOf("late".ascii())) }.message shouldBe
                "Cannot call writelines() after write_eof()"
            writer.close()
            writer.waitClosed()
            server.close()
            server.waitClosed()
        }

        test("drainWaitsWhileThePeerDoesNotReadAndResumesWhenItDoes") {
            val release = CompletableDeferred<Unit>()
            val server =
                startServer("127.0.0.1", 0) { reader, _ ->
                    release.await()
                    reader.read()
                }
            val (_, writer) = openConnection("127.0.0.1", server.port)
            val chunk = ByteArray(1 shl 20)
            // Fill kernel and channel buffers: only once they are full can 8 MiB pile up in our own buffer.
            withTimeout(30_000) {
                while (writer.getWriteBufferSize() <= 8 * 1024 * 1024) {
                    writer.write(chunk)
                    delay(10)
                }
            }
            writer.getWriteBufferSize() shouldBeGreaterThan 64 * 1024L
            withTimeoutOrNull(300) { writer.drain() } shouldBe null
            // Several drains wait together and are released together.
            val drains = List(5) { async(start = CoroutineStart.UNDISPATCHED) { writer.drain() } }
            release.complete(Unit)
            withTimeout(30_000) { drains.awaitAll() }
            writer.close()
            writer.waitClosed()
            server.close()
            server.waitClosed()
        }

        test("drainReturnsAtOnceBelowTheHighWaterMark") {
            val server = echoServer()
            val (_, writer) = openConnection("127.0.0.1", server.port)
            writer.setWriteBufferLimits(high = 1 shl 20)
            writer.write(ByteArray(1000))
            writer.drain()
            shouldThrow<IllegalArgumentException> { writer.setWriteBufferLimits(high = 1, low = 2) }
            writer.close()
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("drainAfterCloseRaisesConnectionLost") {
            val server = echoServer()
            val (_, writer) = openConnection("127.0.0.1", server.port)
            writer.close()
            writer.isClosing() shouldBe true
            writer.write("dropped".ascii())
            shouldThrow<SocketException> { writer.drain() }.message shouldBe "Connection lost"
            writer.waitClosed()
            writer.waitClosed()
            server.close()
            server.waitClosed()
        }

        test("peerResetIsAReaderErrorNeverACleanEof") {
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    reader.readExactly(1)
                    val channel = writer.getExtraInfo("socket") as SocketChannel
                    channel.setOption(StandardSocketOptions.SO_LINGER, 0)
                    // Closing the raw channel with linger 0 sends a reset, with no FIN before it.
                    channel.close()
                }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            // No drain() here: the reset may already have arrived, and drain() would (rightly) throw it first.
            writer.write("!".ascii())
            val failure = runCatching { withTimeout(10_000) { reader.read() } }.exceptionOrNull()
            failure.shouldBeInstanceOf<SocketException>()
            // The JDK's own error is kept as the cause.
            failure.cause.shouldBeInstanceOf<SocketException>()
            reader.exception() shouldBe failure
            // The same error from drain() and from waitClosed().
            shouldThrow<SocketException> { writer.drain() } shouldBe failure
            shouldThrow<SocketException> { writer.waitClosed() }
            server.close()
            server.waitClosed()
        }

        test("writeAndDrainLoopEndsWithAnErrorWhenThePeerCloses") {
            val server = startServer("127.0.0.1", 0) { _, writer -> writer.close() }
            val (_, writer) = openConnection("127.0.0.1", server.port)
            val failure =
                withTimeout(30_000) {
                    runCatching {
                        while (true) {
                            writer.write(ByteArray(64 * 1024))
                            writer.drain()
                        }
                    }.exceptionOrNull()
                }
            failure.shouldBeInstanceOf<java.io.IOException>()
            server.close()
            server.waitClosed()
        }

        test("waitClosedCompletesWithUnreadIncomingData") {
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    writer.write(ByteArray(100_000))
                    writer.drain()
                    reader.read()
                }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            reader.readExactly(10)
            writer.close()
            withTimeout(10_000) { writer.waitClosed() }
            server.close()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("extraInfoGivesJdkAddressesAndTheDefaultForUnknownKeys") {
            val serverSidePeer = CompletableDeferred<Any?>()
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    serverSidePeer.complete(writer.getExtraInfo("peername"))
                    reader.read()
                }
            val (_, writer) = openConnection("127.0.0.1", server.port)
            val sockname = writer.getExtraInfo("sockname") as InetSocketAddress
            (writer.getExtraInfo("peername") as InetSocketAddress).port shouldBe server.port
            writer.getExtraInfo("no such key", "fallback") shouldBe "fallback"
            writer.getExtraInfo("socket").shouldBeInstanceOf<SocketChannel>()
            // Before close(): a server closed right after the connect may drop the connection unaccepted (CPython too).
            withTimeout(10_000) { serverSidePeer.await() } shouldBe sockname
            writer.close()
            server.close()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("extraInfoFirstAskedAfterCloseStillGivesTheAddressesTheConnectionHad") {
            val server = startServer("127.0.0.1", 0) { reader, _ -> reader.read() }
            val (_, writer) = openConnection("127.0.0.1", server.port)
            writer.close()
            withTimeout(10_000) { writer.waitClosed() }
            // CPython's transport records them when it is made; asking only now must not find a closed socket.
            (writer.getExtraInfo("peername") as InetSocketAddress).port shouldBe server.port
            (writer.getExtraInfo("sockname") as InetSocketAddress).address.hostAddress shouldBe "127.0.0.1"
            server.close()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("abortDropsTheBufferAndClosesAtOnce") {
            val server =
                startServer("127.0.0.1", 0) { reader, _ ->
                    CompletableDeferred<Unit>().await()
                    reader.read()
                }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            repeat(20) { writer.write(ByteArray(1 shl 20)) }
            writer.abort()
            withTimeout(10_000) { writer.waitClosed() }
            writer.getWriteBufferSize() shouldBe 0L
            reader.read().size shouldBe 0
            server.close()
            server.abortClients()
            withTimeout(10_000) { server.waitClosed() }
        }
    })
