package io.aiostreams

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.longs.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.completeWith
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.io.ByteArrayOutputStream
import java.net.InetSocketAddress
import java.net.Socket
import java.util.concurrent.CompletableFuture
import java.util.concurrent.TimeUnit
import java.util.concurrent.atomic.AtomicBoolean

/**
 * A `read(n)` on its connection's loop that finds nothing buffered reads the socket itself when the socket's last read
 * filled all the room it had, instead of parking until the loop next selects; at most 16 times in a row, after which
 * it waits for the loop, so that one busy connection never keeps the loop from the others. What it returns, and where
 * it finds the end of stream, are what a read woken by the loop returns.
 *
 * In each test a blocking peer writes everything (and half-closes, where the test wants the end of stream) while the
 * handler holds the loop's thread, so that the loop cannot select meanwhile; the handler's first read then waits on an
 * empty reader, and the loop's read takes exactly what it asks for, the rest already in the socket. Whether the reads
 * after it complete without suspending is so known in advance.
 */
class ReadOnTheLoopSpec :
    FunSpec({
        fun pattern(size: Int) = ByteArray(size) { (it % 251).toByte() }

        /**
         * Serves one connection: a blocking peer sends all of [data] (then a half-close when [close]) while the
         * handler holds the loop; the handler then reads [first] bytes and runs [handle]. Everything read goes to
         * [got]; returns what [handle] returned.
         */
        suspend fun <T> afterFirstRead(
            data: ByteArray,
            close: Boolean,
            first: Int,
            got: ByteArrayOutputStream,
            handle: suspend (StreamReader) -> T,
        ): T {
            val connected = CompletableDeferred<Unit>()
            val written = CompletableFuture<Unit>()
            val result = CompletableDeferred<T>()
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    result.completeWith(
                        runCatching {
                            connected.complete(Unit)
                            // Holds the loop's thread until the peer has written: no select in between.
                            written.get(20, TimeUnit.SECONDS)
                            got.write(reader.read(first))
                            handle(reader)
                        },
                    )
                    writer.close()
                }
            try {
                withTimeout(20_000) {
                    withContext(Dispatchers.IO) {
                        Socket().use { peer ->
                            // Room for everything at once: the write returns with all of it sent.
                            peer.sendBufferSize = 1 shl 20
                            peer.connect(InetSocketAddress("127.0.0.1", server.port))
                            connected.await()
                            peer.getOutputStream().write(data)
                            if (close) peer.shutdownOutput()
                            written.complete(Unit)
                            result.await()
                        }
                    }
                }
                return result.await()
            } finally {
                written.complete(Unit)
                server.close()
                server.waitClosed()
            }
        }

        /** Reads of [size] in a coroutine started undispatched, [count] times: how many returned before it suspended. */
        suspend fun readsBeforeSuspending(
            reader: StreamReader,
            size: Int,
            count: Int,
            got: ByteArrayOutputStream,
        ): Int =
            coroutineScope {
                var done = 0
                val reads =
                    launch(start = CoroutineStart.UNDISPATCHED) {
                        repeat(count) {
                            got.write(reader.read(size))
                            done++
                        }
                    }
                val before = done
                reads.join()
                before
            }

        /**
         * One read of [size] by the loop, then [reads] more of [size] with the rest already in the socket: how many of
         * those returned before one suspended. Every byte must arrive, in order, either way.
         */
        suspend fun readsInARow(
            size: Int,
            reads: Int,
        ): Int {
            val data = pattern((reads + 1) * size)
            val got = ByteArrayOutputStream()
            val beforeSuspending =
                afterFirstRead(data, close = false, first = size, got) { reader ->
                    readsBeforeSuspending(reader, size, reads, got)
                }
            got.toByteArray() shouldBe data
            return beforeSuspending
        }

        test("readOnTheLoopTakesWhatTheSocketHoldsWithoutWaitingForTheLoop") {
            // The loop's read fills all the room it had (8 KiB of 32): the socket may hold more.
            readsInARow(8192, 3) shouldBe 3
        }

        test("readOnTheLoopFindsTheEndOfStreamWithoutWaitingForTheLoop") {
            val data = pattern(2 * 8192)
            val got = ByteArrayOutputStream()
            var atEof = false
            val beforeSuspending =
                afterFirstRead(data, close = true, first = 8192, got) { reader ->
                    val n = readsBeforeSuspending(reader, 8192, 2, got)
                    atEof = reader.atEof()
                    n
                }
            // The second inline read finds the FIN: an empty array, as at the end of stream, without suspending.
            beforeSuspending shouldBe 2
            got.toByteArray() shouldBe data
            atEof shouldBe true
        }

        test("readOnTheLoopWaitsForTheLoopAfterSixteenReadsInARow") {
            // 18 reads of 3,000 bytes: one by the loop, 16 in a row without it, then one that must wait for it.
            readsInARow(3000, 17) shouldBe 16
        }

        test("oneBusyConnectionDoesNotKeepTheLoopFromAnother") {
            val flooding = AtomicBoolean(true)
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    if (String(reader.readExactly(1)) == "f") {
                        var total = 0L
                        while (true) {
                            val chunk = reader.read(65536)
                            if (chunk.isEmpty()) break
                            total += chunk.size
                        }
                        writer.write("$total\n".toByteArray())
                    } else {
                        while (true) {
                            val line = reader.readLine()
                            if (line.isEmpty()) break
                            writer.write(line)
                            writer.drain()
                        }
                    }
                    writer.close()
                }
            try {
                withTimeout(60_000) {
                    val sent =
                        async(Dispatchers.IO) {
                            Socket("127.0.0.1", server.port).use { peer ->
                                val out = peer.getOutputStream()
                                out.write('f'.code)
                                val chunk = ByteArray(65536)
                                var total = 0L
                                while (flooding.get()) {
                                    out.write(chunk)
                                    total += chunk.size
                                }
                                peer.shutdownOutput()
                                String(peer.getInputStream().readAllBytes()) shouldBe "$total\n"
                                total
                            }
                        }
                    // Round trips on the same loop while the other connection keeps its socket full.
                    val (reader, writer) = openConnection("127.0.0.1", server.port)
                    writer.write("p".toByteArray())
                    repeat(200) { i ->
                        writer.write("ping $i\n".toByteArray())
                        writer.drain()
                        String(reader.readLine()) shouldBe "ping $i\n"
                    }
                    flooding.set(false)
                    writer.close()
                    writer.waitClosed()
                    sent.await() shouldBeGreaterThan 0L
                }
            } finally {
                flooding.set(false)
                server.close()
                server.waitClosed()
            }
        }
    })
