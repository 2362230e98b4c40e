package io.aiostreams.internal

import io.aiostreams.IncompleteReadError
import io.aiostreams.LimitOverrunError
import kotlinx.coroutines.DisposableHandle
import kotlinx.coroutines.InternalCoroutinesApi
import kotlinx.coroutines.Job
import kotlinx.coroutines.ensureActive
import kotlinx.io.Buffer
import kotlinx.io.UnsafeIoApi
import kotlinx.io.readByteArray
import kotlinx.io.unsafe.UnsafeBufferOperations
import kotlin.coroutines.Continuation
import kotlin.coroutines.intrinsics.COROUTINE_SUSPENDED
import kotlin.coroutines.intrinsics.suspendCoroutineUninterceptedOrReturn

/**
 * The engine behind [io.aiostreams.StreamReader]: CPython's `StreamReader` algorithm, made safe for producers and
 * consumers on different threads.
 *
 * All state is guarded by [lock]. A read runs as a loop of locked attempts: each attempt either finishes (returns or
 * throws) or parks the read's caller, with a [WaitingRead] frame, as the waiter in the same locked step. A wake only
 * dispatches that frame on the caller's dispatcher, where the read tries again and resumes its caller. Bytes are only
 * ever removed in the same locked attempt that returns them, which is what makes a cancelled read consume nothing.
 */
internal class ReaderCore(
    val limit: Int,
) : WaitingRead.Resumer,
    (Throwable?) -> Unit {
    /** The object itself: no one outside it ever locks it, and a lock object of its own would cost every connection. */
    private inline val lock: Any get() = this

    /** What is buffered, apart from [lone]; read through [buffer], which moves [lone] in first. */
    private val queue = Buffer()

    /**
     * An array a wire read and handed over whole ([feedArray]) while nothing else was buffered, kept as it is: a read
     * it answers exactly (a message, a line) takes it with no segment made around it. Every other use of the buffer
     * moves it in first. Never set while [queue] holds bytes.
     */
    private var lone: ByteArray? = null

    /** Everything buffered, [lone] moved in first. */
    @OptIn(UnsafeIoApi::class)
    private val buffer: Buffer
        get() {
            val whole = lone
            if (whole != null) {
                lone = null
                UnsafeBufferOperations.moveToTail(queue, whole)
            }
            return queue
        }

    /** How many bytes are buffered, without moving [lone] in. */
    private val buffered: Long get() = queue.size + (lone?.size ?: 0)
    private var eof = false
    private var exception: Throwable? = null

    /** Thrown where end of stream would be returned, once the buffer is empty (a truncated TLS stream, strictly). */
    private var eofError: Throwable? = null
    private var transport: ReadTransport? = null
    private var paused = false

    /**
     * The parked read, if any, as its frame (resumed with null, or with the stored exception that woke it). A
     * cancelled read frees the place the moment it is cancelled, not when its coroutine next runs.
     */
    private var waiter: WaitingRead? = null

    /** The reader's own frame, reused by every wait that finds it free (see [WaitingRead]); made at the first wait. */
    private var spareFrame: WaitingRead? = null

    /**
     * The registration that wakes a parked read when its job is cancelled, and that job. It outlives a wake that
     * returns bytes, so that a coroutine reading line after line registers once; it is dropped when another job waits,
     * when a wait ends in a failure or a cancellation, when the job ends (the registration fires then too), and at end
     * of stream or a stored exception.
     */
    private var waitHandle: DisposableHandle? = null
    private var registeredJob: Job? = null

    /** The last waiter was cancelled and nothing has been fed since: shown by [toString], as CPython's repr does. */
    private var cancelledWaiter = false

    /**
     * Registered with a waiting read's job (the reader is its own handler, one object fewer per connection): acts only
     * when the job of the read parked now is cancelled.
     */
    override fun invoke(cause: Throwable?) = wakeCancelled()

    /**
     * A woken read's step runs now, on the thread that resumed it: an `IncompleteReadError` it raises would record
     * only that thread's dispatcher on its stack, so it records none (see [IncompleteReadError]).
     */
    private var resuming = false

    /**
     * The search state of a `readUntil`'s locked step (under [lock]; a waiting one keeps its offset in its frame), made
     * at the first `readUntil`.
     */
    private var scan: Separators.Scan? = null
    private val quickScan: Separators.Scan get() = scan ?: Separators.Scan().also { scan = it }

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
        wake?.wake(null)
    }

    /** Takes [bytes] to keep, as they are: a wire's own array, which it never touches again (never a user's). */
    @OptIn(UnsafeIoApi::class)
    fun feedArray(bytes: ByteArray) {
        val wake =
            synchronized(lock) {
                check(!eof) { "feed_data after feed_eof" }
                if (bytes.isEmpty()) return
                if (lone == null && queue.size == 0L) lone = bytes else UnsafeBufferOperations.moveToTail(buffer, bytes)
                afterFeed()
            }
        wake?.wake(null)
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
        wake?.wake(null)
    }

    private fun afterFeed(): WaitingRead? {
        val wake = wakeWaiter()
        val t = transport
        if (t != null && !paused && buffered > 2L * limit) {
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
                wakeWaiter().also { dropRegistration() }
            }
        wake?.wake(null)
    }

    fun setException(error: Throwable) {
        val wake =
            synchronized(lock) {
                exception = error
                wakeWaiter().also { dropRegistration() }
            }
        wake?.wake(error)
    }

    fun exception(): Throwable? = synchronized(lock) { exception }

    fun atEof(): Boolean = synchronized(lock) { eof && buffered == 0L }

    /** Bytes buffered now; for the socket layer and for tests. */
    fun bufferedSize(): Long = synchronized(lock) { buffered }

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

    // Each read is one locked step inside `suspendCoroutineUninterceptedOrReturn`, in tail position: a read that can
    // finish returns at once and allocates nothing; one that cannot parks its caller with the reader's frame. Every
    // read, of every kind, goes to parking the same way: through [stepOrPark].

    /**
     * A read's locked [step] (after the stored exception, which comes first, as in CPython); when it cannot finish, no
     * other read waits and the transport may read its socket at once ([ReadTransport.mayReadInline]), the transport
     * reads it ([ReadTransport.readInline]), outside the lock, and the step runs once more before [park]; otherwise it
     * parks in the same locked step. [wanted] is the size of a `read(n)`, which the socket read may then hand over
     * whole as the result; 0 for the other reads.
     */
    private inline fun stepOrPark(
        wanted: Int,
        step: () -> ByteArray?,
        park: () -> Any,
    ): Any {
        val inline =
            synchronized(lock) {
                exception?.let { throw it }
                step()?.let { return it }
                transport?.takeIf { waiter == null && it.mayReadInline() } ?: return park()
            }
        inline.readInline(wanted)
        return synchronized(lock) {
            exception?.let { throw it }
            step() ?: park()
        }
    }

    suspend fun read(n: Int): ByteArray {
        if (n < 0) return readAll()
        return suspendCoroutineUninterceptedOrReturn { cont ->
            stepOrPark(n, { if (n == 0) EMPTY else readStep(n) }) { park(cont, WaitingRead.READ, n, null, false, 0L) }
        }
    }

    private fun readStep(n: Int): ByteArray? = if (buffered != 0L || eof) takeOrEofError(n) else null

    private fun takeOrEofError(n: Int): ByteArray {
        if (buffered == 0L && eof) eofError?.let { throw it }
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
        return suspendCoroutineUninterceptedOrReturn { cont ->
            stepOrPark(0, { if (n == 0) EMPTY else exactlyStep(n) }) {
                park(cont, WaitingRead.EXACTLY, n, null, false, 0L)
            }
        }
    }

    private fun exactlyStep(n: Int): ByteArray? {
        if (buffered >= n) return take(n)
        if (eof) throw eofError ?: IncompleteReadError(buffer.readByteArray(), n, withStackTrace = !resuming)
        return null
    }

    /**
     * CPython's `readuntil`. With [forLine], a limit overrun discards the line (or the whole buffer) in the same
     * locked step and throws `IllegalArgumentException`, as `readline()` does. A waiting one searches on from where
     * it stopped: its frame keeps the offset.
     */
    suspend fun readUntil(
        separators: Separators,
        forLine: Boolean,
    ): ByteArray =
        suspendCoroutineUninterceptedOrReturn { cont ->
            // Each step searches from the start: between the two, the lock was let go.
            stepOrPark(0, {
                quickScan.offset = 0L
                untilStep(separators, forLine, quickScan)
            }) { park(cont, WaitingRead.UNTIL, 0, separators, forLine, quickScan.offset) }
        }

    /** A woken read's locked step again, from its frame; null when it must wait on. */
    private fun stepAgain(frame: WaitingRead): ByteArray? =
        when (frame.kind) {
            WaitingRead.READ -> {
                readStep(frame.count)
            }

            WaitingRead.EXACTLY -> {
                exactlyStep(frame.count)
            }

            else -> {
                quickScan.offset = frame.searched
                untilStep(frame.separators!!, frame.forLine, quickScan).also { frame.searched = quickScan.offset }
            }
        }

    private fun untilStep(
        separators: Separators,
        forLine: Boolean,
        scan: Separators.Scan,
    ): ByteArray? {
        loneLine(separators)?.let { return it }
        val size = buffer.size
        if (size - scan.offset >= separators.minLength) {
            if (separators.search(buffer, scan)) {
                val start = scan.matchStart
                if (start > limit) {
                    overrun("Separator is found, but chunk is longer than limit", start, forLine)
                }
                val chunk = takeBytes(scan.matchEnd.toInt())
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
            throw IncompleteReadError(partial, null, withStackTrace = !resuming)
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
        val whole = lone
        if (whole != null && whole.size <= n) {
            // All that is buffered, and no more than asked for: the wire's array is the result.
            lone = null
            maybeResumeTransport()
            return whole
        }
        val count = minOf(n.toLong(), buffer.size).toInt()
        val data = takeBytes(count)
        maybeResumeTransport()
        return data
    }

    /**
     * Removes the first [count] bytes (at most the buffered size) as an array. When the head segment holds exactly
     * those bytes in an array of their own size (a small socket read, or one made for a waiting large read, wrapped
     * whole), that array is handed over instead of copied: it is never a pooled segment's array (those are all
     * [SEGMENT_SIZE] long, a size never handed over), and nothing else refers to it once its segment is consumed.
     * Bytes that lie in the head segment are copied straight from its array; only a run across segments takes the
     * buffer's general path.
     */
    @OptIn(UnsafeIoApi::class)
    private fun takeBytes(count: Int): ByteArray {
        var taken: ByteArray? = null
        if (count > 0) {
            UnsafeBufferOperations.readFromHead(buffer) { bytes, start, end ->
                when {
                    end - start < count -> {
                        0
                    }

                    start == 0 && end == count && bytes.size == count && count != SEGMENT_SIZE -> {
                        taken = bytes
                        count
                    }

                    else -> {
                        taken = bytes.copyOfRange(start, start + count)
                        count
                    }
                }
            }
        }
        return taken ?: buffer.readByteArray(count)
    }

    /**
     * [lone] itself when it is one whole line for [separators], a single byte: the byte's first place is its last byte,
     * within the limit. Null otherwise (then the buffer's search runs, [lone] moved in).
     */
    private fun loneLine(separators: Separators): ByteArray? {
        val whole = lone ?: return null
        val byte = separators.singleByte
        if (byte < 0) return null
        val last = whole.size - 1
        if (last > limit || whole[last] != byte.toByte() || ByteFinder.indexOf(whole, 0, last, byte.toByte()) >= 0) {
            return null
        }
        lone = null
        maybeResumeTransport()
        return whole
    }

    private fun maybeResumeTransport() {
        if (paused && buffered <= limit) {
            paused = false
            transport?.resumeReading()
        }
    }

    /**
     * Parks [cont] as the waiter after a step that could not finish, or throws: another read waits already, an
     * exception is stored, or the read's job is cancelled. Returns [COROUTINE_SUSPENDED] for the read to return.
     */
    private fun park(
        cont: Continuation<ByteArray>,
        kind: Int,
        count: Int,
        separators: Separators?,
        forLine: Boolean,
        searched: Long,
    ): Any {
        val spare = spareFrame
        val frame =
            if (spare != null && spare.caller == null) {
                spare
            } else {
                WaitingRead(this).also { if (spare == null) spareFrame = it }
            }
        frame.kind = kind
        frame.count = count
        frame.separators = separators
        frame.forLine = forLine
        frame.searched = searched
        frame.caller = cont
        try {
            makeWaiter(frame)
        } catch (e: Throwable) {
            frame.release()
            throw e
        }
        return COROUTINE_SUSPENDED
    }

    /** Makes [frame], filled, the waiter, or throws when it may not wait (the caller then releases the frame). */
    private fun makeWaiter(frame: WaitingRead) {
        if (waiter != null) {
            throw IllegalStateException(
                "${frame.name}() called while another coroutine is already waiting for incoming data",
            )
        }
        // A stored exception never arrives through a waiter registered after it: fail now instead of hanging.
        exception?.let { throw it }
        // Waiting while paused would deadlock (readExactly(n) with n > 2 * limit): always resume first.
        if (paused) {
            paused = false
            transport?.resumeReading()
        }
        val job = frame.context[Job]
        if (job != null) {
            job.ensureActive()
            if (job !== registeredJob) {
                dropRegistration()
                // Not invoked at once even if the job is cancelled meanwhile: the check below covers that case.
                @OptIn(InternalCoroutinesApi::class)
                val handle = job.invokeOnCompletion(onCancelling = true, invokeImmediately = false, this)
                waitHandle = handle
                registeredJob = job
            }
            if (!job.isActive) {
                dropRegistration()
                job.ensureActive()
            }
        }
        cancelledWaiter = false
        waiter = frame
    }

    /**
     * Disposes the registration, and lets go of the job and of the context the reader's frame last ran in: a job that
     * ended must not stay reachable from a reader that lives on (a lazily started coroutine keeps its whole block).
     */
    private fun dropRegistration() {
        waitHandle?.dispose()
        waitHandle = null
        registeredJob = null
        spareFrame?.forget()
    }

    /**
     * The size of the `read(n)` waiting now, or 0 when none does (a `read(n)` waits only with nothing buffered). Read
     * without the lock, as a hint to the wire: a stale answer only changes how a socket read is cut.
     */
    fun waitingReadSize(): Int {
        val frame = waiter ?: return 0
        return if (frame.kind == WaitingRead.READ) frame.count.coerceAtLeast(0) else 0
    }

    /** Takes the waiter out (lock held); the caller wakes it with [WaitingRead.wake] once the lock is released. */
    private fun wakeWaiter(): WaitingRead? {
        cancelledWaiter = false
        val frame = waiter ?: return null
        waiter = null
        return frame
    }

    /**
     * The registered job is being cancelled, or has completed: let go of it, and if a read of its waits, free the
     * read's place now and let it throw when it runs.
     */
    private fun wakeCancelled() {
        val frame =
            synchronized(lock) {
                if (registeredJob?.isActive == false) dropRegistration()
                // A registration left from an earlier wait fires for a job that no longer waits here: ignore it.
                if (waiter?.context?.get(Job)?.isActive != false) return
                wakeWaiter().also { cancelledWaiter = true }
            }
        frame?.wake(null)
    }

    /**
     * A woken read runs here, on its caller's dispatcher and in its caller's context: it throws if its job was
     * cancelled meanwhile (nothing consumed, as in CPython) or if a stored exception woke it, and otherwise takes its
     * locked step again. It resumes its caller with the outcome, or parks again. A stored exception reaches the
     * caller as the very instance that was stored: it travels as a value, and the caller is resumed directly, not
     * through a path that copies exceptions to recover stack traces.
     */
    override fun resumeRead(
        frame: WaitingRead,
        woken: Throwable?,
    ) {
        val caller = frame.caller ?: error("A free read frame was resumed")
        val outcome =
            synchronized(lock) {
                try {
                    caller.context.ensureActive()
                    if (woken != null) throw woken
                    resuming = true
                    val data =
                        try {
                            stepAgain(frame)
                        } finally {
                            resuming = false
                        }
                    if (data == null) {
                        makeWaiter(frame)
                        return
                    }
                    frame.release()
                    Result.success(data)
                } catch (e: Throwable) {
                    frame.release()
                    // Its job is probably ending: let go of it now rather than at end of stream (unless another job
                    // has registered since, for a read parked while this one was on its way).
                    if (registeredJob === caller.context[Job]) dropRegistration()
                    Result.failure(e)
                }
            }
        caller.resumeWith(outcome)
    }

    override fun toString(): String =
        synchronized(lock) {
            buildString {
                append("<StreamReader")
                if (buffered != 0L) append(' ').append(buffered).append(" bytes")
                if (eof) append(" eof")
                if (limit != DEFAULT_LIMIT) append(" limit=").append(limit)
                if (waiter != null) append(" waiter=<Future pending>")
                if (cancelledWaiter) append(" waiter=<Future cancelled>")
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

        /** kotlinx-io's segment size: the length of every pooled segment's array. */
        @OptIn(UnsafeIoApi::class)
        private val SEGMENT_SIZE = UnsafeBufferOperations.maxSafeWriteCapacity
    }
}
