package io.aiostreams

import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.types.shouldBeSameInstanceAs
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.yield

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
