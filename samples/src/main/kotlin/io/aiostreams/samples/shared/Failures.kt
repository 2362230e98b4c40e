package io.aiostreams.samples.shared

import io.aiostreams.IncompleteReadError
import io.aiostreams.LimitOverrunError
import java.net.BindException
import java.net.ConnectException
import java.net.SocketTimeoutException
import java.net.UnknownHostException
import java.util.concurrent.CompletionException
import java.util.concurrent.ExecutionException
import javax.net.ssl.SSLException

/**
 * One clear line for each way a sample can fail, `samples <command>: <cause>`; every command and both twins print
 * these instead of a stack trace (`--stacktrace` adds it).
 */
object Failures {
    /** The exception a future or a reflective call wrapped. */
    @JvmStatic
    fun unwrap(error: Throwable): Throwable {
        var e = error
        while ((e is CompletionException || e is ExecutionException) && e.cause != null) e = e.cause!!
        return e
    }

    /** The cause of [error] in a few words, naming [target] (an address or URL) when there is one. */
    @JvmStatic
    @JvmOverloads
    fun cause(
        error: Throwable,
        target: String? = null,
    ): String {
        val e = unwrap(error)
        val at = if (target != null) " $target" else ""
        return when (e) {
            is UnknownHostException -> "unknown host: ${e.message}"
            is ConnectException -> "cannot connect to${at.ifEmpty { " the server" }}: ${e.message}"
            is BindException -> "cannot listen: ${e.message}"
            is SocketTimeoutException -> "timed out: ${e.message}"
            is SSLException -> "TLS failure${if (target != null) " with $target" else ""}: ${e.message}"
            is IncompleteReadError -> "the peer closed the connection early: ${e.message}"
            is LimitOverrunError -> "a line longer than the limit: ${e.message}"
            is IllegalArgumentException -> e.message ?: "bad argument"
            else -> "${e.javaClass.simpleName}: ${e.message}"
        }
    }

    /** The whole line: `samples <tool>: <cause>`. */
    @JvmStatic
    fun describe(
        tool: String,
        target: String,
        error: Throwable,
    ): String = "samples $tool: ${cause(error, target)}"

    /** Python's `urllib.parse.urlsplit` as far as the HTTP samples need it: scheme, host, port, path. */
    @JvmStatic
    fun parse(url: String): java.net.URI {
        val uri =
            try {
                java.net.URI(url)
            } catch (e: java.net.URISyntaxException) {
                throw IllegalArgumentException("bad URL '$url': ${e.reason}")
            }
        require(uri.scheme == "http" || uri.scheme == "https") { "bad URL '$url': the scheme must be http or https" }
        require(!uri.host.isNullOrEmpty()) { "bad URL '$url': no host" }
        return uri
    }
}
