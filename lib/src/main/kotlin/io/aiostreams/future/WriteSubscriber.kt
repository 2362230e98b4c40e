package io.aiostreams.future

import io.aiostreams.StreamWriter
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.future.future
import java.util.concurrent.CompletableFuture
import java.util.concurrent.Flow
import java.util.concurrent.atomic.AtomicReference

/**
 * A [Flow.Subscriber] that writes each item it receives to a connection: `publisher.subscribe(writer.subscriber())`.
 *
 * It requests a few items at a time and asks for more only as [StreamWriter.drain] lets it, so **a slow peer slows
 * the publisher** instead of filling memory. [completion] completes once the publisher has completed and every item
 * is drained; **it fails with the publisher's error, or with the connection's** (the subscription is then
 * cancelled). **The writer stays open** either way: close it, or `writeEof()` it, when you are done.
 *
 * A subscriber serves one subscription; a second `onSubscribe` is cancelled, as rule 2.5 of Reactive Streams asks.
 * Cancelling [completion] cancels the subscription.
 *
 * **Python:** `async for item in source: writer.write(item); await writer.drain()`.
 */
public class WriteSubscriber internal constructor(
    private val writer: StreamWriter,
    scope: CoroutineScope,
) : Flow.Subscriber<ByteArray> {
    private val subscription = AtomicReference<Flow.Subscription?>()
    private val items = Channel<ByteArray>(Channel.UNLIMITED)

    /** The publisher's error, thrown as is once what came before it is written. */
    @Volatile private var failure: Throwable? = null
    private val done: CompletableFuture<Void?> =
        scope.future(start = CoroutineStart.UNDISPATCHED) {
            try {
                for (item in items) {
                    writer.write(item)
                    writer.drain()
                    subscription.get()?.request(1)
                }
                writer.drain()
                failure?.let { throw it }
            } catch (e: Throwable) {
                subscription.get()?.cancel()
                throw e
            }
            null
        }

    /** Completes when the publisher has completed and what it sent is drained; fails as described above. */
    public fun completion(): CompletableFuture<Void?> = done

    /** Requests the first items; cancels [subscription] if this subscriber already has one. */
    override fun onSubscribe(subscription: Flow.Subscription) {
        if (!this.subscription.compareAndSet(null, subscription)) {
            subscription.cancel()
            return
        }
        if (done.isDone) subscription.cancel() else subscription.request(WINDOW)
    }

    /** Queues [item] to be written. */
    override fun onNext(item: ByteArray) {
        items.trySend(item)
    }

    /** Fails [completion] with [throwable] after what came before it is written. */
    override fun onError(throwable: Throwable) {
        failure = throwable
        items.close()
    }

    /** Completes [completion] once everything is drained. */
    override fun onComplete() {
        items.close()
    }

    private companion object {
        /** Items requested ahead, so that the publisher and the socket overlap. */
        private const val WINDOW = 16L
    }
}
