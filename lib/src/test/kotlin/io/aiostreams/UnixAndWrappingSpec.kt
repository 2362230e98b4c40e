package io.aiostreams

import io.aiostreams.testing.TempDirs
import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import io.ktor.network.sockets.InetSocketAddress
import io.ktor.network.sockets.aSocket
import io.ktor.utils.io.ByteChannel
import io.ktor.utils.io.readAvailable
import io.ktor.utils.io.writeFully
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.file.Files
import java.nio.file.Path

class UnixAndWrappingSpec :
    FunSpec({
        fun socketPath(): Path = TempDirs.create("aiostreams").resolve("s.sock")

        test("unixServerEchoesAndRemovesItsSocketFileOnClose") {
            val path = socketPath()
            val server =
                startUnixServer(path.toString()) { reader, writer ->
                    for (line in reader) writer.write(line)
                }
            Files.exists(path) shouldBe true
            server.addresses.single().shouldBeInstanceOf<UnixDomainSocketAddress>()
            val (reader, writer) = openUnixConnection(path.toString())
            writer.write("over a unix socket\n".ascii())
            String(reader.readLine()) shouldBe "over a unix socket\n"
            writer.writeEof()
            reader.read().size shouldBe 0
            writer.close()
            server.close()
            server.waitClosed()
            Files.exists(path) shouldBe false
        }

        test("aStaleSocketFileDoesNotBlockANewServer") {
            val path = socketPath()
            // A server that died without cleaning up: its socket file stays behind.
            ServerSocketChannel.open(StandardProtocolFamily.UNIX).use { it.bind(UnixDomainSocketAddress.of(path)) }
            Files.exists(path) shouldBe true
            val server = startUnixServer(path.toString()) { _, writer -> writer.write("fresh\n".ascii()) }
            val (reader, writer) = openUnixConnection(path.toString())
            String(reader.readLine()) shouldBe "fresh\n"
            writer.close()
            server.close()
            server.waitClosed()
        }

        test("cleanupSocketFalseLeavesTheSocketFileAfterClose") {
            val path = socketPath()
            val server = startUnixServer(path.toString(), cleanupSocket = false) { _, _ -> }
            server.close()
            server.waitClosed()
            Files.exists(path) shouldBe true
            val cleaned = startUnixServer(path.toString()) { _, _ -> } // the stale file is replaced
            cleaned.close()
            cleaned.waitClosed()
            Files.exists(path) shouldBe false
        }

        test("aFifoInTheWayIsNotRemovedEither") {
            val path = socketPath()
            ProcessBuilder("mkfifo", path.toString()).start().waitFor() shouldBe 0
            shouldThrow<java.net.BindException> { startUnixServer(path.toString()) { _, _ -> } }
            Files.exists(path) shouldBe true
        }

        test("aRegularFileInTheWayIsNotRemoved") {
            val path = socketPath()
            Files.writeString(path, "precious")
            shouldThrow<java.net.BindException> { startUnixServer(path.toString()) { _, _ -> } }.message shouldBe
                "Address '$path' is already in use"
            Files.readString(path) shouldBe "precious"
        }

        test("aKtorSocketWrappedGetsPythonSemantics") {
            val server = echoServer()
            val socket = aSocket(
                io.aiostreams.internal.Loop.selector,
            ).tcp().connect(InetSocketAddress("127.0.0.1", server.port))
            val (reader, writer) = openConnection(socket, limit = 8)
            writer.write("short\nway too long\n".ascii())
            String(reader.readLine()) shouldBe "short\n"
            // 12 bytes stand before the newline: over the limit of 8, and nothing is consumed.
            (shouldThrow<LimitOverrunError> { reader.readUntil("\n".ascii()) }.consumed in 9..12) shouldBe true
            String(reader.readExactly(12)) shouldBe "way too long"
            writer.close()
            writer.waitClosed()
            server.close()
            server.waitClosed()
        }

        test("aChannelPairWrappedReadsAndWritesWithPythonSemantics") {
            val toUs = ByteChannel()
            val fromUs = ByteChannel()
            val (reader, writer) = openConnection(toUs, fromUs)
            launch {
                toUs.writeFully("abc\ndef".ascii())
                toUs.flushAndClose()
            }
            String(reader.readLine()) shouldBe "abc\n"
            val failure = shouldThrow<IncompleteReadError> { reader.readExactly(10) }
            String(failure.partial) shouldBe "def"
            writer.write("out".ascii())
            writer.writeEof()
            val received = ByteArray(16)
            val n = withTimeout(10_000) { fromUs.readAvailable(received) }
            String(received, 0, n) shouldBe "out"
            writer.close()
            withTimeout(10_000) { writer.waitClosed() }
        }
    })
