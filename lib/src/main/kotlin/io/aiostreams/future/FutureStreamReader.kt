package io.aiostreams.future

import io.aiostreams.StreamReader
import io.aiostreams.internal.Separators
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.Job
import kotlinx.coroutines.future.future
import java.util.concurrent.CompletableFuture
import java.util.concurrent.Executor
import java.util.concurrent.Flow
import java.util.function.Consumer

/**
 * A [StreamReader] seen from Java: each suspending read returns a [CompletableFuture].
 *
 * **A read that can finish from the buffer returns an already completed future** (or an already failed one) without
 * starting anything; otherwise the future completes on the [executor] given (by default a thread of
 * `Dispatchers.Default`), and so do callbacks attached with `thenApply` and friends. Failures complete the future
 * exceptionally with the exception the Kotlin call throws (`IncompleteReadError`, `LimitOverrunError`, ...), which
 * `get()` wraps in an `ExecutionException` and `join()` in a `CompletionException`.
 *
 * To consume a whole stream without chaining futures by hand, use [forEachLine], [forEachChunk] or the [lines]
 * publisher.
 *
 * **Cancellation:** cancelling a returned future cancels the read; a cancelled [readLine], [readUntil] or
 * [readExactly] consumes nothing. **Time-outs:** `readLine().orTimeout(5, SECONDS)` cancels the read when the time
 * is up, so it consumes nothing and the next read may wait again, even one started by a callback on the timer's
 * thread before the timed-out read's coroutine has ended (the new read cancels that coroutine first). Do not bound a wait with `get(timeout, unit)`
 * instead: that leaves the read pending, and the next read then fails with `IllegalStateException` (only one read
 * may wait at a time).
 *
 * **Python:** the same methods as `asyncio.StreamReader`, as futures instead of coroutines; `orTimeout` plays
 * `asyncio.wait_for` / `asyncio.timeout`.
 *
 * @param reader the reader to read from.
 * @param executor where futures complete when a read had to wait; `null` for `Dispatchers.Default`.
 */
public class FutureStreamReader
    @JvmOverloads
    constructor(
        public val reader: StreamReader,
        executor: Executor? = null,
    ) {
        private val scope = futureScope(executor)

        /** [StreamReader.read]: up to [n] bytes, or everything until end of stream when [n] is negative. */
        @JvmOverloads
        public fun read(n: Int = -1): CompletableFuture<ByteArray> =
            attempt({ reader.core.tryRead(n) }) { reader.read(n) }

        /** [StreamReader.readLine]: one line including its `\n`; an empty array at end of stream. */
        public fun readLine(): CompletableFuture<ByteArray> =
            attempt({ reader.core.tryReadUntil(Separators.newline(), forLine = true) }) { reader.readLine() }

        /** [StreamReader.readExactly]: exactly [n] bytes, or `IncompleteReadError` at end of stream. */
        public fun readExactly(n: Int): CompletableFuture<ByteArray> =
            attempt({ reader.core.tryReadExactly(n) }) { reader.readExactly(n) }

        /** [StreamReader.readUntil]: up to and including [separator]. */
        public fun readUntil(separator: ByteArray): CompletableFuture<ByteArray> =
            attempt({ reader.core.tryReadUntil(Separators.of(separator), forLine = false) }) {
                reader.readUntil(separator)
            }

        /** [StreamReader.readUntil] with several separators: up to and including the match that ends first. */
        public fun readUntil(separators: List<ByteArray>): CompletableFuture<ByteArray> =
            attempt({ reader.core.tryReadUntil(Separators.of(separators), forLine = false) }) {
                reader.readUntil(separators)
            }

        /** [StreamReader.atEof]: end of stream was fed **and** the buffer is empty. */
        public fun atEof(): Boolean = reader.atEof()

        /** [StreamReader.exception]: the exception set on the reader (a lost connection), or `null`. */
        public fun exception(): Throwable? = reader.exception()

        /**
         * Calls [action] with each line (with its `\n`; the last one may lack it) until end of stream, and completes
         * with `null` then.
         *
         * **The future fails with the first failure**: a read's (`IllegalArgumentException` for a line longer than
         * the limit, the connection's error) or one thrown by [action]; no line is read after it. Lines are passed in
         * order, one at a time, on the thread that read them (the caller's for lines already buffered, otherwise
         * the executor's). **Cancelling the future stops the loop**, and the line being waited for stays unread.
         *
         * **Python:** `async for line in reader: action(line)`.
         */
        public fun forEachLine(action: Consumer<ByteArray>): CompletableFuture<Void?> =
            loop(action) { reader.readLine() }

        /**
         * Calls [action] with each chunk of at most [n] bytes, as `read(n)` returns them, until end of stream, and
         * completes with `null` then. Failures and cancellation as in [forEachLine].
         *
         * **Python:** `while chunk := await reader.read(n): action(chunk)`.
         *
         * @throws IllegalArgumentException `n <= 0: n` (returned as a failed future).
         */
        public fun forEachChunk(
            n: Int,
            action: Consumer<ByteArray>,
        ): CompletableFuture<Void?> {
            if (n <= 0) return CompletableFuture.failedFuture(IllegalArgumentException("n <= 0: $n"))
            return loop(action) { reader.read(n) }
        }

        /**
         * The lines of the stream as a [Flow.Publisher]: each subscriber's `request(n)` reads up to `n` more lines,
         * so **a subscriber that requests nothing reads nothing**, and the connection's reading pauses once the
         * reader holds more than twice its limit (back-pressure reaches the socket).
         *
         * The publisher signals `onComplete` at end of stream and `onError` with the reader's failure (the last line
         * before end of stream may lack its `\n`). **One subscription at a time**: while one is active, a second
         * subscriber receives `onError(IllegalStateException)`; after one is cancelled, the next subscriber continues
         * where it stopped. Cancelling a subscription cancels the read in progress, which consumes nothing. Signals
         * come from the executor's threads, one at a time.
         *
         * **Python:** `async for line in reader`, with demand. Every call returns the same publisher.
         */
        public fun lines(): Flow.Publisher<ByteArray> = linePublisher

        /** One publisher per view, so that "one subscription at a time" holds across calls to [lines]. */
        private val linePublisher: Flow.Publisher<ByteArray> by lazy { LinePublisher(reader, scope) }

        private fun loop(
            action: Consumer<ByteArray>,
            next: suspend () -> ByteArray,
        ): CompletableFuture<Void?> {
            settlePrevious()
            return track {
                while (true) {
                    val item = next()
                    if (item.isEmpty()) break
                    action.accept(item)
                }
                null
            }
        }

        /** The coroutine of the last read that had to wait, and its future (written by the caller's thread). */
        @Volatile private var lastJob: Job? = null

        @Volatile private var lastFuture: CompletableFuture<*>? = null

        /**
         * Starts [block] as a future and remembers its coroutine. Started undispatched, the block records its job
         * before it first suspends, so the job and the future recorded are always the same read's.
         */
        private inline fun <T> track(crossinline block: suspend () -> T): CompletableFuture<T> =
            scope
                .future(start = CoroutineStart.UNDISPATCHED) {
                    lastJob = coroutineContext[Job]
                    block()
                }.also { lastFuture = it }

        /**
         * Cancels the last read's coroutine when its future is already done but the coroutine still waits.
         *
         * A future completed from outside (by `orTimeout`'s timer, or `complete`) cancels its coroutine in a callback
         * on the completing thread, and that thread may wake the caller's `get()` first. The caller's next read
         * would then find the old read still holding the reader's only place for a waiting read. Cancelling it here,
         * as that callback will, frees the place before the new read starts; a cancelled read consumes nothing.
         */
        private fun settlePrevious() {
            val future = lastFuture ?: return
            if (!future.isDone) return
            val job = lastJob
            lastJob = null
            lastFuture = null
            if (job != null && job.isActive) job.cancel()
        }

        /** The read done now when the buffer allows it; a coroutine only when it has to wait. */
        private inline fun attempt(
            now: () -> ByteArray?,
            crossinline later: suspend () -> ByteArray,
        ): CompletableFuture<ByteArray> {
            settlePrevious()
            val done =
                try {
                    now()
                } catch (e: Throwable) {
                    return CompletableFuture.failedFuture(e)
                }
            return if (done != null) {
                CompletableFuture.completedFuture(done)
            } else {
                track { later() }
            }
        }

        /** The reader's repr: `<StreamReader ...>`. */
        override fun toString(): String = reader.toString()
    }
