package io.aiostreams

import io.aiostreams.protocol.BufferedProtocol
import io.aiostreams.protocol.createConnection
import io.aiostreams.testing.ascii
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.withTimeout
import java.io.ByteArrayOutputStream
import java.nio.ByteBuffer

/** CPython's `BufferedProtocol`: data lands in buffers the protocol provides. */
class BufferedProtocolSpec :
    FunSpec({
        test("dataLandsInTheProtocolsBuffersPieceByPieceAndDataReceivedIsNeverCalled") {
            val message = (1..2_000).joinToString("") { "chunk $it;" }
            val server = startServer("127.0.0.1", 0) { reader, writer ->
                reader.readLine()
                writer.write(message.ascii())
                writer.drain()
            }
            val collected = ByteArrayOutputStream()
            val lost = CompletableDeferred<Throwable?>()
            var dataReceivedCalls = 0
            val small = ByteBuffer.allocate(7)
            val (transport, _) =
                createConnection({
                    object : BufferedProtocol {
                        override fun getBuffer(sizeHint: Int): ByteBuffer = small.clear()

                        override fun bufferUpdated(nbytes: Int) {
                            small.position() shouldBe nbytes
                            collected.write(small.array(), 0, nbytes)
                        }

                        override fun dataReceived(data: ByteArray) {
                            dataReceivedCalls++
                        }

                        override fun connectionLost(exception: Throwable?) {
                            lost.complete(exception)
                        }
                    }
                }, "127.0.0.1", server.port)
            transport.write("send\n".ascii())
            withTimeout(10_000) { lost.await() } shouldBe null
            collected.toString(Charsets.US_ASCII) shouldBe message
            dataReceivedCalls shouldBe 0
            server.close()
            server.waitClosed()
        }

        test("aBufferWithNoRoomIsFatalWithCPythonsMessage") {
            val server = startServer("127.0.0.1", 0) { reader, writer ->
                reader.readLine()
                writer.write("x".ascii())
                reader.read()
            }
            val lost = CompletableDeferred<Throwable?>()
            val (transport, _) =
                createConnection({
                    object : BufferedProtocol {
                        override fun getBuffer(sizeHint: Int): ByteBuffer = ByteBuffer.allocate(0)

                        override fun bufferUpdated(nbytes: Int) = Unit

                        override fun connectionLost(exception: Throwable?) {
                            lost.complete(exception)
                        }
                    }
                }, "127.0.0.1", server.port)
            transport.write("send\n".ascii())
            val error = withTimeout(10_000) { lost.await() }
            error.shouldBeInstanceOf<IllegalStateException>().message shouldBe "get_buffer() returned an empty buffer"
            server.close()
            server.closeClients()
            server.waitClosed()
        }
    })
