package io.aiostreams.internal

import io.ktor.utils.io.ClosedByteChannelException
import java.io.IOException
import java.net.SocketException
import javax.net.ssl.SSLException

/**
 * The error a lost connection reports, the way CPython reports `ConnectionResetError` / `BrokenPipeError`: Ktor wraps
 * socket failures in its own channel exceptions (and may hide them as end of stream); this digs out the JDK's error
 * and reports it as a [SocketException] with that error as its cause.
 */
internal fun connectionError(error: Throwable): IOException {
    var root = error
    while (root is ClosedByteChannelException && root.cause != null && root.cause !== root) root = root.cause!!
    // A TLS failure is reported as itself, as CPython raises the ssl module's error.
    if (root is SSLException) return root
    return SocketException(root.message ?: root.toString()).apply { initCause(root) }
}

/**
 * The peer ended a TLS stream without close_notify, and the connection was opened with `suppressRaggedEofs = false`:
 * thrown by a wire after it has delivered every decrypted byte; the reader reports [cause] where end of stream would
 * have been.
 */
internal class RaggedEof(
    override val cause: SSLException,
) : IOException(cause.message, cause)

/** CPython's `ConnectionResetError('Connection lost')`, raised by `drain()` once the connection is gone. */
internal fun connectionLost(): IOException = SocketException("Connection lost")

/** A failure to report to a server's log and exception handler: the log message CPython uses, and the exception. */
internal class ReportedFailure(
    message: String,
    cause: Throwable,
) : Exception(message, cause)
