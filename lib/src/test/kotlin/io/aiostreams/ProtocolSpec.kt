package io.aiostreams

import io.aiostreams.protocol.Protocol
import io.aiostreams.protocol.Transport
import io.aiostreams.protocol.createConnection
import io.aiostreams.protocol.createServer
import io.aiostreams.protocol.createUnixConnection
import io.aiostreams.protocol.createUnixServer
import io.aiostreams.testing.TempDirs
import io.aiostreams.testing.ascii
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeSameInstanceAs
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.delay
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.io.ByteArrayOutputStream
import java.net.InetSocketAddress
import java.net.StandardSocketOptions
import java.nio.channels.SocketChannel
import java.util.Collections
import java.util.concurrent.CountDownLatch
import java.util.concurrent.TimeUnit
import kotlin.concurrent.thread

/** Records every callback, in order, and what arrived. */
open class RecordingProtocol(
    private val keepOpenOnEof: Boolean = false,
) : Protocol {
    val events: MutableList<String> = Collections.synchronizedList(mutableListOf<String>())
    val received = ByteArrayOutputStream()
    val lost = CompletableDeferred<Throwable?>()
    lateinit var transport: Transport

    override fun connectionMade(transport: Transport) {
        this.transport = transport
        events += "made"
    }

    override fun dataReceived(data: ByteArray) {
        synchronized(received) { received.write(data) }
        if (events.lastOrNull() != "data") events += "data"
    }

    override fun eofReceived(): Boolean {
        events += "eof"
        return keepOpenOnEof
    }

    override fun connectionLost(exception: Throwable?) {
        events += "lost"
        lost.complete(exception)
    }

    override fun pauseWriting() {
        events += "pause"
    }

    override fun resumeWriting() {
        events += "resume"
    }
}

val Server.tcpPort: Int get() = (addresses.first() as InetSocketAddress).port

class ProtocolSpec :
    FunSpec({
        test("callbacksComeInOrderAndAHalfClosedConnectionCanStillBeWrittenTo") {
            val made = CompletableDeferred<RecordingProtocol>()
            val server =
                createServer({
                    object : RecordingProtocol(keepOpenOnEof = true) {
                        override fun eofReceived(): Boolean {
                            val keep = super.eofReceived()
                            transport.write("got ${received.size()} bytes\n".ascii())
                            transport.close()
                            return keep
                        }
                    }.also { made.complete(it) }
                }, "127.0.0.1", 0)
            val (reader, writer) = openConnection("127.0.0.1", server.tcpPort)
            writer.write("hello ".ascii())
            writer.write("protocol".ascii())
            writer.writeEof()
            String(withTimeout(10_000) { reader.readLine() }) shouldBe "got 14 bytes\n"
            reader.read().size shouldBe 0
            val protocol = made.await()
            withTimeout(10_000) { protocol.lost.await() } shouldBe null
            protocol.events shouldBe listOf("made", "data", "eof", "lost")
            writer.close()
            server.close()
            server.waitClosed()
        }

        test("createConnectionDeliversTheEchoAndConnectionLostAfterClose") {
            val server = echoServer()
            val (transport, protocol) = createConnection({ RecordingProtocol() }, "127.0.0.1", server.port)
            transport.write("ping\n".ascii())
            withTimeout(10_000) { while (synchronized(protocol.received) { protocol.received.size() } < 5) delay(10) }
            String(protocol.received.toByteArray()) shouldBe "ping\n"
            transport.getExtraInfo("peername") shouldBe InetSocketAddress("127.0.0.1", server.port)
            transport.close()
            transport.isClosing() shouldBe true
            withTimeout(10_000) { protocol.lost.await() } shouldBe null
            protocol.events shouldBe listOf("made", "data", "lost")
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("pauseReadingStopsDataReceivedAndThePeersSendsBackUp") {
            val made = CompletableDeferred<RecordingProtocol>()
            val server =
                createServer({
                    object : RecordingProtocol() {
                        override fun connectionMade(transport: Transport) {
                            super.connectionMade(transport)
                            transport.pauseReading()
                        }
                    }.also { made.complete(it) }
                }, "127.0.0.1", 0)
            val (_, writer) = openConnection("127.0.0.1", server.tcpPort)
            val total = 48 * 1024 * 1024
            writer.write(ByteArray(total))
            val protocol = made.await()
            delay(1_000)
            protocol.transport.isReading() shouldBe false
            // Nothing was delivered while paused, so the sender still holds data.
            synchronized(protocol.received) { protocol.received.size() } shouldBe 0
            (writer.getWriteBufferSize() > 0) shouldBe true
            protocol.transport.resumeReading()
            withTimeout(30_000) { writer.drain() }
            withTimeout(30_000) {
                while (synchronized(protocol.received) { protocol.received.size() } <
                    total
                ) {
                    delay(20)
                }
            }
            writer.close()
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("pauseWritingAndResumeWritingFollowTheWriteBufferUnderASlowReader") {
            val made = CompletableDeferred<RecordingProtocol>()
            val server =
                createServer({
                    object : RecordingProtocol() {
                        override fun connectionMade(transport: Transport) {
                            super.connectionMade(transport)
                            // Far more than the socket and channels can hold: the buffer must rise above the mark.
                            repeat(48) { transport.write(ByteArray(1 shl 20)) }
                        }
                    }.also { made.complete(it) }
                }, "127.0.0.1", 0)
            val (reader, writer) = openConnection("127.0.0.1", server.tcpPort)
            val protocol = made.await()
            // The factory hands the protocol out before connectionMade has run: wait for the callback.
            withTimeout(10_000) { while (!protocol.events.contains("pause")) delay(10) }
            delay(300)
            protocol.events.contains("resume") shouldBe false
            withTimeout(30_000) { reader.readExactly(48 shl 20) }
            withTimeout(10_000) { while (!protocol.events.contains("resume")) delay(10) }
            protocol.events.take(2) shouldBe listOf("made", "pause")
            writer.close()
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("aPauseAnnouncedFromAnotherThreadRunsBeforeALossAnnouncedOnTheLoopAfterIt") {
            // The peer reads nothing, so a large write stays queued and pauses writing.
            val server = startServer("127.0.0.1", 0) { reader, _ -> reader.read(1) }
            val (transport, protocol) = createConnection({ RecordingProtocol() }, "127.0.0.1", server.port)
            withContext(EventLoop.dispatcher) {
                // Nothing queued on the loop runs while this block does: the writer's pause waits in the queue.
                val writer = thread { transport.write(ByteArray(16 shl 20)) }
                writer.join()
                protocol.events shouldBe listOf("made")
                transport.abort()
            }
            withTimeout(10_000) { protocol.lost.await() }
            protocol.events shouldBe listOf("made", "pause", "lost")
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("pauseAndResumeAlternateWhileAnotherThreadWrites") {
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    while (reader.read(1 shl 16).isNotEmpty()) continue
                    writer.close()
                }
            // Small socket buffers at both ends (the accepted socket inherits the listener's): the socket holds far
            // less than a write, so that each write leaves most of itself in the transport's buffer, however fast the
            // server reads.
            server.sockets.forEach { it.setOption(StandardSocketOptions.SO_RCVBUF, 16 * 1024) }
            val (transport, protocol) = createConnection({ RecordingProtocol() }, "127.0.0.1", server.port)
            (transport.getExtraInfo("socket") as SocketChannel).setOption(StandardSocketOptions.SO_SNDBUF, 16 * 1024)
            transport.setWriteBufferLimits(high = 256 * 1024, low = 128 * 1024)
            // Each 384 KiB write pauses writing; once the pump has sent the buffer down to 128 KiB, writing resumes.
            // This thread, not the loop, writes again the moment it sees that: its pause races the pump's resume,
            // thousands of times, and the protocol must hear them in the order the marks were crossed.
            val deadline = System.nanoTime() + 60_000_000_000L
            repeat(2_000) {
                transport.write(ByteArray(384 * 1024))
                while (transport.getWriteBufferSize() > 128 * 1024) {
                    check(System.nanoTime() < deadline) { "the write buffer stays above its low mark" }
                    Thread.onSpinWait()
                }
            }
            withTimeout(10_000) {
                while (transport.getWriteBufferSize() > 0) delay(1)
                // The loop runs its queued callbacks in order: one more task there comes after them all.
                withContext(EventLoop.dispatcher) {}
            }
            val events = protocol.events.filter { it == "pause" || it == "resume" }
            events.size shouldBeGreaterThan 2_000
            events.first() shouldBe "pause"
            events.last() shouldBe "resume"
            events.zipWithNext().filter { (a, b) -> a == b } shouldBe emptyList()
            transport.close()
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("aProtocolThatThrowsIsReportedAndItsConnectionAbortedWithTheError") {
            val reported = Collections.synchronizedList(mutableListOf<Throwable>())
            val made = CompletableDeferred<RecordingProtocol>()
            val failure = IllegalStateException("protocol failed")
            val server =
                createServer({
                    object : RecordingProtocol() {
                        override fun dataReceived(data: ByteArray) = throw failure
                    }.also { made.complete(it) }
                }, "127.0.0.1", 0, exceptionHandler = { reported += it })
            val (reader, writer) = openConnection("127.0.0.1", server.tcpPort)
            writer.write("boom".ascii())
            runCatching { withTimeout(10_000) { reader.read() } }
            withTimeout(10_000) { made.await().lost.await() } shouldBeSameInstanceAs failure
            reported.single() shouldBeSameInstanceAs failure
            writer.close()
            server.close()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("onlyDataAndEndOfStreamCallbacksAreFatalOthersAreReportedAndTheConnectionGoesOn") {
            val reported = Collections.synchronizedList(mutableListOf<Throwable>())
            val made = CompletableDeferred<RecordingProtocol>()
            val server =
                createServer({
                    object : RecordingProtocol() {
                        override fun connectionMade(transport: Transport) {
                            super.connectionMade(transport)
                            transport.setWriteBufferLimits(high = 1, low = 0)
                            throw IllegalStateException("connectionMade failed")
                        }

                        override fun pauseWriting() = throw IllegalStateException("pauseWriting failed")

                        override fun dataReceived(data: ByteArray) {
                            super.dataReceived(data)
                            // More than the socket takes at once: it queues, writing pauses, and pauseWriting throws.
                            transport.write(ByteArray(BIG))
                        }
                    }.also { made.complete(it) }
                }, "127.0.0.1", 0, exceptionHandler = { reported += it })
            val (reader, writer) = openConnection("127.0.0.1", server.tcpPort)
            writer.write("still here".ascii())
            withTimeout(30_000) { reader.readExactly(BIG) }.size shouldBe BIG
            withTimeout(10_000) { while (reported.size < 2) delay(10) }
            reported.map { it.message }.toSet() shouldBe setOf("connectionMade failed", "pauseWriting failed")
            made.await().transport.isClosing() shouldBe false
            writer.close()
            withTimeout(10_000) { made.await().lost.await() } shouldBe null
            server.close()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("waitClosedCountsAConnectionAcceptedBeforeCloseButStillOpening") {
            // The factory runs between accept and the connection's registration: close() lands in that window.
            val inFactory = CountDownLatch(1)
            val release = CountDownLatch(1)
            val made = CompletableDeferred<RecordingProtocol>()
            val server =
                createServer({
                    inFactory.countDown()
                    release.await(10, TimeUnit.SECONDS)
                    RecordingProtocol().also { made.complete(it) }
                }, "127.0.0.1", 0)
            // A plain JDK client: the factory holds up the event loop (as a blocking factory would in asyncio), and
            // this test must not need the loop until it lets the factory go.
            val client = java.net.Socket("127.0.0.1", server.tcpPort)
            withContext(Dispatchers.IO) { inFactory.await(10, TimeUnit.SECONDS) } shouldBe true
            server.close()
            val closed = async { server.waitClosed() }
            delay(200)
            closed.isCompleted shouldBe false
            release.countDown()
            withTimeout(10_000) { made.await() }
            delay(200)
            closed.isCompleted shouldBe false
            client.shutdownOutput()
            withContext(Dispatchers.IO) { client.getInputStream().read() } shouldBe -1
            client.close()
            withTimeout(10_000) { closed.await() }
        }

        test("unixProtocolServerAndClient") {
            val path = TempDirs.create("aiostreams").resolve("p.sock").toString()
            val server =
                createUnixServer({
                    object : Protocol {
                        lateinit var transport: Transport

                        override fun connectionMade(transport: Transport) {
                            this.transport = transport
                        }

                        override fun dataReceived(data: ByteArray) = transport.write("echo:".ascii() + data)
                    }
                }, path)
            val (transport, protocol) = createUnixConnection({ RecordingProtocol() }, path)
            transport.write("unix".ascii())
            withTimeout(10_000) { while (synchronized(protocol.received) { protocol.received.size() } < 9) delay(10) }
            String(protocol.received.toByteArray()) shouldBe "echo:unix"
            transport.close()
            withTimeout(10_000) { protocol.lost.await() }
            server.close()
            server.closeClients()
            server.waitClosed()
        }
    }) {
    companion object {
        const val BIG = 16 * 1024 * 1024
    }
}
