package io.aiostreams

import java.io.IOException

/**
 * A separator search went past the reader's limit; [consumed] tells how many bytes to drop to make progress.
 *
 * Thrown by [StreamReader.readUntil] in two cases, with CPython's messages:
 * - `Separator is not found, and chunk exceed the limit`: more than `limit` bytes are buffered and none of them can
 *   start a separator; [consumed] is the number of leading bytes known to hold no separator.
 * - `Separator is found, but chunk is longer than limit`: a separator was found, but more than `limit` bytes stand
 *   before it; [consumed] is the separator's start index.
 *
 * **Nothing is removed from the reader: the data stays buffered**, so the caller may read it with
 * [StreamReader.read] or [StreamReader.readExactly], or skip [consumed] bytes and search again.
 * [StreamReader.readLine] turns this exception into an [IllegalArgumentException] (with this exception as its cause)
 * after discarding the over-long line, as CPython's `readline()` turns it into a `ValueError`.
 *
 * ### Why it extends [IOException]
 * Python's `LimitOverrunError` derives from `Exception` directly. On the JVM every failure a stream read can report
 * is an `IOException`, so a caller's single `catch (e: IOException)` covers this case too. Despite the `Error`
 * suffix, kept for Python's name, this is an ordinary checked exception, not a `java.lang.Error`.
 *
 * **Python:** `asyncio.LimitOverrunError(message, consumed)`.
 *
 * @property consumed the number of bytes to be consumed; see the two cases above.
 */
public class LimitOverrunError(
    message: String,
    public val consumed: Int,
) : IOException(message) {
    private companion object {
        private const val serialVersionUID: Long = 1L
    }
}
