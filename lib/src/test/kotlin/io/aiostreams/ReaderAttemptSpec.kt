package io.aiostreams

import io.aiostreams.internal.Separators
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.property.Arb
import io.kotest.property.arbitrary.byteArray
import io.kotest.property.arbitrary.element
import io.kotest.property.arbitrary.int
import io.kotest.property.arbitrary.list
import io.kotest.property.checkAll
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope

/** One step of a script: feed bytes, feed end of stream, set an exception, or one of the reads. */
private sealed interface Step {
    class Feed(
        val data: ByteArray,
    ) : Step {
        override fun toString(): String = "Feed(${data.decodeToString().replace("\n", "\\n").replace("\r", "\\r")})"
    }

    data object Eof : Step

    data object Fail : Step

    class Read(
        val op: Int,
        val n: Int,
    ) : Step {
        override fun toString(): String = "Read(op=$op, n=$n)"
    }
}

/** What a read gave: its bytes, or its failure's type, message and partial bytes. */
private fun outcome(result: Result<ByteArray>): String =
    result.fold(
        { "ok ${it.decodeToString()}" },
        { e -> "${e.javaClass.simpleName}: ${e.message} ${(e as? IncompleteReadError)?.partial?.decodeToString()}" },
    )

/**
 * The readers' attempts that never wait (the Java futures' and the blocking API's fast path) agree with the
 * suspending reads on every script: the same result or failure when the read can finish now, nothing consumed when it
 * cannot (the suspending read then waits), and the same bytes left behind. (A `read(-1)` that has to wait is the one
 * exception: the suspending read has taken blocks before waiting; the blocking and Java views fall back to it.)
 */
class ReaderAttemptSpec :
    FunSpec({
        val data = Arb.byteArray(Arb.int(0..40), Arb.element("ab\n\r|xy".toByteArray().toList()))
        val step =
            Arb.int(0..99).let { pick ->
                io.kotest.property.arbitrary.arbitrary { rs ->
                    when (val p = pick.bind()) {
                        in 0..39 -> Step.Feed(data.bind())
                        in 40..42 -> Step.Eof
                        43 -> Step.Fail
                        else -> Step.Read(p % 6, Arb.int(-1..20).bind())
                    }
                }
            }

        test("attemptsThatNeverWaitAgreeWithTheSuspendingReads") {
            checkAll(500, Arb.list(step, 1..30), Arb.int(4..32)) { script, limit ->
                val byAttempt = StreamReader(limit)
                val bySuspending = StreamReader(limit)
                val failure = java.io.IOException("lost")
                for (s in script) {
                    when (s) {
                        is Step.Feed -> {
                            if (!byAttempt.core.eofFed()) {
                                byAttempt.feedData(s.data)
                                bySuspending.feedData(s.data)
                            }
                        }

                        Step.Eof -> {
                            byAttempt.feedEof()
                            bySuspending.feedEof()
                        }

                        Step.Fail -> {
                            byAttempt.setException(failure)
                            bySuspending.setException(failure)
                        }

                        is Step.Read -> {
                            val attempt: Result<ByteArray?> =
                                runCatching {
                                    when (s.op) {
                                        0 -> {
                                            byAttempt.core.tryRead(s.n)
                                        }

                                        1 -> {
                                            byAttempt.core.tryReadUntil(Separators.newline(), forLine = true)
                                        }

                                        2 -> {
                                            byAttempt.core.tryReadExactly(s.n)
                                        }

                                        3 -> {
                                            byAttempt.core.tryReadUntil(
                                                Separators.of("|".toByteArray()),
                                                forLine = false,
                                            )
                                        }

                                        4 -> {
                                            byAttempt.core.tryReadUntil(
                                                Separators.of(listOf("\r\n".toByteArray(), "y".toByteArray())),
                                                forLine = false,
                                            )
                                        }

                                        else -> {
                                            byAttempt.core.tryRead(-1)
                                        }
                                    }
                                }
                            val suspended =
                                coroutineScope {
                                    val read =
                                        async(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) {
                                            runCatching {
                                                when (s.op) {
                                                    0 -> bySuspending.read(s.n)

                                                    1 -> bySuspending.readLine()

                                                    2 -> bySuspending.readExactly(s.n)

                                                    3 -> bySuspending.readUntil("|".toByteArray())

                                                    4 -> bySuspending.readUntil(
                                                        listOf("\r\n".toByteArray(), "y".toByteArray()),
                                                    )

                                                    else -> bySuspending.read(-1)
                                                }
                                            }
                                        }
                                    if (read.isCompleted) {
                                        read.await()
                                    } else {
                                        read.cancel()
                                        null
                                    }
                                }
                            if (suspended == null) {
                                // The suspending read had to wait: the attempt must say so, and consume nothing.
                                attempt.getOrNull() shouldBe null
                                attempt.isSuccess shouldBe true
                                // read(-1) gathers blocks before it waits, and a cancelled one loses them (CPython's
                                // rule): from here the two readers hold different bytes by design.
                                if (s.op == 5 || (s.op == 0 && s.n < 0)) break
                            } else {
                                val attempted = attempt.map { it ?: error("the attempt waited, the read did not") }
                                outcome(attempted) shouldBe outcome(suspended)
                            }
                            byAttempt.core.peekBuffered().decodeToString() shouldBe
                                bySuspending.core.peekBuffered().decodeToString()
                        }
                    }
                }
            }
        }
    })
