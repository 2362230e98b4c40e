package io.aiostreams.internal

import io.aiostreams.IncompleteReadError
import io.aiostreams.LimitOverrunError
import kotlinx.coroutines.CancellableContinuation
import kotlinx.coroutines.suspendCancellableCoroutine
import kotlinx.io.Buffer
import kotlinx.io.readByteArray
import kotlin.coroutines.resume

/**
 * The engine behind [io.aiostreams.StreamReader]: CPython's `StreamReader` algorithm, made safe for producers and
 * consumers on different threads.
 *
 * All state is guarded by [lock]. A read runs as a loop of locked attempts: each attempt either finishes (returns or
 * throws) or registers a [Waiter] and leaves the lock; the read then suspends outside the lock. Bytes are only ever
 * removed in the same locked attempt that returns them, which is what makes a cancelled read consume nothing.
 */
internal class ReaderCore(
    val limit: Int,
) {
    private val lock = Any()
    private val buffer = Buffer()
    private var eof = false
    private var exception: Throwable? = null

    /** Thrown where end of stream would be returned, once the buffer is empty (a truncated TLS stream, strictly). */
    private var eofError: Throwable? = null
    private var waiter: Waiter? = null
    private var transport: ReadTransport? = null
    private var paused = false

    /**
     * One parked read. [woken] covers the gap between registering and suspending (no lost wake-ups). A cancelled
     * read frees the slot the moment it is cancelled, not when its coroutine next runs: [isCancelled] is checked
     * where the slot is taken, so no cancellation handler is registered per wait.
     */
    private class Waiter {
        var continuation: CancellableContinuation<Throwable?>? = null
        var woken = false
        var error: Throwable? = null

        /** How far a waiting `readUntil` has searched. */
        var searched = 0L

        val isCancelled: Boolean get() = continuation?.isCancelled == true

        override fun toString(): String =
            when {
                woken -> "<Future finished>"
                isCancelled -> "<Future cancelled>"
                else -> "<Future pending>"
            }
    }

    /** The search state of a `readUntil`'s locked step (under [lock]; a waiting one keeps its offset between steps). */
    private val quickScan = Separators.Scan()

    init {
        require(limit > 0) { "Limit cannot be <= 0" }
    }

    // ---- producer side ------------------------------------------------------------------------------------------

    fun feedData(data: ByteArray) {
        val wake =
            synchronized(lock) {
                check(!eof) { "feed_data after feed_eof" }
                if (data.isEmpty()) return
                buffer.write(data)
                afterFeed()
            }
        wake?.resume(null)
    }

    /** Moves up to [max] bytes of [source] into the reader without copying segment contents. */
    fun feedBuffer(
        source: Buffer,
        max: Long = source.size,
    ) {
        val wake =
            synchronized(lock) {
                check(!eof) { "feed_data after feed_eof" }
                val n = minOf(max, source.size)
                if (n == 0L) return
                buffer.write(source, n)
                afterFeed()
            }
        wake?.resume(null)
    }

    private fun afterFeed(): CancellableContinuation<Throwable?>? {
        val wake = wakeWaiter(null)
        val t = transport
        if (t != null && !paused && buffer.size > 2L * limit) {
            try {
                t.pauseReading()
                paused = true
            } catch (_: UnsupportedOperationException) {
                transport = null
            }
        }
        return wake
    }

    /**
     * End of stream. With [error], the stream ended wrongly: reads still return everything buffered, and [error] is
     * thrown where end of stream would have been returned or reported (`read()` returning empty, `IncompleteReadError`).
     */
    fun feedEof(error: Throwable? = null) {
        val wake =
            synchronized(lock) {
                if (!eof) eofError = error
                eof = true
                wakeWaiter(null)
            }
        wake?.resume(null)
    }

    fun setException(error: Throwable) {
        val wake =
            synchronized(lock) {
                exception = error
                wakeWaiter(error)
            }
        wake?.resume(error)
    }

    fun exception(): Throwable? = synchronized(lock) { exception }

    fun atEof(): Boolean = synchronized(lock) { eof && buffer.size == 0L }

    /** Bytes buffered now; for the socket layer and for tests. */
    fun bufferedSize(): Long = synchronized(lock) { buffer.size }

    fun setTransport(t: ReadTransport) {
        synchronized(lock) {
            check(transport == null) { "Transport already set" }
            transport = t
        }
    }

    fun isPaused(): Boolean = synchronized(lock) { paused }

    /** Whether [feedEof] was called, whatever is still buffered. */
    fun eofFed(): Boolean = synchronized(lock) { eof }

    /** Removes and returns every buffered byte (for `startTls`, which hands them to the TLS layer). */
    fun takeBuffered(): ByteArray =
        synchronized(lock) {
            val data = buffer.readByteArray()
            maybeResumeTransport()
            data
        }

    /** A copy of the buffered bytes, consuming nothing; for tests and diagnostics. */
    fun peekBuffered(): ByteArray =
        synchronized(lock) {
            val copy = Buffer()
            buffer.copyTo(copy)
            copy.readByteArray()
        }

    // ---- consumer side ------------------------------------------------------------------------------------------

    // Each read first tries once under the lock and returns without suspending when it can: the waiting version,
    // called last (a tail call), is the only one that allocates a coroutine frame.

    suspend fun read(n: Int): ByteArray {
        synchronized(lock) {
            exception?.let { throw it }
            if (n == 0) return EMPTY
            if (n > 0) readStep(n)?.let { return it }
        }
        return if (n < 0) readAll() else readWaiting(n)
    }

    private suspend fun readWaiting(n: Int): ByteArray {
        val w =
            synchronized(lock) {
                readStep(n)?.let { return it }
                beginWait("read")
            }
        awaitWake(w)
        return synchronized(lock) { takeOrEofError(n) }
    }

    private fun readStep(n: Int): ByteArray? = if (buffer.size != 0L || eof) takeOrEofError(n) else null

    private fun takeOrEofError(n: Int): ByteArray {
        if (buffer.size == 0L && eof) eofError?.let { throw it }
        return take(n)
    }

    private suspend fun readAll(): ByteArray {
        val blocks = Buffer()
        while (true) {
            val block =
                try {
                    read(limit)
                } catch (e: Throwable) {
                    // What was gathered is returned first; the stream's error comes with the next read.
                    if (blocks.size > 0 && e === synchronized(lock) { eofError }) break
                    throw e
                }
            if (block.isEmpty()) break
            blocks.write(block)
        }
        return blocks.readByteArray()
    }

    suspend fun readExactly(n: Int): ByteArray {
        require(n >= 0) { "readexactly size can not be less than zero" }
        synchronized(lock) {
            exception?.let { throw it }
            if (n == 0) return EMPTY
            exactlyStep(n)?.let { return it }
        }
        return exactlyWaiting(n)
    }

    private suspend fun exactlyWaiting(n: Int): ByteArray {
        while (true) {
            val w =
                synchronized(lock) {
                    exactlyStep(n)?.let { return it }
                    beginWait("readexactly")
                }
            awaitWake(w)
        }
    }

    private fun exactlyStep(n: Int): ByteArray? {
        if (buffer.size >= n) return take(n)
        if (eof) throw eofError ?: IncompleteReadError(buffer.readByteArray(), n)
        return null
    }

    /**
     * CPython's `readuntil`. With [forLine], a limit overrun discards the line (or the whole buffer) in the same
     * locked step and throws `IllegalArgumentException`, as `readline()` does.
     */
    suspend fun readUntil(
        separators: Separators,
        forLine: Boolean,
    ): ByteArray {
        val offset =
            synchronized(lock) {
                exception?.let { throw it }
                quickScan.offset = 0L
                untilStep(separators, forLine, quickScan)?.let { return it }
                quickScan.offset
            }
        return untilWaiting(separators, forLine, offset)
    }

    /** A waiting `readUntil` keeps only its search offset; each locked step searches with [quickScan]. */
    private suspend fun untilWaiting(
        separators: Separators,
        forLine: Boolean,
        searched: Long,
    ): ByteArray {
        var offset = searched
        while (true) {
            val from = offset // a val: a var read inside the locked block would be boxed in a Ref
            val w =
                synchronized(lock) {
                    quickScan.offset = from
                    untilStep(separators, forLine, quickScan)?.let { return it }
                    beginWait("readuntil").also { it.searched = quickScan.offset }
                }
            awaitWake(w)
            offset = w.searched
        }
    }

    private fun untilStep(
        separators: Separators,
        forLine: Boolean,
        scan: Separators.Scan,
    ): ByteArray? {
        val size = buffer.size
        if (size - scan.offset >= separators.minLength) {
            if (separators.search(buffer, scan)) {
                val start = scan.matchStart
                if (start > limit) {
                    overrun("Separator is found, but chunk is longer than limit", start, forLine)
                }
                val chunk = buffer.readByteArray(scan.matchEnd.toInt())
                maybeResumeTransport()
                return chunk
            }
            scan.offset = maxOf(0L, size + 1 - separators.maxLength)
            if (scan.offset > limit) {
                overrun("Separator is not found, and chunk exceed the limit", scan.offset, forLine)
            }
        }
        if (eof) {
            eofError?.let { if (!forLine || buffer.size == 0L) throw it }
            val partial = buffer.readByteArray()
            if (forLine) return partial
            throw IncompleteReadError(partial, null)
        }
        return null
    }

    // ---- attempts without waiting: the Java and blocking views' fast path ---------------------------------------

    /**
     * [read] if it can finish now: its result (or its failure, thrown), or null when it would have to wait. Nothing
     * is consumed when null is returned. `read(-1)` finishes now only once end of stream has been fed.
     */
    fun tryRead(n: Int): ByteArray? =
        synchronized(lock) {
            exception?.let { throw it }
            when {
                n == 0 -> EMPTY
                n > 0 -> readStep(n)
                !eof -> null
                else -> takeOrEofError(Int.MAX_VALUE)
            }
        }

    /** [readExactly] if it can finish now, as [tryRead]. */
    fun tryReadExactly(n: Int): ByteArray? {
        require(n >= 0) { "readexactly size can not be less than zero" }
        return synchronized(lock) {
            exception?.let { throw it }
            if (n == 0) EMPTY else exactlyStep(n)
        }
    }

    /** [readUntil] if it can finish now, as [tryRead]. */
    fun tryReadUntil(
        separators: Separators,
        forLine: Boolean,
    ): ByteArray? =
        synchronized(lock) {
            exception?.let { throw it }
            quickScan.offset = 0L
            untilStep(separators, forLine, quickScan)
        }

    private fun overrun(
        message: String,
        consumed: Long,
        forLine: Boolean,
    ): Nothing {
        val error = LimitOverrunError(message, consumed.toInt())
        if (!forLine) throw error
        if (buffer.size > consumed && buffer[consumed] == NEWLINE) {
            buffer.skip(consumed + 1)
        } else {
            buffer.clear()
        }
        maybeResumeTransport()
        throw IllegalArgumentException(message, error)
    }

    // ---- helpers (lock held) ------------------------------------------------------------------------------------

    private fun take(n: Int): ByteArray {
        val count = minOf(n.toLong(), buffer.size).toInt()
        val data = buffer.readByteArray(count)
        maybeResumeTransport()
        return data
    }

    private fun maybeResumeTransport() {
        if (paused && buffer.size <= limit) {
            paused = false
            transport?.resumeReading()
        }
    }

    private fun beginWait(name: String): Waiter {
        if (waiter?.isCancelled == false) {
            throw IllegalStateException("$name() called while another coroutine is already waiting for incoming data")
        }
        // A stored exception never arrives through a waiter registered after it: fail now instead of hanging.
        exception?.let { throw it }
        // Waiting while paused would deadlock (readExactly(n) with n > 2 * limit): always resume first.
        if (paused) {
            paused = false
            transport?.resumeReading()
        }
        return Waiter().also { waiter = it }
    }

    private fun wakeWaiter(error: Throwable?): CancellableContinuation<Throwable?>? {
        val w = waiter ?: return null
        waiter = null
        w.woken = true
        w.error = error
        return w.continuation
    }

    // ---- suspension (lock not held) -----------------------------------------------------------------------------

    @Suppress("NOTHING_TO_INLINE") // inlined into each waiting read: one coroutine frame per wait instead of two
    private suspend inline fun awaitWake(w: Waiter) {
        val error =
            try {
                suspendCancellableCoroutine { continuation ->
                    val early =
                        synchronized(lock) {
                            if (w.woken) {
                                true
                            } else {
                                w.continuation = continuation
                                false
                            }
                        }
                    if (early) continuation.resume(w.error)
                }
            } finally {
                synchronized(lock) { if (waiter === w) waiter = null }
            }
        // Thrown here, not through resumeWithException, so the caller gets the very instance that was stored.
        if (error != null) throw error
    }

    override fun toString(): String =
        synchronized(lock) {
            buildString {
                append("<StreamReader")
                if (buffer.size != 0L) append(' ').append(buffer.size).append(" bytes")
                if (eof) append(" eof")
                if (limit != DEFAULT_LIMIT) append(" limit=").append(limit)
                waiter?.let { append(" waiter=").append(it) }
                exception?.let { append(" exception=").append(it) }
                transport?.let { append(" transport=").append(it) }
                if (paused) append(" paused")
                append('>')
            }
        }

    companion object {
        /** CPython's `_DEFAULT_LIMIT`, `2 ** 16`: the public `DEFAULT_LIMIT`. */
        const val DEFAULT_LIMIT: Int = 65536
        private val EMPTY = ByteArray(0)
        private const val NEWLINE: Byte = '\n'.code.toByte()
    }
}
