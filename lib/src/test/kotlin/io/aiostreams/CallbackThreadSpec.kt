package io.aiostreams

import io.aiostreams.protocol.DatagramProtocol
import io.aiostreams.protocol.DatagramTransport
import io.aiostreams.protocol.Protocol
import io.aiostreams.protocol.Transport
import io.aiostreams.protocol.createConnection
import io.aiostreams.protocol.createDatagramEndpoint
import io.aiostreams.protocol.createServer
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldNotBeEmpty
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.net.InetSocketAddress
import java.net.Socket
import java.net.SocketAddress
import java.util.Collections
import kotlin.concurrent.thread

/**
 * Protocol callbacks run as asyncio runs them: on the event loop's thread, one at a time across every connection, so
 * state the protocols of several connections share needs no lock.
 */
class CallbackThreadSpec :
    FunSpec({
        test("callbacksOfEveryConnectionRunOnTheLoopOneAtATimeSoSharedStateNeedsNoLock") {
            val threads = Collections.synchronizedSet(HashSet<String>())
            val done = CompletableDeferred<Unit>()

            // Deliberately unsynchronized, as a chat server's client list is in asyncio code.
            var lines = 0
            var inside = 0
            var overlapped = false
            val clients = mutableListOf<Transport>()

            class Counting : Protocol {
                override fun connectionMade(transport: Transport) {
                    threads += Thread.currentThread().name
                    clients += transport
                }

                override fun dataReceived(data: ByteArray) {
                    threads += Thread.currentThread().name
                    if (++inside > 1) overlapped = true
                    var sum = 0
                    for (b in data) sum += b // some work inside the callback, for another thread to overlap with
                    lines += data.count { it == '\n'.code.toByte() } + (sum and 0)
                    inside--
                    if (lines == CLIENTS * LINES) done.complete(Unit)
                }
            }
            val server = createServer({ Counting() }, "127.0.0.1", 0)
            val senders =
                List(CLIENTS) {
                    thread {
                        Socket("127.0.0.1", server.port).use { socket ->
                            val out = socket.getOutputStream()
                            repeat(LINES) { i -> out.write("line $i from a client\n".toByteArray()) }
                            out.flush()
                            socket.shutdownOutput()
                            socket.getInputStream().read()
                        }
                    }
                }
            withTimeout(30_000) { done.await() }
            lines shouldBe CLIENTS * LINES
            overlapped shouldBe false
            clients.size shouldBe CLIENTS
            threads.filterNot { it.startsWith("aiostreams-loop") } shouldBe emptyList()
            server.close()
            server.abortClients()
            withTimeout(10_000) { server.waitClosed() }
            withContext(Dispatchers.IO) { senders.forEach { it.join(10_000) } }
        }

        test("aClientsConnectionMadeAndEveryLaterCallbackRunOnTheLoop") {
            val server = startServer("127.0.0.1", 0) { reader, writer -> writer.write(reader.readLine()) }
            val threads = Collections.synchronizedList(mutableListOf<String>())
            val lost = CompletableDeferred<Unit>()
            val connection =
                createConnection(
                    {
                        object : Protocol {
                            override fun connectionMade(transport: Transport) {
                                threads += "made " + Thread.currentThread().name
                            }

                            override fun dataReceived(data: ByteArray) {
                                threads += "data " + Thread.currentThread().name
                            }

                            override fun connectionLost(exception: Throwable?) {
                                threads += "lost " + Thread.currentThread().name
                                lost.complete(Unit)
                            }
                        }
                    },
                    "127.0.0.1",
                    server.port,
                )
            // Written from the test's own thread: the callbacks it causes still run on the loop.
            connection.transport.write("hello\n".toByteArray())
            withTimeout(10_000) { lost.await() }
            threads.map { it.substringBefore(' ') } shouldBe listOf("made", "data", "lost")
            threads.filterNot { it.substringAfter(' ').startsWith("aiostreams-loop") } shouldBe emptyList()
            server.close()
            server.waitClosed()
        }

        test("datagramCallbacksRunOnTheLoop") {
            val threads = Collections.synchronizedList(mutableListOf<String>())
            val got = CompletableDeferred<Unit>()
            val (serverTransport, _) =
                createDatagramEndpoint(
                    {
                        object : DatagramProtocol {
                            override fun connectionMade(transport: DatagramTransport) {
                                threads += Thread.currentThread().name
                            }

                            override fun datagramReceived(
                                data: ByteArray,
                                address: SocketAddress,
                            ) {
                                threads += Thread.currentThread().name
                                got.complete(Unit)
                            }
                        }
                    },
                    localAddress = InetSocketAddress("127.0.0.1", 0),
                )
            val port = (serverTransport.getExtraInfo("sockname") as InetSocketAddress).port
            java.net.DatagramSocket().use {
                it.send(java.net.DatagramPacket(byteArrayOf(1), 1, InetSocketAddress("127.0.0.1", port)))
            }
            withTimeout(10_000) { got.await() }
            threads.shouldNotBeEmpty()
            threads.filterNot { it.startsWith("aiostreams-loop") } shouldBe emptyList()
            serverTransport.close()
        }
    }) {
    companion object {
        const val CLIENTS = 20
        const val LINES = 2_000
    }
}
