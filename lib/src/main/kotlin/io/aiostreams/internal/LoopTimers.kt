package io.aiostreams.internal

import kotlinx.coroutines.DisposableHandle
import java.util.PriorityQueue

/**
 * A loop's timers (CPython's `_scheduled` heap): tasks due at a time on [System.nanoTime]'s clock, taken in the order
 * they fall due (and in the order they were added, for the same time). Any thread may add or cancel one; the loop
 * alone takes them.
 *
 * A cancelled timer stays in the heap until it falls due or, as in CPython, until more than half of at least
 * [PURGE_MIN] timers are cancelled: then the heap is rebuilt without them. Timeouts that almost never fire (a TLS
 * handshake's, a TLS shutdown's) cost one insertion each and no search.
 */
internal class LoopTimers {
    private val heap = PriorityQueue<Timer>()
    private var added = 0L
    private var cancelled = 0

    /** The heap's size, readable without the lock: a loop with no timers pays no lock and no clock read per turn. */
    @Volatile private var held = 0

    /** True while the heap holds no timer, cancelled or not. */
    val isEmpty: Boolean get() = held == 0

    /**
     * Adds [task], due [delayNanos] from now (a longer delay than about a century counts as that century). **The
     * returned timer cancels it ([Timer.dispose]); a timer runs once, and not at all once cancelled.**
     */
    fun add(
        delayNanos: Long,
        task: Runnable,
    ): Timer {
        // Due times are compared by difference, as nanoTime requires: they must stay within 2^63 of each other.
        val due = System.nanoTime() + delayNanos.coerceIn(0, MAX_DELAY_NANOS)
        return synchronized(this) {
            Timer(due, added++, task).also {
                heap.add(it)
                held = heap.size
            }
        }
    }

    /** True when [timer] is the next to fall due: a loop asleep past its due time must be woken. */
    fun isNext(timer: Timer): Boolean = synchronized(this) { heap.peek() === timer }

    /** Nanoseconds from [now] until the next timer falls due: 0 when one is due, [Long.MAX_VALUE] when none waits. */
    fun nanosUntilNext(now: Long): Long =
        synchronized(this) {
            val next = heap.peek() ?: return Long.MAX_VALUE
            (next.due - now).coerceAtLeast(0)
        }

    /**
     * Removes and returns the next timer due at [now] that is not cancelled, or null when none is. **A timer cancelled
     * after this still does nothing when run.**
     */
    fun takeDue(now: Long): Timer? =
        synchronized(this) {
            var next = heap.peek()
            while (next != null && next.due - now <= 0) {
                heap.poll()
                held = heap.size
                next.taken = true
                if (!next.isCancelled) return next
                cancelled--
                next = heap.peek()
            }
            null
        }

    /** How many timers the heap holds, cancelled ones included. */
    val size: Int get() = held

    private fun cancel(timer: Timer) =
        synchronized(this) {
            if (timer.isCancelled) return
            timer.isCancelled = true
            // A timer already taken is no longer in the heap: nothing to count or purge.
            if (timer.taken) return
            cancelled++
            if (cancelled >= PURGE_MIN && cancelled * 2 > heap.size) {
                heap.removeIf { it.isCancelled }
                held = heap.size
                cancelled = 0
            }
        }

    /** One timer: [dispose] cancels it; [run] runs its task unless it is cancelled. */
    inner class Timer internal constructor(
        val due: Long,
        private val order: Long,
        private val task: Runnable,
    ) : Comparable<Timer>,
        DisposableHandle,
        Runnable {
        /** Set under the heap's lock; read by the loop when the timer runs. */
        @Volatile var isCancelled: Boolean = false
            internal set

        /** Out of the heap (under the heap's lock). */
        internal var taken: Boolean = false

        override fun dispose() = cancel(this)

        override fun run() {
            if (!isCancelled) task.run()
        }

        override fun compareTo(other: Timer): Int =
            if (due != other.due) (due - other.due).compareTo(0) else order.compareTo(other.order)
    }

    private companion object {
        /** CPython's `_MIN_SCHEDULED_TIMER_HANDLES`: fewer cancelled timers than this are never purged. */
        const val PURGE_MIN = 100

        /** About 146 years: half of nanoTime's range, so that due times compare by difference. */
        const val MAX_DELAY_NANOS = Long.MAX_VALUE / 2
    }
}
