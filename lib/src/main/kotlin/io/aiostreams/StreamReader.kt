package io.aiostreams

import io.aiostreams.internal.ReaderCore
import io.aiostreams.internal.Separators
import kotlinx.coroutines.channels.ChannelIterator
import kotlinx.coroutines.flow.Flow
import kotlinx.coroutines.flow.flow

/**
 * A buffered byte stream read by coroutines, with CPython's `asyncio.StreamReader` semantics to the byte.
 *
 * A reader is fed by a producer ([feedData], [feedEof], [setException]): a socket, when it comes from
 * [openConnection] or a server, or your own code, when you build one to parse bytes you already have. Coroutines
 * consume it with [read], [readLine], [readExactly] and [readUntil], or iterate over its lines with
 * `for (line in reader)` or [lines].
 *
 * ### End of stream
 * End of stream is reached when [feedEof] has been called **and** the buffer is empty ([atEof]). At end of stream
 * [read] and [readLine] return an empty array; [readExactly] and [readUntil] throw [IncompleteReadError] carrying
 * whatever was left.
 *
 * ### The limit
 * [limit] bounds what [readUntil] and [readLine] will hold while searching: **more than `limit` bytes before the
 * separator is an error** ([LimitOverrunError], or [IllegalArgumentException] from [readLine]). [read] and
 * [readExactly] are not bounded by it. A reader attached to a socket stops reading from it while it holds more than
 * `2 * limit` bytes, and starts again once it holds `limit` bytes or fewer (or as soon as a read has to wait).
 *
 * ### Failures
 * An exception given to [setException] (a connection reset, say) is thrown by every later read, **even when data is
 * still buffered**, and it is the same instance every time. It does not make [atEof] true.
 *
 * ### Concurrency
 * Any thread may feed the reader while a coroutine reads it. **Only one coroutine may wait for data at a time**: a
 * second read that would have to wait throws [IllegalStateException] (a read that can finish from the buffer does
 * not wait and succeeds).
 *
 * ### Cancellation
 * [readLine], [readUntil] and [readExactly] remove nothing from the buffer until they succeed, so **a cancelled call
 * consumes nothing** and the data can be read again. `read(-1)` loses the blocks it had gathered when cancelled or
 * failed, as in CPython. A cancelled read gives up its place as a waiter the moment it is cancelled: another
 * coroutine may wait for data right away (CPython raises `RuntimeError` until the cancelled task has run).
 *
 * **Python:** `asyncio.StreamReader(limit=2**16)`. Method names are camelCase; `ValueError` is
 * [IllegalArgumentException] and `RuntimeError` is [IllegalStateException], each with CPython's message. The
 * `loop` argument does not exist.
 *
 * @param limit the buffer limit described above; [DEFAULT_LIMIT] (64 KiB) by default.
 * @throws IllegalArgumentException `Limit cannot be <= 0` when [limit] is zero or negative.
 */
public class StreamReader(
    public val limit: Int = ReaderCore.DEFAULT_LIMIT,
) {
    @get:JvmSynthetic
    internal val core: ReaderCore = ReaderCore(limit)

    /**
     * Appends [data] to the buffer and wakes a waiting read. Empty data is ignored and wakes nobody.
     *
     * **Feeding after [feedEof] is rejected, even with empty data**, and the buffer is left as it was.
     *
     * **Python:** `feed_data(data)`, where the same misuse fails an `assert` with the same message.
     *
     * @throws IllegalStateException `feed_data after feed_eof` when [feedEof] was called before.
     */
    public fun feedData(data: ByteArray) {
        core.feedData(data)
    }

    /**
     * Marks the end of the stream and wakes a waiting read. Bytes already buffered can still be read. Calling it again
     * does nothing.
     *
     * **Python:** `feed_eof()`.
     */
    public fun feedEof() {
        core.feedEof()
    }

    /**
     * Stores [exception]: a waiting read throws it now, and **every later read throws it, even with data buffered**.
     * The buffer and the end-of-stream flag are kept. A later call replaces the stored exception.
     *
     * **Python:** `set_exception(exc)`.
     */
    public fun setException(exception: Throwable) {
        core.setException(exception)
    }

    /**
     * The exception stored by [setException], or `null`.
     *
     * **Python:** `exception()`.
     */
    public fun exception(): Throwable? = core.exception()

    /**
     * True when [feedEof] was called **and** the buffer is empty. A stored exception does not count.
     *
     * **Python:** `at_eof()`.
     */
    public fun atEof(): Boolean = core.atEof()

    /**
     * Reads up to [n] bytes; with a negative [n] (the default), reads until end of stream.
     *
     * - `n > 0`: waits until at least one byte is buffered or end of stream, then returns up to `n` bytes, **not
     *   bounded by [limit]**. **Returns an empty array only at end of stream.**
     * - `n == 0`: returns an empty array at once, without waiting.
     * - `n < 0`: reads blocks of at most [limit] bytes until end of stream and returns them joined.
     *
     * A stored exception is thrown first, **even for `n == 0` and even with data buffered**; nothing is removed.
     *
     * **Cancellation:** with `n > 0` nothing is removed unless the call returns. With `n < 0` the blocks already
     * gathered are lost if the call is cancelled or fails, as in CPython.
     *
     * **Python:** `await read(n=-1)`.
     *
     * @throws IllegalStateException when the call would wait while another coroutine already waits for data.
     */
    public suspend fun read(n: Int = -1): ByteArray = core.read(n)

    /**
     * Reads one line: the bytes up to and **including** `\n`, as Python does (unlike okio's or kotlinx-io's
     * `readLine`, which return text without the terminator).
     *
     * **At end of stream, returns the last unterminated line, or an empty array when nothing is left.**
     *
     * **Limit:** a line whose part before `\n` is longer than [limit] throws [IllegalArgumentException] with CPython's
     * message (`Separator is found, but chunk is longer than limit` or `Separator is not found, and chunk exceed the
     * limit`) and a [LimitOverrunError] as its cause. **Before throwing it discards data**: the whole over-long line
     * through its `\n` when the `\n` is buffered, otherwise **the whole buffer**; the rest of that line, still to
     * come, is then returned by the next call as if it were a line.
     *
     * **Cancellation:** a cancelled call consumes nothing.
     *
     * **Python:** `await readline()`.
     *
     * @throws IllegalArgumentException when the line exceeds [limit], as described above.
     * @throws IllegalStateException when the call would wait while another coroutine already waits for data; the
     *   message names `readuntil()`, as CPython's does.
     */
    public suspend fun readLine(): ByteArray = core.readUntil(Separators.newline(), forLine = true)

    /**
     * Reads exactly [n] bytes, **not bounded by [limit]**.
     *
     * **If end of stream comes first, throws [IncompleteReadError] with every buffered byte in `partial`** and
     * `expected == n`; the buffer is then empty. `readExactly(0)` returns an empty array (after throwing a stored
     * exception, if any).
     *
     * **Cancellation:** a cancelled call consumes nothing.
     *
     * **Python:** `await readexactly(n)`.
     *
     * @throws IllegalArgumentException `readexactly size can not be less than zero` when [n] is negative; checked
     *   before a stored exception, as in CPython.
     * @throws IncompleteReadError when end of stream comes before [n] bytes.
     * @throws IllegalStateException when the call would wait while another coroutine already waits for data.
     */
    public suspend fun readExactly(n: Int): ByteArray = core.readExactly(n)

    /**
     * Reads up to and **including** [separator] (by default `\n`).
     *
     * **Limit:** if more than [limit] bytes stand before the separator, or more than [limit] bytes are buffered that
     * cannot start one, throws [LimitOverrunError] and **leaves every byte in the buffer**.
     *
     * **At end of stream without a separator, throws [IncompleteReadError] with the whole buffer in `partial`** and
     * `expected == null`; the buffer is then empty. A separator that arrived with the last bytes is still found.
     *
     * **Cancellation:** a cancelled call consumes nothing.
     *
     * **Python:** `await readuntil(separator=b'\n')`.
     *
     * @throws IllegalArgumentException `Separator should be at least one-byte string` when [separator] is empty;
     *   checked before a stored exception.
     * @throws LimitOverrunError when the limit is exceeded, as described above.
     * @throws IncompleteReadError at end of stream without a separator.
     * @throws IllegalStateException when the call would wait while another coroutine already waits for data.
     */
    public suspend fun readUntil(separator: ByteArray = NEWLINE): ByteArray =
        core.readUntil(Separators.of(separator), forLine = false)

    /**
     * Reads up to and including whichever of [separators] **ends first**; when two matches end at the same byte, the
     * shorter separator wins. So with `ABCDEFG` buffered, the separators `DEF` and `BCDE` return `ABCDE`.
     *
     * Limit and end-of-stream rules are those of the single-separator [readUntil]: the "not found" limit check uses
     * the longest separator, the "found" check uses the start of the winning match, and **nothing is removed on a
     * [LimitOverrunError]**.
     *
     * **Cancellation:** a cancelled call consumes nothing.
     *
     * **Python:** `await readuntil((sep1, sep2, ...))` (3.13+).
     *
     * @throws IllegalArgumentException `Separator should contain at least one element` for an empty list, `Separator
     *   should be at least one-byte string` when one separator is empty; both checked before a stored exception.
     * @throws LimitOverrunError when the limit is exceeded.
     * @throws IncompleteReadError at end of stream without a separator.
     * @throws IllegalStateException when the call would wait while another coroutine already waits for data.
     */
    public suspend fun readUntil(separators: List<ByteArray>): ByteArray =
        core.readUntil(Separators.of(separators), forLine = false)

    /**
     * Iterates over lines, so that `for (line in reader) { ... }` reads like Python's `async for line in reader`.
     * Each line is what [readLine] returns; **iteration ends at end of stream** (when [readLine] returns an empty
     * array). Errors thrown by [readLine] propagate out of the loop.
     *
     * **Python:** `reader.__aiter__()` / `__anext__()`.
     */
    public operator fun iterator(): ChannelIterator<ByteArray> = LineIterator(this)

    /**
     * The lines of this reader as a cold [Flow]: each collection reads lines with [readLine] until end of stream.
     * Errors thrown by [readLine] propagate to the collector.
     *
     * **Python:** `async for line in reader`.
     */
    public fun lines(): Flow<ByteArray> =
        flow {
            while (true) {
                val line = readLine()
                if (line.isEmpty()) break
                emit(line)
            }
        }

    /**
     * Python's `repr`: `<StreamReader>` followed by what applies of `N bytes`, `eof`, `limit=N` (when not the
     * default), `waiter=...`, `exception=...`, `transport=...` and `paused`, e.g. `<StreamReader 4 bytes eof>`.
     */
    override fun toString(): String = core.toString()

    private class LineIterator(
        private val reader: StreamReader,
    ) : ChannelIterator<ByteArray> {
        private var line: ByteArray? = null

        override suspend fun hasNext(): Boolean {
            val next = reader.readLine()
            line = next.takeIf { it.isNotEmpty() }
            return line != null
        }

        override fun next(): ByteArray =
            line?.also { line = null } ?: throw NoSuchElementException("no line: call hasNext() first")
    }

    private companion object {
        val NEWLINE = byteArrayOf('\n'.code.toByte())
    }
}
