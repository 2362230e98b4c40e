package io.aiostreams

import io.aiostreams.internal.Signal
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull

/** The pumps' wake-up: remembered once until awaited, wakes a waiter, survives a cancelled wait, one waiter at a time. */
class SignalSpec :
    FunSpec({
        test("aSignalIsRememberedOnceAndWakesTheNextWaiter") {
            val signal = Signal()
            signal.signal()
            signal.signal()
            withTimeout(1_000) { signal.await() }
            withTimeoutOrNull(50) { signal.await() } shouldBe null
            var woken = false
            val waiter = launch(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) {
                signal.await()
                woken = true
            }
            woken shouldBe false
            signal.signal()
            waiter.join()
            woken shouldBe true
        }

        test("aCancelledWaitLeavesRoomForTheNextAndASecondWaiterIsRefused") {
            val signal = Signal()
            val first = launch(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) { signal.await() }
            shouldThrow<IllegalStateException> { signal.await() }
            first.cancel()
            first.join()
            val second = launch(Dispatchers.Unconfined, start = CoroutineStart.UNDISPATCHED) { signal.await() }
            signal.signal()
            withTimeout(1_000) { second.join() }
            second.isCancelled shouldBe false
        }
    })
