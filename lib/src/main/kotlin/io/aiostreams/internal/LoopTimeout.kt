package io.aiostreams.internal

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.currentCoroutineContext
import kotlinx.coroutines.isActive
import kotlinx.coroutines.job
import kotlin.time.Duration

/**
 * `withTimeoutOrNull` timed by this loop's own timers instead of `kotlinx.coroutines`' timer thread: the timeouts a
 * connection sets on itself (its TLS handshake's, its TLS shutdown's) then cost no other thread a wake-up. **Runs
 * [block] and returns its value, or null once [timeout] has passed, [block] being cancelled then**; a [timeout] of
 * zero or less returns null at once, and an infinite one sets no timer. The caller's own cancellation, and any
 * failure of [block], go on as they are.
 */
internal suspend fun <T> Loop.withTimeoutOrNull(
    timeout: Duration,
    block: suspend CoroutineScope.() -> T,
): T? {
    if (!timeout.isPositive()) return null
    if (timeout.isInfinite()) return coroutineScope(block)
    var expired = false
    try {
        return coroutineScope {
            val scope = coroutineContext.job
            val timer =
                callLater(timeout.inWholeNanoseconds) {
                    expired = true
                    scope.cancel(LoopTimeoutException(timeout))
                }
            try {
                block()
            } finally {
                timer.dispose()
            }
        }
    } catch (e: CancellationException) {
        // Ours when the timer fired and the caller itself goes on; the caller's own otherwise.
        if (expired && currentCoroutineContext().isActive) return null
        throw e
    }
}

/** Cancels a block whose loop-timed timeout passed: never seen outside [withTimeoutOrNull]. */
private class LoopTimeoutException(
    timeout: Duration,
) : CancellationException("timed out after $timeout")
