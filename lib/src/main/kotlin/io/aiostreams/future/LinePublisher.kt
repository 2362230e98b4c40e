package io.aiostreams.future

import io.aiostreams.StreamReader
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.launch
import java.util.concurrent.Flow
import java.util.concurrent.atomic.AtomicLong
import java.util.concurrent.atomic.AtomicReference

/**
 * [FutureStreamReader.lines]: one coroutine per subscription reads a line for each unit of demand and signals it.
 * Signals are serial because only that coroutine sends them; `request` and `cancel` only change state and wake it.
 * A `cancel` made before or during a signal is seen before the next line is read, so that line stays in the reader
 * and nothing more is signalled (rules 1.8 and 3.6), even when demand was added after the `cancel`.
 */
internal class LinePublisher(
    private val reader: StreamReader,
    private val scope: CoroutineScope,
) : Flow.Publisher<ByteArray> {
    private val active = AtomicReference<Subscription?>()

    override fun subscribe(subscriber: Flow.Subscriber<in ByteArray>?) {
        if (subscriber == null) throw NullPointerException("subscriber is null")
        val subscription = Subscription(subscriber)
        if (!active.compareAndSet(null, subscription)) {
            signal { subscriber.onSubscribe(Cancelled) }
            signal { subscriber.onError(IllegalStateException("the lines of this reader already have a subscriber")) }
            return
        }
        subscription.start()
    }

    private inner class Subscription(
        private val subscriber: Flow.Subscriber<in ByteArray>,
    ) : Flow.Subscription {
        private val demand = AtomicLong()
        private val wake = Channel<Unit>(Channel.CONFLATED)

        /** The first `request(n)` with `n <= 0`, which ends the subscription with `onError` (rule 3.9). */
        @Volatile private var invalidRequest: Long? = null
        private val job: Job = scope.launch(start = CoroutineStart.LAZY) { emit() }

        fun start() {
            if (!signal { subscriber.onSubscribe(this) }) cancel()
            job.start()
        }

        override fun request(n: Long) {
            if (n <= 0) {
                if (invalidRequest == null) invalidRequest = n
            } else {
                demand.getAndUpdate { d -> if (d + n < 0) Long.MAX_VALUE else d + n }
            }
            wake.trySend(Unit)
        }

        override fun cancel() {
            job.cancel()
            active.compareAndSet(this, null)
        }

        private suspend fun emit() {
            try {
                while (true) {
                    currentCoroutineContext().ensureActive()
                    // End of stream and failures are signalled without waiting for demand (rules 1.4 and 1.5).
                    if (demand.get() == 0L && reader.atEof()) {
                        signal { subscriber.onComplete() }
                        return
                    }
                    reader.exception()?.let { e ->
                        signal { subscriber.onError(e) }
                        return
                    }
                    while (demand.get() == 0L && invalidRequest == null) wake.receive()
                    currentCoroutineContext().ensureActive()
                    val n = invalidRequest
                    if (n != null) {
                        signal { subscriber.onError(IllegalArgumentException("request(n) needs n > 0 (§3.9): $n")) }
                        return
                    }
                    val line =
                        try {
                            reader.readLine()
                        } catch (e: CancellationException) {
                            throw e
                        } catch (e: Throwable) {
                            signal { subscriber.onError(e) }
                            return
                        }
                    if (line.isEmpty()) {
                        signal { subscriber.onComplete() }
                        return
                    }
                    demand.getAndUpdate { d -> if (d == Long.MAX_VALUE) d else d - 1 }
                    if (!signal { subscriber.onNext(line) }) return
                }
            } finally {
                active.compareAndSet(this, null)
            }
        }
    }

    private object Cancelled : Flow.Subscription {
        override fun request(n: Long) = Unit

        override fun cancel() = Unit
    }

    private companion object {
        /** A subscriber that throws breaks rule 2.13; its subscription ends there (false) instead of the loop. */
        inline fun signal(block: () -> Unit): Boolean =
            try {
                block()
                true
            } catch (_: Exception) {
                false
            }
    }
}
