package io.aiostreams.internal

import kotlinx.coroutines.CancellationException

/**
 * Why a connection's pumps and scope are cancelled when it closes: a cancellation without the message kotlinx builds
 * for `cancel()` and without a stack trace, since every connection's end stops them. One per cancellation, never
 * shared (exceptions collect suppressed ones).
 */
internal class Stopped : CancellationException("connection stopped") {
    override fun fillInStackTrace(): Throwable = this
}
