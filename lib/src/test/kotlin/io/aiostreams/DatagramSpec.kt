package io.aiostreams

import io.aiostreams.protocol.DatagramProtocol
import io.aiostreams.protocol.DatagramTransport
import io.aiostreams.protocol.createDatagramEndpoint
import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.net.InetSocketAddress
import java.net.SocketAddress
import java.util.Collections

/** Echoes every datagram to its sender. */
class UdpEcho : DatagramProtocol {
    private lateinit var transport: DatagramTransport

    override fun connectionMade(transport: DatagramTransport) {
        this.transport = transport
    }

    override fun datagramReceived(
        data: ByteArray,
        address: SocketAddress,
    ) = transport.sendTo("echo:".ascii() + data, address)
}

/** Records flow control and the end, in order. */
class UdpFlowRecorder : DatagramProtocol {
    val events: MutableList<String> = Collections.synchronizedList(mutableListOf())
    val resumed = CompletableDeferred<Unit>()
    val lost = CompletableDeferred<Unit>()

    override fun pauseWriting() {
        events += "pause"
    }

    override fun resumeWriting() {
        events += "resume"
        resumed.complete(Unit)
    }

    override fun connectionLost(exception: Throwable?) {
        events += "lost"
        lost.complete(Unit)
    }
}

/** Collects what arrives, errors, and the end. */
class UdpCollector : DatagramProtocol {
    val datagrams = Channel<Pair<String, SocketAddress>>(Channel.UNLIMITED)
    val errors: MutableList<Exception> = Collections.synchronizedList(mutableListOf())
    val firstError = CompletableDeferred<Exception>()
    val lost = CompletableDeferred<Throwable?>()

    override fun datagramReceived(
        data: ByteArray,
        address: SocketAddress,
    ) {
        datagrams.trySend(String(data) to address)
    }

    override fun errorReceived(exception: Exception) {
        errors += exception
        firstError.complete(exception)
    }

    override fun connectionLost(exception: Throwable?) {
        lost.complete(exception)
    }
}

class DatagramSpec :
    FunSpec({
        test("datagramsRoundTripThroughAConnectedAndAnUnconnectedClient") {
            val (serverTransport, _) = createDatagramEndpoint({
                UdpEcho()
            }, localAddress = InetSocketAddress("127.0.0.1", 0))
            val serverAddress = serverTransport.getExtraInfo("sockname") as InetSocketAddress

            val (connected, connectedProtocol) = createDatagramEndpoint({
                UdpCollector()
            }, remoteAddress = serverAddress)
            connected.getExtraInfo("peername") shouldBe serverAddress
            connected.sendTo("one".ascii())
            withTimeout(10_000) { connectedProtocol.datagrams.receive() }.first shouldBe "echo:one"

            val (unconnected, unconnectedProtocol) =
                createDatagramEndpoint({ UdpCollector() }, localAddress = InetSocketAddress("127.0.0.1", 0))
            unconnected.sendTo("two".ascii(), serverAddress)
            val (text, from) = withTimeout(10_000) { unconnectedProtocol.datagrams.receive() }
            text shouldBe "echo:two"
            from shouldBe serverAddress

            for (t in listOf(connected, unconnected, serverTransport)) t.close()
            withTimeout(10_000) { connectedProtocol.lost.await() } shouldBe null
            withTimeout(10_000) { unconnectedProtocol.lost.await() } shouldBe null
            connected.isClosing() shouldBe true
        }

        test("aConnectedEndpointRejectsAnotherAddressWithCPythonsMessage") {
            val remote = InetSocketAddress("127.0.0.1", freePort())
            val (transport, _) = createDatagramEndpoint({ UdpCollector() }, remoteAddress = remote)
            shouldThrow<IllegalArgumentException> {
                transport.sendTo("x".ascii(), InetSocketAddress("127.0.0.1", 9))
            }.message shouldBe "Invalid address: must be None or ('127.0.0.1', ${remote.port})"
            transport.close()
        }

        test("errorsAreReportedToErrorReceivedAndTheEndpointStaysOpen") {
            // Nothing listens there: the kernel answers a connected endpoint with ICMP port unreachable.
            val (transport, protocol) = createDatagramEndpoint({
                UdpCollector()
            }, remoteAddress = InetSocketAddress("127.0.0.1", freePort()))
            transport.sendTo("anyone?".ascii())
            transport.sendTo("anyone?".ascii())
            val error = withTimeout(10_000) { protocol.firstError.await() }
            error.shouldBeInstanceOf<java.io.IOException>()
            // As in CPython, the endpoint stays open after error_received().
            transport.isClosing() shouldBe false
            transport.close()

            val (unbound, unboundProtocol) = createDatagramEndpoint({
                UdpCollector()
            }, localAddress = InetSocketAddress("127.0.0.1", 0))
            // CPython's unconnected transport dies of a sendto() without an address.
            unbound.sendTo("nowhere".ascii())
            withTimeout(10_000) { unboundProtocol.lost.await() }.shouldBeInstanceOf<IllegalArgumentException>()
            unbound.isClosing() shouldBe true
        }

        test("anEndpointNeedsALocalOrARemoteAddress") {
            shouldThrow<IllegalArgumentException> { createDatagramEndpoint({ UdpCollector() }) }.message shouldBe
                "unexpected address family"
        }

        test("zeroLengthDatagramsAreSentAndReceivedAndAConnectedEndpointSaysItCannot") {
            val (server, serverProtocol) =
                createDatagramEndpoint({ UdpCollector() }, localAddress = InetSocketAddress("127.0.0.1", 0))
            val address = server.getExtraInfo("sockname") as InetSocketAddress
            val (client, clientProtocol) =
                createDatagramEndpoint({ UdpCollector() }, localAddress = InetSocketAddress("127.0.0.1", 0))
            client.sendTo(ByteArray(0), address)
            client.sendTo("after".ascii(), address)
            withTimeout(10_000) { serverProtocol.datagrams.receive() }.first shouldBe ""
            withTimeout(10_000) { serverProtocol.datagrams.receive() }.first shouldBe "after"
            clientProtocol.errors shouldBe emptyList()
            val (connected, connectedProtocol) = createDatagramEndpoint({ UdpCollector() }, remoteAddress = address)
            connected.sendTo(ByteArray(0))
            withTimeout(10_000) { connectedProtocol.firstError.await() }
                .shouldBeInstanceOf<UnsupportedOperationException>()
            connected.close()
            client.close()
            server.close()
        }

        test("theSendQueueHasMarksAndPausesAndResumesTheProtocol") {
            val (sink, _) = createDatagramEndpoint({ UdpCollector() }, localAddress = InetSocketAddress("127.0.0.1", 0))
            val address = sink.getExtraInfo("sockname") as InetSocketAddress
            val (transport, recorder) = createDatagramEndpoint({ UdpFlowRecorder() }, remoteAddress = address)
            transport.getWriteBufferLimits().toList() shouldBe listOf(16 * 1024, 64 * 1024)
            transport.setWriteBufferLimits(high = 10, low = 0)
            transport.getWriteBufferLimits().toList() shouldBe listOf(0, 10)
            repeat(100) { transport.sendTo(ByteArray(100)) }
            withTimeout(10_000) { recorder.resumed.await() }
            recorder.events.take(2) shouldBe listOf("pause", "resume")
            shouldThrow<IllegalArgumentException> { transport.setWriteBufferLimits(1, 2) }.message shouldBe
                "high (1) must be >= low (2) must be >= 0"
            transport.close()
            sink.close()
        }

        test("pauseAndResumeAlternateWhileAnotherThreadSends") {
            val (sink, _) = createDatagramEndpoint({ UdpCollector() }, localAddress = InetSocketAddress("127.0.0.1", 0))
            val address = sink.getExtraInfo("sockname") as InetSocketAddress
            val (transport, recorder) = createDatagramEndpoint({ UdpFlowRecorder() }, remoteAddress = address)
            transport.setWriteBufferLimits(high = 10, low = 0)
            // Every send crosses the high mark, and the loop's send brings the queue back to zero. The sender sends
            // again the moment it sees zero: its pause races the loop's resume, thousands of times, and the protocol
            // must hear them in the order the marks were crossed.
            withTimeout(30_000) {
                repeat(2_000) {
                    transport.sendTo(ByteArray(100))
                    while (transport.getWriteBufferSize() > 0) Thread.onSpinWait()
                }
                // The loop runs its queued callbacks in order: one more task there comes after them all.
                withContext(EventLoop.dispatcher) {}
            }
            val events = recorder.events.toList()
            events.first() shouldBe "pause"
            events.last() shouldBe "resume"
            events.zipWithNext().filter { (a, b) -> a == b } shouldBe emptyList()
            transport.close()
            sink.close()
        }

        test("connectionLostComesAfterTheCallbacksAnnouncedBeforeIt") {
            val (sink, _) = createDatagramEndpoint({ UdpCollector() }, localAddress = InetSocketAddress("127.0.0.1", 0))
            val (transport, recorder) =
                createDatagramEndpoint(
                    { UdpFlowRecorder() },
                    remoteAddress = sink.getExtraInfo("sockname") as InetSocketAddress,
                )
            transport.setWriteBufferLimits(high = 10, low = 0)
            // On the loop, as a protocol's own callback would: the pause is announced, then the endpoint aborted.
            withContext(EventLoop.dispatcher) {
                transport.sendTo(ByteArray(100))
                transport.abort()
            }
            withTimeout(10_000) { recorder.lost.await() }
            recorder.events shouldBe listOf("pause", "lost")
            sink.close()
        }

        test("sendToAnAddressThatIsNotAnIpAddressIsAClearError") {
            val (transport, _) =
                createDatagramEndpoint({ UdpCollector() }, localAddress = InetSocketAddress("127.0.0.1", 0))
            shouldThrow<IllegalArgumentException> {
                transport.sendTo("x".ascii(), java.net.UnixDomainSocketAddress.of("/tmp/nowhere"))
            }.message shouldBe "sendto(): an IP address is required, got java.net.UnixDomainSocketAddress"
            transport.close()
        }

        test("aDatagramChannelYouAlreadyHaveIsServed") {
            val channel = java.nio.channels.DatagramChannel.open().bind(InetSocketAddress("127.0.0.1", 0))
            val (transport, protocol) = createDatagramEndpoint({ UdpCollector() }, sock = channel)
            transport.getExtraInfo("socket") shouldBe channel
            java.net.DatagramSocket().use {
                it.send(java.net.DatagramPacket("mine".ascii(), 4, channel.localAddress as InetSocketAddress))
            }
            withTimeout(10_000) { protocol.datagrams.receive() }.first shouldBe "mine"
            transport.close()
            withTimeout(10_000) { protocol.lost.await() } shouldBe null
            channel.isOpen shouldBe false
        }
    })
