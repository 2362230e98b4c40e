package io.aiostreams

import io.aiostreams.internal.ConnectOptions
import io.aiostreams.internal.Connector
import io.aiostreams.internal.combined
import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeLessThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeSameInstanceAs
import kotlinx.coroutines.TimeoutCancellationException
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import java.io.IOException
import java.net.ConnectException
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.Socket
import java.net.SocketTimeoutException
import java.nio.channels.ServerSocketChannel
import kotlin.time.Duration.Companion.milliseconds

/** A port on 127.0.0.1 where nothing listens (bound, then closed). */
fun freePort(): Int = ServerSocketChannel.open().use {
    it.bind(InetSocketAddress("127.0.0.1", 0)).localAddress.let { a ->
        (a as InetSocketAddress).port
    }
}

class ConnectSpec :
    FunSpec({
        val v4: InetAddress = InetAddress.getByName("127.0.0.1")
        val v6: InetAddress = InetAddress.getByName("::1")

        test("aRefusedConnectionThrowsConnectException") {
            shouldThrow<ConnectException> { openConnection("127.0.0.1", freePort()) }
        }

        test("anUnresolvableHostThrowsUnknownHostException") {
            // A malformed IPv6 literal fails in the resolver without any lookup leaving the machine.
            shouldThrow<java.net.UnknownHostException> { openConnection("[::1", 80) }
        }

        test("everyAddressIsTriedInOrderUntilOneConnects") {
            val server = echoServer("127.0.0.1")
            // ::1 refuses (nothing listens there on this port), then 127.0.0.1 answers.
            val wire = Connector.tcp(listOf(v6, v4), server.port, ConnectOptions(null))
            val (reader, writer) = connectionOf(wire, DEFAULT_LIMIT)
            writer.write("via v4\n".ascii())
            String(reader.readLine()) shouldBe "via v4\n"
            writer.close()
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("happyEyeballsConnectsWhenTheFirstAddressFails") {
            val server = echoServer("127.0.0.1")
            val wire = Connector.tcp(
                listOf(v6, v4),
                server.port,
                ConnectOptions(null, happyEyeballsDelay = 50.milliseconds),
            )
            val (reader, writer) = connectionOf(wire, DEFAULT_LIMIT)
            writer.write("eyeballs\n".ascii())
            String(reader.readLine()) shouldBe "eyeballs\n"
            writer.close()
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("happyEyeballsStartsTheNextAttemptWhileTheFirstStillHangs") {
            // 127.0.0.1:port accepts nothing more (full backlog), so connecting there hangs; [::1]:port answers.
            val stalled = ServerSocketChannel.open().bind(InetSocketAddress(v4, 0), 1)
            val port = (stalled.localAddress as InetSocketAddress).port
            val fillers = mutableListOf<Socket>()
            while (true) {
                val s = Socket()
                fillers += s
                try {
                    s.connect(InetSocketAddress(v4, port), 300)
                } catch (_: SocketTimeoutException) {
                    break
                }
            }
            val server = echoServer("::1", port)
            try {
                withTimeoutOrNull(1_000) { Connector.tcp(listOf(v4, v6), port, ConnectOptions(null)) } shouldBe
                    null
                val wire =
                    withTimeout(10_000) {
                        Connector.tcp(listOf(v4, v6), port, ConnectOptions(null, happyEyeballsDelay = 100.milliseconds))
                    }
                val (reader, writer) = connectionOf(wire, DEFAULT_LIMIT)
                writer.write("raced\n".ascii())
                String(reader.readLine()) shouldBe "raced\n"
                writer.close()
            } finally {
                fillers.forEach { it.close() }
                stalled.close()
                server.close()
                server.closeClients()
                server.waitClosed()
            }
        }

        test("whenEveryAddressIsRefusedTheOneErrorIsThrownAsIs") {
            val port = freePort()
            shouldThrow<ConnectException> { Connector.tcp(listOf(v6, v4), port, ConnectOptions(null)) }
            shouldThrow<ConnectException> {
                Connector.tcp(listOf(v6, v4), port, ConnectOptions(null, happyEyeballsDelay = 20.milliseconds))
            }
        }

        test("differentErrorsAreCombinedIntoOneNamingEach") {
            val one = IOException("Connection refused")
            combined(listOf(one, IOException("Connection refused"))) shouldBeSameInstanceAs one
            val both = combined(listOf(one, IOException("Network is unreachable")))
            both.message shouldBe "Multiple exceptions: Connection refused, Network is unreachable"
            both.suppressed.size shouldBe 2
        }

        test("localAddressBindsTheClientSide") {
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    writer.write("${(writer.getExtraInfo("peername") as InetSocketAddress).port}\n".ascii())
                    reader.read()
                }
            val (reader, writer) = openConnection(
                "127.0.0.1",
                server.port,
                localAddress = InetSocketAddress("127.0.0.1", 0),
            )
            val sockname = writer.getExtraInfo("sockname") as InetSocketAddress
            sockname.address shouldBe v4
            String(reader.readLine()) shouldBe "${sockname.port}\n"
            writer.writeEof()
            reader.read().size shouldBe 0
            writer.close()
            writer.waitClosed()
            server.close()
            server.waitClosed()
        }

        test("aTimedOutConnectLeavesNothingOpen") {
            val before = openDescriptors()
            repeat(20) {
                shouldThrow<TimeoutCancellationException> { withTimeout(0) { openConnection("127.0.0.1", freePort()) } }
            }
            awaitDescriptors(before) shouldBeLessThanOrEqual before
        }

        test("interleaveIsTakenByEveryConnectingEntryPointAndMustNotBeNegative") {
            val server = echoServer("127.0.0.1")
            val connection =
                io.aiostreams.protocol.createConnection(
                    { object : io.aiostreams.protocol.Protocol {} },
                    "127.0.0.1",
                    server.port,
                    happyEyeballsDelay = 50.milliseconds,
                    interleave = 2,
                )
            connection.transport.isClosing() shouldBe false
            connection.transport.close()
            val (_, writer) = openConnection("127.0.0.1", server.port, interleave = 1)
            writer.close()
            openConnection("127.0.0.1", server.port, interleave = 0).writer.close() // CPython's "no reordering"
            shouldThrow<IllegalArgumentException> {
                io.aiostreams.protocol.createConnection(
                    { object : io.aiostreams.protocol.Protocol {} },
                    "127.0.0.1",
                    server.port,
                    interleave = -1,
                )
            }.message shouldBe "interleave < 0: -1"
            server.close()
            server.closeClients()
            server.waitClosed()
        }
    })
