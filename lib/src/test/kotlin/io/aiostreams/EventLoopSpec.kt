package io.aiostreams

import io.aiostreams.testing.ascii
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout

/** Handlers run on the event loop; work dispatched to the loop from any thread runs; clients may run on the loop. */
class EventLoopSpec :
    FunSpec({
        test("serverHandlersRunOnTheEventLoopThread") {
            val handlerThread = CompletableDeferred<String>()
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    handlerThread.complete(Thread.currentThread().name)
                    writer.write(reader.readLine())
                    writer.drain()
                }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            writer.write("where\n".ascii())
            String(withTimeout(10_000) { reader.readLine() }) shouldBe "where\n"
            // (Test runs may append a coroutine name to the thread's name.)
            handlerThread.await().substringBefore(" @") shouldBe "aiostreams-loop"
            writer.close()
            server.close()
            server.waitClosed()
        }

        test("workDispatchedFromOtherThreadsRunsOnTheLoopEvenWhileItWaitsForSockets") {
            // The loop spends its idle time blocked in select(); each dispatch from another thread must wake it.
            val server = echoServer()
            withTimeout(30_000) {
                (1..200)
                    .map { i ->
                        async(Dispatchers.Default) {
                            withContext(EventLoop.dispatcher) { Thread.currentThread().name + i }
                        }
                    }.awaitAll()
                    .toSet()
                    .size shouldBe 200
            }
            server.close()
            server.waitClosed()
        }

        test("workDispatchedOnTheLoopFromTheLoopRunsWithoutWaitingForSocketEvents") {
            // A coroutine started from a coroutine on the loop, while no socket has anything to say: each generation
            // must run at the loop's next turn, not when select() next returns. Twenty generations within two
            // seconds is a liveness check (a select that waits out a timeout per generation takes several seconds).
            val server = echoServer()
            val generations = 20
            var reached = 0
            withTimeout(2_000) {
                withContext(EventLoop.dispatcher) {
                    fun spawn(generation: Int) {
                        launch {
                            reached = generation
                            if (generation < generations) spawn(generation + 1)
                        }
                    }
                    spawn(1)
                }
            }
            reached shouldBe generations
            server.close()
            server.waitClosed()
        }

        test("aClientOnTheLoopAndItsServerOnTheLoopExchangeManyMessages") {
            val server = echoServer()
            val echoed =
                withContext(Dispatchers.IO) {
                    runBlocking(EventLoop.dispatcher) {
                        val (reader, writer) = openConnection("127.0.0.1", server.port)
                        var count = 0
                        repeat(2_000) { i ->
                            writer.write("message $i\n".ascii())
                            writer.drain()
                            if (String(reader.readUntil("\n".ascii())) == "message $i\n") count++
                        }
                        writer.close()
                        writer.waitClosed()
                        count
                    }
                }
            echoed shouldBe 2_000
            server.close()
            server.waitClosed()
        }

        test("bulkDataThroughTheLoopArrivesWholeWithReadingPausedAndResumed") {
            // 32 MiB against the default 64 KiB limit: the reader pauses and resumes the socket many times.
            val size = 32 shl 20
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    var count = 0L
                    var sum = 0L
                    while (true) {
                        val data = reader.read(65536)
                        if (data.isEmpty()) break
                        count += data.size
                        for (b in data) sum += b
                    }
                    writer.write("$count $sum\n".ascii())
                    writer.drain()
                }
            val (reader, writer) = openConnection("127.0.0.1", server.port)
            val chunk = ByteArray(65536) { (it % 251).toByte() }
            var expectedSum = 0L
            for (b in chunk) expectedSum += b
            repeat(size / chunk.size) {
                writer.write(chunk)
                writer.drain()
            }
            writer.writeEof()
            String(withTimeout(60_000) { reader.readLine() }) shouldBe "$size ${expectedSum * (size / chunk.size)}\n"
            writer.close()
            server.close()
            server.waitClosed()
        }
    })
