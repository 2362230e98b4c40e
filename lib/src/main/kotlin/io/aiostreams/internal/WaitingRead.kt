package io.aiostreams.internal

import kotlin.coroutines.Continuation
import kotlin.coroutines.ContinuationInterceptor
import kotlin.coroutines.CoroutineContext
import kotlin.coroutines.EmptyCoroutineContext
import kotlin.coroutines.resume

/**
 * A read that waits: what it reads, how far a `readUntil` has searched, and the caller to resume with the result.
 *
 * It is the waiting read's frame, written by hand so that a reader can keep one and reuse it for every wait: a read
 * suspends its caller directly (a tail call, no frame of its own), parks this object as the reader's waiter, and a
 * wake dispatches it on the caller's dispatcher. There it runs the read's locked step again (its reader's [Resumer])
 * in the caller's context, thread-context elements included, and resumes the caller itself with the bytes or the
 * failure, or parks again. Nothing is allocated per wait once the reader's frame and its dispatched wrapper exist.
 *
 * A frame is busy from the park that fills it until [release], which runs before the caller is resumed, so the
 * caller's next read may reuse it at once. A read that parks while the reader's frame is still busy (woken by a
 * cancellation and not run yet) gets a frame of its own.
 */
internal class WaitingRead(
    private val resumer: Resumer,
) : Continuation<Any?> {
    /** The reader's side of a wake: runs a woken read on its caller's thread. */
    fun interface Resumer {
        fun resumeRead(
            frame: WaitingRead,
            woken: Throwable?,
        )
    }

    /** The suspended caller; null while the frame is free. */
    @JvmField var caller: Continuation<ByteArray>? = null

    @JvmField var kind: Int = 0

    /** `read(n)` and `readExactly(n)`: the count. */
    @JvmField var count: Int = 0

    /** `readUntil`: the separators, whether it is a `readline`, and how far it has searched. */
    @JvmField var separators: Separators? = null

    @JvmField var forLine: Boolean = false

    @JvmField var searched: Long = 0L

    /** This frame as the caller's dispatcher wraps it, and the context it was wrapped for. */
    private var dispatched: Continuation<Any?>? = null
    private var dispatchedFor: CoroutineContext? = null

    override val context: CoroutineContext
        get() = caller?.context ?: EmptyCoroutineContext

    /** The name of the read, as CPython's messages give it. */
    val name: String
        get() =
            when (kind) {
                READ -> "read"
                EXACTLY -> "readexactly"
                else -> "readuntil"
            }

    /**
     * Runs the read again on its caller's dispatcher, with [woken] (the stored exception that woke it, or null). Called
     * by the one waker that took the frame out of the reader, outside the reader's lock.
     */
    fun wake(woken: Throwable?) {
        val context = context
        var target = dispatched
        if (target == null || context !== dispatchedFor) {
            target = context[ContinuationInterceptor]?.interceptContinuation(this) ?: this
            dispatched = target
            dispatchedFor = context
        }
        target.resume(woken)
    }

    override fun resumeWith(result: Result<Any?>) {
        resumer.resumeRead(this, result.getOrNull() as Throwable?)
    }

    /** Lets go of the context it was last dispatched in (its job may hold whatever its coroutine's block holds). */
    fun forget() {
        dispatched = null
        dispatchedFor = null
    }

    /** Frees the frame for the next read (reader's lock held); what it referred to of its caller goes with it. */
    fun release() {
        caller = null
        separators = null
    }

    companion object {
        const val READ: Int = 0
        const val EXACTLY: Int = 1
        const val UNTIL: Int = 2
    }
}
