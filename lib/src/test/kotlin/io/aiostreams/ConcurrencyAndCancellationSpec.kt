package io.aiostreams

import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import io.kotest.matchers.types.shouldBeInstanceOf
import io.kotest.matchers.types.shouldBeSameInstanceAs
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.asContextElement
import kotlinx.coroutines.asCoroutineDispatcher
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.cancel
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield
import java.lang.ref.WeakReference
import java.util.concurrent.Executors
import kotlin.time.Duration.Companion.seconds

class ConcurrencyAndCancellationSpec :
    FunSpec({
        test("secondWaitingReadIsRejectedWithCPythonsMessage") {
            coroutineScope {
                val reader = StreamReader()
                val first = async(start = CoroutineStart.UNDISPATCHED) { reader.readExactly(3) }
                shouldThrow<IllegalStateException> { reader.read(1) }.message shouldBe
                    "read() called while another coroutine is already waiting for incoming data"
                shouldThrow<IllegalStateException> { reader.readLine() }.message shouldBe
                    "readuntil() called while another coroutine is already waiting for incoming data"
                reader.feedData("abc".ascii())
                String(first.await()) shouldBe "abc"
            }
        }

        for ((name, operation) in listOf<Pair<String, suspend StreamReader.() -> ByteArray>>(
            "readLine" to { readLine() },
            "readUntil" to { readUntil("--".ascii()) },
            "readExactly" to { readExactly(10) },
        )) {
            test("cancelled${name.replaceFirstChar(Char::uppercase)}ConsumesNothing") {
                coroutineScope {
                    val reader = StreamReader()
                    val pending = launch(start = CoroutineStart.UNDISPATCHED) { reader.operation() }
                    reader.feedData("partial".ascii())
                    yield()
                    pending.cancelAndJoin()
                    reader.feedData("-\n--more".ascii())
                    reader.feedEof()
                    String(reader.read()) shouldBe "partial-\n--more"
                }
            }
        }

        test("aCancelledWaitFreesItsSlotBeforeItsCoroutineRunsAgain") {
            // One thread: the cancelled read cannot run its clean-up until this block suspends.
            runBlocking {
                val reader = StreamReader()
                val cancelled = launch(start = CoroutineStart.UNDISPATCHED) { reader.readLine() }
                cancelled.cancel()
                reader.toString() shouldBe "<StreamReader waiter=<Future cancelled>>"
                val next = async(start = CoroutineStart.UNDISPATCHED) { reader.readLine() }
                reader.feedData("line\n".ascii())
                String(next.await()) shouldBe "line\n"
                cancelled.isCancelled shouldBe true
            }
        }

        test("aReadParkedWhileACancelledReadWasOnItsWayCanStillBeCancelled") {
            runBlocking {
                val reader = StreamReader()
                reader.feedData("par".ascii())
                val cancelled = launch(start = CoroutineStart.UNDISPATCHED) { reader.readLine() }
                cancelled.cancel()
                // Not a child: if it never wakes, the time-out below fails the test instead of runBlocking hanging.
                val parked =
                    CoroutineScope(coroutineContext.minusKey(Job)).launch(start = CoroutineStart.UNDISPATCHED) {
                        reader.readLine()
                    }
                // The cancelled read runs its clean-up now, after the second read registered with its own job.
                cancelled.join()
                parked.cancel()
                withTimeout(10.seconds) { parked.join() }
                parked.isCancelled shouldBe true
                reader.toString() shouldBe "<StreamReader 3 bytes waiter=<Future cancelled>>"
                reader.feedData("tial\n".ascii())
                String(reader.readLine()) shouldBe "partial\n"
            }
        }

        test("aCoroutineThatWaitedForEarlierLinesIsStillCancelledOutOfItsNextWait") {
            val reader = StreamReader()
            val lines = mutableListOf<String>()
            val job =
                CoroutineScope(Dispatchers.Default).launch {
                    while (true) lines += String(reader.readLine())
                }
            for (i in 1..3) {
                withTimeout(10.seconds) { while (!reader.toString().contains("waiter=<Future pending>")) delay(1) }
                reader.feedData("line $i\n".ascii())
                withTimeout(10.seconds) { while (lines.size < i) delay(1) }
            }
            withTimeout(10.seconds) { while (!reader.toString().contains("waiter=<Future pending>")) delay(1) }
            reader.feedData("par".ascii())
            withTimeout(10.seconds) { job.cancelAndJoin() }
            job.isCancelled shouldBe true
            lines shouldBe listOf("line 1\n", "line 2\n", "line 3\n")
            reader.feedData("tial\n".ascii())
            String(reader.readLine()) shouldBe "partial\n"
        }

        test("aLazyCoroutineThatReadALineAndEndedElsewhereLeavesNothingOfItsBlockReachableFromTheReader") {
            // A lazily started coroutine keeps its block, and the block what it captured, for as long as it is kept.
            val reader = StreamReader()
            val lineRead = CompletableDeferred<Unit>()
            val (job, held) = lazyLineReader(reader, lineRead)
            job.start()
            withTimeout(10.seconds) { while (!reader.toString().contains("waiter=<Future pending>")) delay(1) }
            reader.feedData("line\n".ascii())
            // Until the read has returned: a job cancelled between the wake and the read's end leaves the line in
            // the buffer, as a task cancelled after its waiter's future was set does in CPython.
            withTimeout(10.seconds) { lineRead.await() }
            withTimeout(10.seconds) { job.cancelAndJoin() }
            withTimeout(30.seconds) {
                while (held.get() != null) {
                    System.gc()
                    delay(20)
                }
            }
            reader.toString() shouldBe "<StreamReader>"
        }

        test("aWaitingReadResumesInItsCallersThreadContext") {
            val local = ThreadLocal<String?>()
            val reader = StreamReader()
            val seen =
                CoroutineScope(Dispatchers.Default + local.asContextElement("the caller's")).async {
                    val line = reader.readLine()
                    String(line) + local.get()
                }
            withTimeout(10.seconds) { while (!reader.toString().contains("waiter=<Future pending>")) delay(1) }
            // Fed from a thread with no such value: the woken read must still run with the caller's.
            Thread { reader.feedData("x\n".ascii()) }.apply { start() }.join()
            withTimeout(10.seconds) { seen.await() } shouldBe "x\nthe caller's"
        }

        // The reads below run in scopes of their own, so that a read that never wakes fails the test by a timeout
        // instead of holding up the scope that would wait for it.
        test("aReadInAnAlreadyCancelledJobThrowsInsteadOfWaiting") {
            val reader = StreamReader()
            val outcome = CompletableDeferred<Throwable?>()
            CoroutineScope(Dispatchers.Default).launch {
                cancel()
                outcome.complete(runCatching { reader.readLine() }.exceptionOrNull())
            }
            withTimeout(10.seconds) { outcome.await() }.shouldBeInstanceOf<CancellationException>()
            reader.toString() shouldBe "<StreamReader>"
        }

        test("aReadCancelledFromAnotherThreadWhileWaitingOnALoopThreadLeavesItsBytes") {
            val loop = Executors.newSingleThreadExecutor().asCoroutineDispatcher()
            val onLoop = CoroutineScope(loop)
            try {
                val reader = StreamReader()
                repeat(200) { round ->
                    val timedOut =
                        withTimeout(10.seconds) {
                            onLoop.async {
                                runCatching { withTimeout(1) { reader.readLine() } }.exceptionOrNull()
                            }.await()
                        }
                    timedOut.shouldBeInstanceOf<CancellationException>()
                    reader.feedData("line $round\n".ascii())
                    String(withTimeout(10.seconds) { onLoop.async { reader.readLine() }.await() }) shouldBe
                        "line $round\n"
                }
            } finally {
                loop.close()
            }
        }

        test("cancellingAJobThatWaitedEarlierLeavesTheCurrentWaiterAlone") {
            coroutineScope {
                val reader = StreamReader()
                val earlier =
                    launch(start = CoroutineStart.UNDISPATCHED) {
                        reader.readLine()
                        awaitCancellation()
                    }
                reader.feedData("first\n".ascii())
                yield()
                val current = async(start = CoroutineStart.UNDISPATCHED) { reader.readLine() }
                earlier.cancelAndJoin()
                reader.toString() shouldBe "<StreamReader waiter=<Future pending>>"
                reader.feedData("second\n".ascii())
                String(current.await()) shouldBe "second\n"
            }
        }

        test("aNonCancellableReadInACancelledJobStillWaitsForItsLine") {
            coroutineScope {
                val reader = StreamReader()
                val line = CompletableDeferred<String>()
                val job =
                    launch(start = CoroutineStart.UNDISPATCHED) {
                        try {
                            awaitCancellation()
                        } finally {
                            withContext(NonCancellable) { line.complete(String(reader.readLine())) }
                        }
                    }
                job.cancel()
                yield()
                reader.toString() shouldBe "<StreamReader waiter=<Future pending>>"
                reader.feedData("late\n".ascii())
                job.join()
                line.await() shouldBe "late\n"
            }
        }

        for ((name, end) in listOf<Pair<String, suspend (StreamReader, Job) -> Unit>>(
            "cancelled" to { _, job -> job.cancelAndJoin() },
            "failed" to { reader, job ->
                reader.setException(java.io.IOException("reset"))
                job.join()
            },
            "woken then cancelled" to { reader, job ->
                reader.feedData("more".ascii())
                job.cancelAndJoin()
            },
        )) {
            test(
                "aReadUntil${name.split(' ').joinToString("") { it.replaceFirstChar(Char::uppercase) }}" +
                    "WhileWaitingLeavesNothingOfItsCoroutineReachableFromTheReader",
            ) {
                val reader = StreamReader()
                reader.feedData("partial".ascii())
                var held: WeakReference<Any>? = null
                val job =
                    CoroutineScope(Dispatchers.Default).launch {
                        val marker = Any()
                        held = WeakReference(marker)
                        reader.readUntil("--".ascii())
                        println(marker)
                    }
                withTimeout(10.seconds) { while (!reader.toString().contains("waiter=<Future pending>")) delay(1) }
                withTimeout(10.seconds) { end(reader, job) }
                withTimeout(30.seconds) {
                    while (held!!.get() != null) {
                        System.gc()
                        delay(20)
                    }
                }
                reader.toString() shouldContain "<StreamReader"
            }
        }

        test("setExceptionAfterTheWaiterWasCancelledIsHarmless") {
            coroutineScope {
                val reader = StreamReader()
                val pending = launch(start = CoroutineStart.UNDISPATCHED) { reader.readLine() }
                pending.cancelAndJoin()
                val stored = java.io.IOException("late")
                reader.setException(stored)
                shouldThrow<java.io.IOException> { reader.readLine() } shouldBeSameInstanceAs stored
            }
        }

        test("setExceptionWakesTheWaitingReadWithTheSameInstance") {
            coroutineScope {
                val reader = StreamReader()
                val pending = async(start = CoroutineStart.UNDISPATCHED) { runCatching { reader.readLine() } }
                val stored = java.net.SocketException("Connection reset")
                reader.setException(stored)
                pending.await().exceptionOrNull() shouldBeSameInstanceAs stored
            }
        }

        test("feedingFromAnotherThreadWakesAReaderWithoutLosingBytes") {
            val reader = StreamReader(limit = 64)
            val total = 20_000
            withTimeout(30_000) {
                coroutineScope {
                    launch(Dispatchers.Default) {
                        for (i in 0 until total) reader.feedData("line $i\n".ascii())
                        reader.feedEof()
                    }
                    val lines =
                        withContext(Dispatchers.IO) {
                            val out = ArrayList<String>()
                            for (line in reader) out += String(line)
                            out
                        }
                    lines.size shouldBe total
                    lines.last() shouldBe "line ${total - 1}\n"
                }
            }
        }
    })

/** A lazily started coroutine that reads one line from [reader], then waits to be cancelled; and what its block holds. */
private fun lazyLineReader(
    reader: StreamReader,
    lineRead: CompletableDeferred<Unit>,
): Pair<Job, WeakReference<Any>> {
    val captured = Any()
    val job =
        CoroutineScope(Dispatchers.Default).launch(start = CoroutineStart.LAZY) {
            reader.readLine()
            lineRead.complete(Unit)
            println(captured)
            awaitCancellation()
        }
    return job to WeakReference(captured)
}
