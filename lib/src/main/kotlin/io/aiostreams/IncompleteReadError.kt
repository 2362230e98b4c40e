package io.aiostreams

import java.io.EOFException

/**
 * The stream ended before a read could be satisfied; [partial] holds every byte that was read.
 *
 * Thrown by [StreamReader.readExactly] when end of stream arrives before `n` bytes (then [expected] is `n`), and by
 * [StreamReader.readUntil] when end of stream arrives before any separator (then [expected] is `null`).
 * **The bytes in [partial] have been removed from the reader: they are nowhere else.** After this exception the
 * reader's buffer is empty and [StreamReader.atEof] is `true`.
 *
 * The message is CPython's: `"<partial.size> bytes read on a total of <expected> expected bytes"`, with `undefined`
 * for a `null` [expected], e.g. `18 bytes read on a total of 36 expected bytes`.
 *
 * ### Why it extends [EOFException]
 * Python's `IncompleteReadError` is a subclass of `EOFError`: it means "the stream ended too early". On the JVM that is
 * what `java.io.EOFException` means, so code that already handles `EOFException` (or any `IOException`) handles this
 * too. Despite the `Error` suffix, kept for Python's name, this is an ordinary checked exception, not a
 * `java.lang.Error`.
 *
 * ### Stack trace
 * **One raised by a read that had to wait carries no stack trace.** Such a read is finished by its coroutine when
 * it resumes, and the thread's stack then holds the dispatcher that resumed it, never the code that called the read
 * (that code is suspended, not on the stack). Recording those frames would cost every stream that ends this way
 * about a kilobyte, for nothing a reader of the trace could use. One raised at once, by a read that found end of
 * stream already there, records the caller's stack as usual, and so does one built with the public constructor.
 *
 * **Python:** `asyncio.IncompleteReadError(partial, expected)`; Python's traceback names the `await`, which a JVM
 * stack trace cannot do for a suspended caller.
 *
 * @property partial the bytes read before end of stream; possibly empty, never `null`.
 * @property expected the number of bytes that was asked for, or `null` when the read waited for a separator.
 */
public class IncompleteReadError internal constructor(
    public val partial: ByteArray,
    public val expected: Int?,
    withStackTrace: Boolean,
) : EOFException() {
    /** An error whose stack trace is recorded, as any exception's. */
    public constructor(partial: ByteArray, expected: Int?) : this(partial, expected, true)

    /**
     * CPython's message, built when asked for: a stream that ends this way in a loop that expects it (`except
     * IncompleteReadError: break`) never reads it.
     */
    override val message: String
        get() = "${partial.size} bytes read on a total of ${expected ?: "undefined"} expected bytes"

    /** False while the superclass is built, so that its call to [fillInStackTrace] records nothing. */
    private var built = false

    init {
        built = true
        if (withStackTrace) fillInStackTrace()
    }

    /** Records the current stack as usual, except while the error is being built (see the class comment). */
    override fun fillInStackTrace(): Throwable = if (built) super.fillInStackTrace() else this

    private companion object {
        private const val serialVersionUID: Long = 1L
    }
}
