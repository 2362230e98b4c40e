package io.aiostreams.internal

import io.ktor.utils.io.ClosedByteChannelException
import java.io.IOException
import java.net.SocketException

/**
 * The error a lost connection reports, the way CPython reports `ConnectionResetError` / `BrokenPipeError`: Ktor wraps
 * socket failures in its own channel exceptions (and may hide them as end of stream); this digs out the JDK's error
 * and reports it as a [SocketException] with that error as its cause.
 */
internal fun connectionError(error: Throwable): IOException {
    var root = error
    while (root is ClosedByteChannelException && root.cause != null && root.cause !== root) root = root.cause!!
    return SocketException(root.message ?: root.toString()).apply { initCause(root) }
}

/** CPython's `ConnectionResetError('Connection lost')`, raised by `drain()` once the connection is gone. */
internal fun connectionLost(): IOException = SocketException("Connection lost")

/** A failure to report to a server's log and exception handler: the log message CPython uses, and the exception. */
internal class ReportedFailure(
    message: String,
    cause: Throwable,
) : Exception(message, cause)
