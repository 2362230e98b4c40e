package io.aiostreams.blocking

import io.aiostreams.StreamReader
import io.aiostreams.internal.Separators
import io.aiostreams.internal.ThreadCall
import java.io.IOException

/**
 * A [StreamReader] for blocking code: each read blocks the calling thread until it finishes, with the semantics,
 * results and exceptions of the suspending read it names. Meant for virtual threads (Java 21+), where a blocked read
 * parks the virtual thread and leaves its carrier free, and for plain threads on Java 17.
 *
 * **End of stream:** [read] and [readLine] return an empty array; [readExactly] and [readUntil] throw
 * `IncompleteReadError` with what was left. **The limit:** more than `limit` bytes before a separator throws
 * `LimitOverrunError` from [readUntil] (nothing is removed) and `IllegalArgumentException` from [readLine] (the line
 * is dropped), as in CPython.
 *
 * **Interrupts:** interrupting a thread blocked in a read cancels the read and throws [InterruptedException]; **a
 * cancelled [readLine], [readUntil] or [readExactly] consumes nothing**, so the data can be read again. A read that
 * can finish from the buffer never blocks and ignores the interrupt status. Only one thread may wait for data at a
 * time: a second read that would wait throws `IllegalStateException`.
 *
 * **Python:** `asyncio.StreamReader`'s methods, each as if run with `asyncio.run_coroutine_threadsafe(...).result()`.
 *
 * @param reader the reader to read from; `new BlockingStreamReader(new StreamReader())` parses bytes you feed.
 */
public class BlockingStreamReader(
    public val reader: StreamReader,
) {
    /**
     * [StreamReader.read]: up to [n] bytes, at least one unless at end of stream; everything until end of stream when
     * [n] is negative (the default).
     *
     * @throws IOException the connection's failure.
     * @throws InterruptedException when interrupted while waiting.
     */
    @JvmOverloads
    @Throws(IOException::class, InterruptedException::class)
    public fun read(n: Int = -1): ByteArray = reader.core.tryRead(n) ?: ThreadCall.run { reader.read(n) }

    /**
     * [StreamReader.readLine]: one line with its `\n`; the rest of the stream at end of stream without one; an empty
     * array at end of stream.
     *
     * @throws IllegalArgumentException when the line is longer than the limit (the line is dropped).
     * @throws IOException the connection's failure.
     * @throws InterruptedException when interrupted while waiting (nothing consumed).
     */
    @Throws(IOException::class, InterruptedException::class)
    public fun readLine(): ByteArray =
        reader.core.tryReadUntil(Separators.newline(), forLine = true) ?: ThreadCall.run { reader.readLine() }

    /**
     * [StreamReader.readExactly]: exactly [n] bytes.
     *
     * @throws io.aiostreams.IncompleteReadError at end of stream before [n] bytes (carrying what was left).
     * @throws IllegalArgumentException `readexactly size can not be less than zero`.
     * @throws IOException the connection's failure.
     * @throws InterruptedException when interrupted while waiting (nothing consumed).
     */
    @Throws(IOException::class, InterruptedException::class)
    public fun readExactly(n: Int): ByteArray =
        reader.core.tryReadExactly(n) ?: ThreadCall.run { reader.readExactly(n) }

    /**
     * [StreamReader.readUntil]: up to and including [separator].
     *
     * @throws io.aiostreams.LimitOverrunError over the limit (nothing removed).
     * @throws io.aiostreams.IncompleteReadError at end of stream without the separator.
     * @throws InterruptedException when interrupted while waiting (nothing consumed).
     */
    @Throws(IOException::class, InterruptedException::class)
    public fun readUntil(separator: ByteArray): ByteArray =
        reader.core.tryReadUntil(Separators.of(separator), forLine = false)
            ?: ThreadCall.run { reader.readUntil(separator) }

    /**
     * [StreamReader.readUntil] with several separators: up to and including the match that ends first.
     *
     * @throws io.aiostreams.LimitOverrunError over the limit (nothing removed).
     * @throws io.aiostreams.IncompleteReadError at end of stream without a separator.
     * @throws InterruptedException when interrupted while waiting (nothing consumed).
     */
    @Throws(IOException::class, InterruptedException::class)
    public fun readUntil(separators: List<ByteArray>): ByteArray =
        reader.core.tryReadUntil(Separators.of(separators), forLine = false)
            ?: ThreadCall.run { reader.readUntil(separators) }

    /** [StreamReader.atEof]: end of stream was fed **and** the buffer is empty. */
    public fun atEof(): Boolean = reader.atEof()

    /** [StreamReader.exception]: the exception set on the reader, or `null`. */
    public fun exception(): Throwable? = reader.exception()

    /** The reader's repr: `<StreamReader ...>`. */
    override fun toString(): String = reader.toString()
}
