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
 * **Python:** `asyncio.IncompleteReadError(partial, expected)`.
 *
 * @property partial the bytes read before end of stream; possibly empty, never `null`.
 * @property expected the number of bytes that was asked for, or `null` when the read waited for a separator.
 */
public class IncompleteReadError(
    public val partial: ByteArray,
    public val expected: Int?,
) : EOFException("${partial.size} bytes read on a total of ${expected ?: "undefined"} expected bytes") {
    private companion object {
        private const val serialVersionUID: Long = 1L
    }
}
