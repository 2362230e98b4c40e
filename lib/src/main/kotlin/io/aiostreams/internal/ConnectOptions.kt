package io.aiostreams.internal

import java.net.InetSocketAddress
import java.net.ProtocolFamily
import kotlin.time.Duration

/**
 * Everything one client connection is opened with, whichever entry point was called (streams or protocols, Kotlin or
 * Java, TCP or Unix): the [Connector]'s one input, checked here once with CPython's messages.
 */
internal class ConnectOptions(
    val tls: TlsConfig?,
    val localAddress: InetSocketAddress? = null,
    val happyEyeballsDelay: Duration? = null,
    val interleave: Int? = null,
    /** Only addresses of this family are tried (`StandardProtocolFamily.INET` or `INET6`); any when null. */
    val family: ProtocolFamily? = null,
    /** When every attempt fails, one error carrying all of them, even a single one (CPython's `all_errors=True`). */
    val allErrors: Boolean = false,
) {
    init {
        // 0 is CPython's "no reordering"; a negative count has no meaning.
        require(interleave == null || interleave >= 0) { "interleave < 0: $interleave" }
    }
}
