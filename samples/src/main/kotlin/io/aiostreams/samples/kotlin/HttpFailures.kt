package io.aiostreams.samples.kotlin

import java.net.ConnectException
import java.net.SocketTimeoutException
import java.net.UnknownHostException
import javax.net.ssl.SSLException

/** One clear line for each way an HTTP sample can fail; both twins print these. */
object HttpFailures {
    @JvmStatic
    fun describe(
        tool: String,
        target: String,
        error: Throwable,
    ): String {
        val cause = if (error is java.util.concurrent.CompletionException &&
            error.cause != null
        ) {
            error.cause!!
        } else {
            error
        }
        val what =
            when (cause) {
                is UnknownHostException -> "unknown host: ${cause.message}"
                is ConnectException -> "cannot connect to $target: ${cause.message}"
                is SocketTimeoutException -> "timed out: ${cause.message}"
                is SSLException -> "TLS failure with $target: ${cause.message}"
                is IllegalArgumentException -> cause.message ?: "bad argument"
                else -> "${cause.javaClass.simpleName}: ${cause.message}"
            }
        return "$tool: $what"
    }

    /** Python's `urllib.parse.urlsplit` as far as `print_http_headers` needs it: scheme, host, port, path. */
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
