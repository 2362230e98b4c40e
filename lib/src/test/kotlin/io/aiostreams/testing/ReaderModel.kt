package io.aiostreams.testing

import io.aiostreams.IncompleteReadError
import io.aiostreams.LimitOverrunError
import kotlinx.coroutines.CompletableDeferred
import java.io.ByteArrayOutputStream

/**
 * CPython's `asyncio.StreamReader` (3.13) written out plainly for the tests, statement by statement as in
 * `streams.py`: the executable model the reader is fuzzed against. Nothing here is fast; everything is the obvious
 * thing. The buffer is a list of bytes, a search is a loop, and waiting is one [CompletableDeferred], as asyncio's
 * one waiter future. The transport's pause and resume calls go to [flow] as `"pause"` and `"resume"`.
 */
class ReaderModel(
    private val limit: Int,
    private val flow: (String) -> Unit,
) {
    private val buffer = ArrayList<Byte>()
    private var eof = false
    private var waiter: CompletableDeferred<Unit>? = null
    private var exception: Throwable? = null
    private var paused = false

    val buffered: ByteArray get() = buffer.toByteArray()
    val eofFed: Boolean get() = eof
    val isPaused: Boolean get() = paused

    fun exception(): Throwable? = exception

    fun atEof(): Boolean = eof && buffer.isEmpty()

    fun feedEof() {
        eof = true
        wakeupWaiter()
    }

    fun setException(exc: Throwable) {
        exception = exc
        val w = waiter ?: return
        waiter = null
        if (!w.isCancelled) w.completeExceptionally(exc)
    }

    fun feedData(data: ByteArray) {
        check(!eof) { "feed_data after feed_eof" }
        if (data.isEmpty()) return
        buffer.addAll(data.toList())
        wakeupWaiter()
        if (!paused && buffer.size > 2 * limit) {
            paused = true
            flow("pause")
        }
    }

    suspend fun read(n: Int): ByteArray {
        exception?.let { throw it }
        if (n == 0) return ByteArray(0)
        if (n < 0) {
            val blocks = ByteArrayOutputStream()
            while (true) {
                val block = read(limit)
                if (block.isEmpty()) break
                blocks.write(block)
            }
            return blocks.toByteArray()
        }
        if (buffer.isEmpty() && !eof) waitForData("read")
        val data = take(minOf(n, buffer.size))
        maybeResumeTransport()
        return data
    }

    suspend fun readLine(): ByteArray {
        val sep = byteArrayOf('\n'.code.toByte())
        return try {
            readUntil(listOf(sep))
        } catch (e: IncompleteReadError) {
            e.partial
        } catch (e: LimitOverrunError) {
            if (startsWith(sep, e.consumed)) take(e.consumed + sep.size) else buffer.clear()
            maybeResumeTransport()
            throw IllegalArgumentException(e.message)
        }
    }

    suspend fun readExactly(n: Int): ByteArray {
        require(n >= 0) { "readexactly size can not be less than zero" }
        exception?.let { throw it }
        if (n == 0) return ByteArray(0)
        while (buffer.size < n) {
            if (eof) throw IncompleteReadError(take(buffer.size), n)
            waitForData("readexactly")
        }
        val data = take(n)
        maybeResumeTransport()
        return data
    }

    /** `readuntil(separator)` for one separator, `readuntil((a, b, ...))` for several. */
    suspend fun readUntil(separators: List<ByteArray>): ByteArray {
        val sorted = separators.sortedBy { it.size }
        require(sorted.isNotEmpty()) { "Separator should contain at least one element" }
        val minSepLen = sorted.first().size
        val maxSepLen = sorted.last().size
        require(minSepLen != 0) { "Separator should be at least one-byte string" }
        exception?.let { throw it }
        var offset = 0
        var matchStart = -1
        var matchEnd = -1
        while (true) {
            val bufLen = buffer.size
            if (bufLen - offset >= minSepLen) {
                for (sep in sorted) {
                    val isep = find(sep, offset)
                    if (isep != -1) {
                        val end = isep + sep.size
                        if (matchEnd == -1 || end < matchEnd) {
                            matchEnd = end
                            matchStart = isep
                        }
                    }
                }
                if (matchEnd != -1) break
                offset = maxOf(0, bufLen + 1 - maxSepLen)
                if (offset >
                    limit
                ) {
                    throw LimitOverrunError("Separator is not found, and chunk exceed the limit", offset)
                }
            }
            if (eof) throw IncompleteReadError(take(buffer.size), null)
            waitForData("readuntil")
        }
        if (matchStart >
            limit
        ) {
            throw LimitOverrunError("Separator is found, but chunk is longer than limit", matchStart)
        }
        val chunk = take(matchEnd)
        maybeResumeTransport()
        return chunk
    }

    private suspend fun waitForData(name: String) {
        check(waiter == null) { "$name() called while another coroutine is already waiting for incoming data" }
        check(!eof) { "_wait_for_data after EOF" }
        if (paused) {
            paused = false
            flow("resume")
        }
        val w = CompletableDeferred<Unit>()
        waiter = w
        try {
            w.await()
        } finally {
            waiter = null
        }
    }

    private fun wakeupWaiter() {
        val w = waiter ?: return
        waiter = null
        if (!w.isCancelled) w.complete(Unit)
    }

    private fun maybeResumeTransport() {
        if (paused && buffer.size <= limit) {
            paused = false
            flow("resume")
        }
    }

    private fun take(n: Int): ByteArray {
        val out = buffer.subList(0, n).toByteArray()
        buffer.subList(0, n).clear()
        return out
    }

    private fun startsWith(
        sep: ByteArray,
        at: Int,
    ): Boolean = at + sep.size <= buffer.size && sep.indices.all { buffer[at + it] == sep[it] }

    private fun find(
        sep: ByteArray,
        from: Int,
    ): Int = (from..buffer.size - sep.size).firstOrNull { startsWith(sep, it) } ?: -1
}
