package io.aiostreams

import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldHaveSize
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldStartWith
import io.kotest.matchers.types.shouldBeInstanceOf
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import java.net.BindException
import java.net.InetSocketAddress
import java.util.Collections

class ServerSpec :
    FunSpec({
        test("serverReportsItsSocketsAndStopsServingOnClose") {
            val server = echoServer()
            server.sockets shouldHaveSize 1
            (server.sockets.single().localAddress as InetSocketAddress).port shouldBe server.port
            (server.addresses.first() as InetSocketAddress).port shouldBe server.port
            server.isServing() shouldBe true
            server.toString() shouldBe "<Server sockets=(${server.addresses.single()})>"
            server.close()
            server.close()
            server.isServing() shouldBe false
            server.sockets shouldBe emptyList()
            server.addresses shouldBe emptyList()
            server.toString() shouldBe "<Server sockets=()>"
            withTimeout(5_000) { server.waitClosed() }
            withTimeout(5_000) { server.waitClosed() }
        }

        test("waitClosedWaitsForLiveClientsUntilTheyFinish") {
            val server = echoServer()
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            writer.write("hi\n".ascii())
            String(reader.readLine()) shouldBe "hi\n"
            server.close()
            // Closing the server leaves the connection alone, and waitClosed waits for it.
            withTimeoutOrNull(300) { server.waitClosed() } shouldBe null
            writer.write("still here\n".ascii())
            String(reader.readLine()) shouldBe "still here\n"
            writer.close()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("closeClientsAndAbortClientsLetWaitClosedReturn") {
            for (abort in listOf(false, true)) {
                val server = echoServer()
                val clients = List(3) { openConnection("127.0.0.1", server.port) }
                for ((reader, writer) in clients) {
                    writer.write("x\n".ascii())
                    reader.readLine()
                }
                server.close()
                if (abort) server.abortClients() else server.closeClients()
                withTimeout(10_000) { server.waitClosed() }
                for ((reader, writer) in clients) {
                    withTimeout(10_000) { reader.read() }.size shouldBe 0
                    writer.close()
                }
            }
        }

        test("startServingFalseAcceptsOnlyAfterStartServing") {
            val server =
                startServer("127.0.0.1", 0, startServing = false) { _, writer -> writer.write("hello\n".ascii()) }
            server.isServing() shouldBe false
            server.startServing()
            server.isServing() shouldBe true
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            String(reader.readLine()) shouldBe "hello\n"
            writer.close()
            server.close()
            server.waitClosed()
        }

        test("serveForeverCancelledClosesTheServerAndRefusesASecondCall") {
            val server = echoServer()
            val forever = launch(start = CoroutineStart.UNDISPATCHED) { server.serveForever() }
            shouldThrow<IllegalStateException> { server.serveForever() }.message shouldBe
                "server $server is already being awaited on serve_forever()"
            forever.cancelAndJoin()
            server.isServing() shouldBe false
            server.sockets shouldBe emptyList()
            shouldThrow<IllegalStateException> { server.serveForever() }.message shouldBe "server $server is closed"
        }

        test("closeFromElsewhereEndsServeForeverWithCancellation") {
            val server = echoServer()
            val forever = async(start = CoroutineStart.UNDISPATCHED) { runCatching { server.serveForever() } }
            server.close()
            withTimeout(5_000) { forever.await() }.exceptionOrNull().shouldBeInstanceOf<CancellationException>()
        }

        test("aHandlerThatThrowsIsReportedItsConnectionClosedAndTheServerKeepsServing") {
            val reported = Collections.synchronizedList(mutableListOf<Throwable>())
            val server =
                startServer("127.0.0.1", 0, exceptionHandler = { reported += it }) { reader, writer ->
                    val line = String(reader.readLine())
                    if (line == "boom\n") throw IllegalStateException("handler failed")
                    writer.write(line.ascii())
                }
            val (reader1, writer1) = openConnection("127.0.0.1", server.port)
            writer1.write("boom\n".ascii())
            withTimeout(10_000) { reader1.read() }.size shouldBe 0
            val (reader2, writer2) = openConnection("127.0.0.1", server.port)
            writer2.write("fine\n".ascii())
            String(reader2.readLine()) shouldBe "fine\n"
            reported.map { it.message } shouldBe listOf("handler failed")
            writer1.close()
            writer2.close()
            server.close()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("aCancelledHandlerClosesItsConnectionQuietly") {
            val reported = mutableListOf<Throwable>()
            val server =
                startServer("127.0.0.1", 0, exceptionHandler = { reported += it }) { _, _ ->
                    throw CancellationException("handler gave up")
                }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            withTimeout(10_000) { reader.read() }.size shouldBe 0
            reported shouldBe emptyList()
            writer.close()
            server.close()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("bindingATakenPortFailsWithCPythonsMessage") {
            val server = echoServer()
            val failure =
                shouldThrow<BindException> { startServer("127.0.0.1", server.port, reuseAddress = false) { _, _ -> } }
            failure.message shouldBe
                "error while attempting to bind on address ('127.0.0.1', ${server.port}): [errno 98] address already in use"
            server.close()
        }

        test("badArgumentsAreRejectedBeforeAnythingIsOpened") {
            shouldThrow<IllegalArgumentException> {
                startServer("127.0.0.1", 0, limit = 0) { _, _ -> }
            }.message shouldBe
                "Limit cannot be <= 0"
            shouldThrow<IllegalArgumentException> { startServer("127.0.0.1", 70000) { _, _ -> } }.message shouldBe
                "bind(): port must be 0-65535."
            shouldThrow<IllegalArgumentException> { openConnection("127.0.0.1", -1) }.message shouldBe
                "connect(): port must be 0-65535."
        }

        test("aBacklogOfZeroOrLessGoesToListenAsCPythonPassesIt") {
            for (backlog in listOf(0, -1)) {
                val server =
                    startServer("127.0.0.1", 0, backlog = backlog) { reader, writer -> writer.write(reader.readLine()) }
                val (reader, writer) = openConnection("127.0.0.1", server.port)
                writer.write("listening\n".toByteArray())
                String(withTimeout(10_000) { reader.readLine() }) shouldBe "listening\n"
                writer.close()
                server.close()
                server.waitClosed()
            }
        }

        test("aBurstOfConnectsLargerThanOneAcceptBatchIsAcceptedWhole") {
            // A backlog of 16 takes 16 connections per readiness; the rest must be taken at the loop's next turns,
            // with no new connect arriving to wake the listener again.
            val server =
                startServer("127.0.0.1", 0, backlog = 16) { reader, writer ->
                    writer.write(reader.readLine())
                    writer.drain()
                }
            val clients =
                withTimeout(30_000) {
                    List(200) { async { openConnection("127.0.0.1", server.port) } }.map { it.await() }
                }
            for ((i, connection) in clients.withIndex()) connection.writer.write("client $i\n".ascii())
            for ((i, connection) in clients.withIndex()) {
                String(withTimeout(30_000) { connection.reader.readLine() }) shouldBe "client $i\n"
                connection.writer.close()
            }
            server.close()
            withTimeout(10_000) { server.waitClosed() }
        }

        test("servingRunsTheBlockThenClosesAndWaitsForEveryConnection") {
            val handlerDone = CompletableDeferred<Unit>()
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    writer.write(reader.readLine())
                    writer.drain()
                    reader.read()
                    handlerDone.complete(Unit)
                }
            val answer =
                withTimeout(10_000) {
                    server.serving { s ->
                        val (reader, writer) = openConnection("127.0.0.1", s.port)
                        writer.write("inside\n".toByteArray())
                        val line = String(reader.readLine())
                        writer.close() // the handler's connection ends, so waiting for it ends too
                        line
                    }
                }
            answer shouldBe "inside\n"
            server.isServing() shouldBe false
            handlerDone.isCompleted shouldBe true
        }

        test("aConnectAfterWaitClosedIsRefused") {
            // The JDK closes a listening channel registered with a selector only at the selector's next select:
            // waitClosed() returns after that, so nothing connects into a closed server's backlog.
            repeat(30) {
                val server = echoServer()
                val port = server.port
                openConnection("127.0.0.1", port).writer.close() // the accept loop is waiting on the selector
                server.close()
                server.closeClients()
                server.waitClosed()
                shouldThrow<java.net.ConnectException> { openConnection("127.0.0.1", port) }
            }
        }

        test("aServerListensOnEveryHostOfASequence") {
            val server =
                startServer(listOf("127.0.0.1", "::1", "127.0.0.1"), 0) { reader, writer ->
                    writer.write(reader.readLine())
                }
            val addresses = server.addresses.map { it as InetSocketAddress }
            addresses.map { it.address.hostAddress }.toSet() shouldBe setOf("127.0.0.1", "0:0:0:0:0:0:0:1")
            addresses.size shouldBe 2 // the repeated host is bound once
            for (address in addresses) {
                val (reader, writer) = openConnection(address.address.hostAddress, address.port)
                writer.write("hello ${address.port}\n".toByteArray())
                String(withTimeout(10_000) { reader.readLine() }) shouldBe "hello ${address.port}\n"
                writer.close()
            }
            shouldThrow<IllegalArgumentException> { startServer(emptyList(), 0) { _, _ -> } }.message shouldBe
                "no host to bind"
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("keepAliveIsSetOnAcceptedConnections") {
            val seen = CompletableDeferred<Boolean>()
            val server =
                startServer("127.0.0.1", 0, keepAlive = true) { _, writer ->
                    val channel = writer.getExtraInfo("socket") as java.nio.channels.SocketChannel
                    seen.complete(channel.getOption(java.net.StandardSocketOptions.SO_KEEPALIVE))
                }
            val (_, writer) = openConnection("127.0.0.1", server.port)
            withTimeout(10_000) { seen.await() } shouldBe true
            writer.close()
            server.close()
            server.waitClosed()
        }

        test("useClosesTheServer") {
            val server = echoServer()
            server.use { it.isServing() shouldBe true }
            server.isServing() shouldBe false
            withTimeout(5_000) { server.waitClosed() }
        }

        test("hostNullListensOnEveryInterface") {
            val gate = CompletableDeferred<Unit>()
            val server =
                startServer(null, 0) { _, writer -> writer.write("any\n".ascii()).also { gate.complete(Unit) } }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            String(reader.readLine()) shouldBe "any\n"
            writer.close()
            server.close()
            server.waitClosed()
        }
    })
