package io.aiostreams

import io.aiostreams.internal.Loop
import io.aiostreams.internal.LoopTimers
import io.aiostreams.internal.withTimeoutOrNull
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.longs.shouldBeGreaterThan
import io.kotest.matchers.longs.shouldBeGreaterThanOrEqual
import io.kotest.matchers.shouldBe
import io.kotest.matchers.shouldNotBe
import io.kotest.matchers.string.shouldStartWith
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.cancelAndJoin
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import java.io.IOException
import kotlin.coroutines.cancellation.CancellationException
import kotlin.time.Duration
import kotlin.time.Duration.Companion.hours
import kotlin.time.Duration.Companion.milliseconds
import kotlin.time.Duration.Companion.minutes

/**
 * The loop's own timers (CPython's `call_later` and its `_scheduled` heap) and the timeouts they time: a TLS
 * handshake's and a TLS shutdown's run on them, not on `kotlinx.coroutines`' timer thread.
 */
class LoopTimersSpec :
    FunSpec({
        val hour = 1.hours.inWholeNanoseconds
        val minute = 1.minutes.inWholeNanoseconds
        val later = { System.nanoTime() + hour }

        test("timersFallDueInTheOrderOfTheirDueTimesThenOfTheirAdding") {
            val timers = LoopTimers()
            val ran = mutableListOf<String>()
            // Each add reads the clock: delays a minute apart keep their order however slowly this thread runs.
            timers.add(2 * minute) { ran += "2 min" }
            timers.add(0) { ran += "first at 0" }
            timers.add(0) { ran += "second at 0" }
            timers.add(minute) { ran += "1 min" }
            val now = later()
            while (true) (timers.takeDue(now) ?: break).run()
            ran shouldBe listOf("first at 0", "second at 0", "1 min", "2 min")
            timers.size shouldBe 0
            timers.isEmpty shouldBe true
        }

        test("aTimerIsNotDueBeforeItsDelayAndTheLoopMaySleepUntilThen") {
            val timers = LoopTimers()
            timers.nanosUntilNext(System.nanoTime()) shouldBe Long.MAX_VALUE
            timers.isEmpty shouldBe true
            timers.add(hour) {}
            timers.isEmpty shouldBe false
            timers.takeDue(System.nanoTime()) shouldBe null
            timers.nanosUntilNext(System.nanoTime()) shouldBeGreaterThan hour - 60_000_000_000
            timers.takeDue(later() + 1) shouldNotBe null
        }

        test("aDelayBeyondTheClocksRangeNeverFallsDueAndDoesNotOvertakeShorterOnes") {
            val timers = LoopTimers()
            timers.add(Long.MAX_VALUE) { error("never due") }
            var ran = false
            timers.add(0) { ran = true }
            val now = later()
            timers.takeDue(now)!!.run()
            ran shouldBe true
            timers.takeDue(now) shouldBe null
            timers.nanosUntilNext(now) shouldBeGreaterThan 100L * 365 * 24 * hour
        }

        test("aCancelledTimerIsNeverTakenAndOneCancelledAfterBeingTakenDoesNothingWhenRun") {
            val timers = LoopTimers()
            var ran = 0
            timers.add(0) { ran++ }.dispose()
            val second = timers.add(0) { ran++ }
            val now = later()
            val taken = timers.takeDue(now)
            taken shouldBe second
            second.dispose()
            taken!!.run()
            ran shouldBe 0
            timers.takeDue(now) shouldBe null
            timers.size shouldBe 0
        }

        test("cancelledTimersArePurgedOnceMoreThanHalfOfAtLeastAHundredAre") {
            val timers = LoopTimers()
            val added = (1..300).map { timers.add(hour) {} }
            added.take(150).forEach { it.dispose() }
            timers.size shouldBe 300
            added[150].dispose()
            timers.size shouldBe 149
            timers.isEmpty shouldBe false
            // Disposing of one twice, or of one purged, counts nothing more.
            added[0].dispose()
            added[151].dispose()
            added[151].dispose()
            timers.size shouldBe 149
        }

        test("callLaterRunsItsTaskOnTheLoopNoEarlierThanItsDelay") {
            withContext(Dispatchers.Default) {
                val start = System.nanoTime()
                val ran = CompletableDeferred<String>()
                var ranAt = 0L
                Loop.main.callLater(50.milliseconds.inWholeNanoseconds) {
                    ranAt = System.nanoTime()
                    ran.complete(Thread.currentThread().name)
                }
                withTimeout(10_000) { ran.await() } shouldStartWith "aiostreams-loop"
                ranAt - start shouldBeGreaterThanOrEqual 50.milliseconds.inWholeNanoseconds
            }
        }

        test("aDisposedCallLaterNeverRunsThoughALaterOneDoes") {
            var disposedRan = false
            val after = CompletableDeferred<Unit>()
            // Added and disposed of by a task of the loop, which runs no timer until the task returns.
            Loop.main.soon {
                Loop.main.callLater(1) { disposedRan = true }.dispose()
                Loop.main.callLater(20.milliseconds.inWholeNanoseconds) { after.complete(Unit) }
            }
            withTimeout(10_000) { after.await() }
            disposedRan shouldBe false
        }

        test("aLoopTimedBlockGivesItsValueOrNullOnceItsTimeoutPasses") {
            Loop.main.withTimeoutOrNull(10.hours) { "done" } shouldBe "done"
            Loop.main.withTimeoutOrNull(Duration.INFINITE) { "done" } shouldBe "done"
            var cancelled = false
            val result =
                withTimeout(10_000) {
                    Loop.main.withTimeoutOrNull(50.milliseconds) {
                        try {
                            awaitCancellation()
                        } catch (e: CancellationException) {
                            cancelled = true
                            throw e
                        }
                    }
                }
            result shouldBe null
            cancelled shouldBe true
            var ran = false
            Loop.main.withTimeoutOrNull(Duration.ZERO) { ran = true } shouldBe null
            ran shouldBe false
        }

        test("aLoopTimedBlocksFailureAndItsCallersCancellationGoOnAsTheyAre") {
            shouldThrow<IOException> {
                Loop.main.withTimeoutOrNull(10.hours) { throw IOException("broken") }
            }.message shouldBe "broken"
            val entered = CompletableDeferred<Unit>()
            var outcome = "none"
            val caller =
                launch(Dispatchers.Default, start = CoroutineStart.UNDISPATCHED) {
                    try {
                        Loop.main.withTimeoutOrNull(10.hours) {
                            entered.complete(Unit)
                            awaitCancellation()
                        }
                        outcome = "returned"
                    } catch (e: CancellationException) {
                        outcome = "cancelled"
                        throw e
                    }
                }
            entered.await()
            caller.cancelAndJoin()
            outcome shouldBe "cancelled"
        }
    })
