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
 * A read on its connection's loop (`read`, `readExactly`, `readUntil`, `readLine`) that finds too little buffered
 * reads the socket itself when the socket's last read filled all the room it had, instead of parking until the loop
 * next selects; at most 16 times in a row, after which it waits for the loop, so that one busy connection never keeps
 * the loop from the others. What it returns, and where it finds the end of stream, are what a read woken by the loop
 * returns.
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

        /** [read] [count] times in a coroutine started undispatched: how many returned before it suspended. */
        suspend fun readsBeforeSuspending(
            count: Int,
            got: ByteArrayOutputStream,
            read: suspend () -> ByteArray,
        ): Int =
            coroutineScope {
                var done = 0
                val reads =
                    launch(start = CoroutineStart.UNDISPATCHED) {
                        repeat(count) {
                            got.write(read())
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
                    readsBeforeSuspending(reads, got) { reader.read(size) }
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
                    val n = readsBeforeSuspending(2, got) { reader.read(8192) }
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

        test("readLineOnTheLoopTakesWhatTheSocketHoldsWithoutWaitingForTheLoop") {
            val lines = (0 until 200).joinToString("") { "line $it\n" }.toByteArray()
            val data = pattern(8192) + lines
            val got = ByteArrayOutputStream()
            val beforeSuspending =
                afterFirstRead(data, close = false, first = 8192, got) { reader ->
                    readsBeforeSuspending(200, got) { reader.readLine() }
                }
            beforeSuspending shouldBe 200
            got.toByteArray() shouldBe data
        }

        test("readExactlyOnTheLoopTakesWhatTheSocketHoldsWithoutWaitingForTheLoop") {
            val data = pattern(8192 + 50 * 1000)
            val got = ByteArrayOutputStream()
            val beforeSuspending =
                afterFirstRead(data, close = false, first = 8192, got) { reader ->
                    readsBeforeSuspending(50, got) { reader.readExactly(1000) }
                }
            beforeSuspending shouldBe 50
            got.toByteArray() shouldBe data
        }

        test("readUntilOnTheLoopFindsEverySeparatorWhereverTheSocketReadsSplitTheData") {
            // Records of every length up to 3,000 bytes, 2 MiB in all: the socket's reads, inline and by the loop,
            // split them (and their two-byte separators) wherever the kernel's buffers happen to end.
            val random = java.util.Random(7)
            val records =
                generateSequence { ByteArray(1 + random.nextInt(3000)) { ('a'.code + random.nextInt(26)).toByte() } }
                    .runningFold(0 to ByteArray(0)) { (total, _), r -> (total + r.size + 2) to r }
                    .drop(1)
                    .takeWhile { (total, _) -> total <= 2 shl 20 }
                    .map { it.second }
                    .toList()
            val data = ByteArrayOutputStream().apply {
                records.forEach { write(it + "\r\n".toByteArray()) }
            }.toByteArray()
            val received = CompletableDeferred<List<ByteArray>>()
            val server =
                startServer("127.0.0.1", 0) { reader, writer ->
                    received.completeWith(
                        runCatching {
                            val got = mutableListOf<ByteArray>()
                            while (true) {
                                val record =
                                    try {
                                        reader.readUntil("\r\n".toByteArray())
                                    } catch (e: IncompleteReadError) {
                                        // The end of stream right after a separator: nothing partial is left.
                                        e.partial.size shouldBe 0
                                        break
                                    }
                                got += record.copyOf(record.size - 2)
                            }
                            got
                        },
                    )
                    writer.close()
                }
            try {
                withTimeout(30_000) {
                    withContext(Dispatchers.IO) {
                        Socket("127.0.0.1", server.port).use { peer ->
                            peer.getOutputStream().write(data)
                            peer.shutdownOutput()
                            received.await()
                        }
                    }
                }
                val got = received.await()
                got.size shouldBe records.size
                got.zip(records).forEach { (a, b) -> a shouldBe b }
            } finally {
                server.close()
                server.waitClosed()
            }
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
