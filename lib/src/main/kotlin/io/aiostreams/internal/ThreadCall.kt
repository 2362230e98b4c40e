package io.aiostreams.internal

import kotlinx.coroutines.Job
import java.util.concurrent.locks.LockSupport
import kotlin.coroutines.Continuation
import kotlin.coroutines.CoroutineContext
import kotlin.coroutines.intrinsics.COROUTINE_SUSPENDED
import kotlin.coroutines.intrinsics.startCoroutineUninterceptedOrReturn

/**
 * Runs a suspending call on the calling thread and parks the thread while it waits: the blocking API's one way of
 * waiting. A call that does not suspend costs no more than a function call; one that does is resumed on the thread
 * that wakes it (there is no dispatcher), which finishes it and unparks the caller.
 *
 * **An interrupt cancels the call** and throws [InterruptedException]; if the call had already finished, its result
 * is returned and the thread stays interrupted. Parking uses `LockSupport`, so a virtual thread leaves its carrier.
 */
internal class ThreadCall<T> private constructor() : Continuation<T> {
    private val job = Job()
    private val thread = Thread.currentThread()

    @Volatile private var outcome: Result<T>? = null

    override val context: CoroutineContext get() = job

    override fun resumeWith(result: Result<T>) {
        outcome = result
        LockSupport.unpark(thread)
    }

    private fun await(): T {
        var interrupted = false
        while (true) {
            outcome?.let { result ->
                if (interrupted) {
                    if (result.isSuccess) Thread.currentThread().interrupt() else throw InterruptedException()
                }
                return result.getOrThrow()
            }
            if (Thread.interrupted() && !interrupted) {
                interrupted = true
                job.cancel()
                continue
            }
            LockSupport.park(this)
        }
    }

    companion object {
        /** [call], blocking the calling thread until it finishes. */
        fun <T> run(call: suspend () -> T): T {
            check(!Loop.inLoop()) { "a blocking call on the event loop's thread would never finish" }
            if (Thread.interrupted()) throw InterruptedException()
            val waiter = ThreadCall<T>()
            val result = call.startCoroutineUninterceptedOrReturn(waiter)
            @Suppress("UNCHECKED_CAST")
            return if (result === COROUTINE_SUSPENDED) waiter.await() else result as T
        }
    }
}
