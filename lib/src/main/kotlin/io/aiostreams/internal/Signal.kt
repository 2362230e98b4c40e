package io.aiostreams.internal

import kotlinx.coroutines.CancellableContinuation
import kotlinx.coroutines.suspendCancellableCoroutine
import java.util.concurrent.atomic.AtomicReferenceFieldUpdater
import kotlin.coroutines.resume

/**
 * A conflated wake-up for one waiting coroutine: what a `Channel<Unit>(CONFLATED)` does for a pump, in one atomic
 * field instead of a channel's segments (a connection has two). [signal] wakes the waiter, or is remembered (once)
 * until the next [await]. **One waiter at a time**; a cancelled wait leaves the signal state as it found it, except
 * that a signal racing the cancellation may be dropped: the pumps look at their state before they wait again.
 */
internal class Signal {
    /** null: nothing pending; [PENDING]: signalled, nobody waiting; else the waiting continuation. */
    @Volatile private var state: Any? = null

    fun signal() {
        while (true) {
            when (val s = state) {
                PENDING -> {
                    return
                }

                null -> {
                    if (STATE.compareAndSet(this, null, PENDING)) return
                }

                else -> {
                    if (STATE.compareAndSet(this, s, null)) {
                        @Suppress("UNCHECKED_CAST")
                        (s as CancellableContinuation<Unit>).resume(Unit)
                        return
                    }
                }
            }
        }
    }

    /** Returns at once if signalled since the last wait, else suspends until [signal]. */
    suspend fun await() {
        if (STATE.compareAndSet(this, PENDING, null)) return
        suspendCancellableCoroutine { waiter ->
            while (true) {
                when (val s = state) {
                    PENDING -> {
                        if (STATE.compareAndSet(this, PENDING, null)) {
                            waiter.resume(Unit)
                            return@suspendCancellableCoroutine
                        }
                    }

                    null -> {
                        if (STATE.compareAndSet(this, null, waiter)) break
                    }

                    else -> {
                        error("a signal has one waiter at a time: $s waits already")
                    }
                }
            }
            waiter.invokeOnCancellation { STATE.compareAndSet(this, waiter, null) }
        }
    }

    private companion object {
        val PENDING = Any()

        /** An updater rather than an `AtomicReference`: one object fewer per signal. */
        val STATE: AtomicReferenceFieldUpdater<Signal, Any?> =
            AtomicReferenceFieldUpdater.newUpdater(Signal::class.java, Any::class.java, "state")
    }
}
