package io.aiostreams.future

import io.aiostreams.StreamReader
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.future.future
import java.util.concurrent.CompletableFuture
import java.util.concurrent.Executor

/**
 * A [StreamReader] seen from Java: each suspending read returns a [CompletableFuture].
 *
 * Each read starts at once on the calling thread and completes the future there when the data is already buffered;
 * otherwise the future completes on the [executor] given (by default a thread of `Dispatchers.Default`), and so do
 * callbacks attached with `thenApply` and friends. Failures complete the future exceptionally with the exception the
 * Kotlin call throws (`IncompleteReadError`, `LimitOverrunError`, ...), which `get()` wraps in an
 * `ExecutionException` and `join()` in a `CompletionException`.
 *
 * **Cancellation:** cancelling a returned future cancels the read; a cancelled [readLine], [readUntil] or
 * [readExactly] consumes nothing.
 *
 * **Python:** the same methods as `asyncio.StreamReader`, as futures instead of coroutines.
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
        public fun read(n: Int = -1): CompletableFuture<ByteArray> = start { reader.read(n) }

        /** [StreamReader.readLine]: one line including its `\n`; an empty array at end of stream. */
        public fun readLine(): CompletableFuture<ByteArray> = start { reader.readLine() }

        /** [StreamReader.readExactly]: exactly [n] bytes, or `IncompleteReadError` at end of stream. */
        public fun readExactly(n: Int): CompletableFuture<ByteArray> = start { reader.readExactly(n) }

        /** [StreamReader.readUntil]: up to and including [separator]. */
        public fun readUntil(separator: ByteArray): CompletableFuture<ByteArray> = start { reader.readUntil(separator) }

        /** [StreamReader.readUntil] with several separators: up to and including the match that ends first. */
        public fun readUntil(
            separators: List<ByteArray>,
        ): CompletableFuture<ByteArray> = start { reader.readUntil(separators) }

        private fun start(block: suspend () -> ByteArray): CompletableFuture<ByteArray> =
            scope.future(start = CoroutineStart.UNDISPATCHED) { block() }

        /** The reader's repr: `<StreamReader ...>`. */
        override fun toString(): String = reader.toString()
    }
