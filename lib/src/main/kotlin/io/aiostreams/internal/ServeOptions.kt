package io.aiostreams.internal

/**
 * Everything a server is started with, whichever entry point was called (streams or protocols, Kotlin or Java, TCP
 * or Unix): the [Listener]'s and [ServerCore]'s one input, checked here once.
 */
internal class ServeOptions(
    val tls: TlsConfig?,
    /** Goes to `listen()` as CPython passes it; zero or less means the system's default. */
    val backlog: Int = 100,
    val reuseAddress: Boolean = true,
    val reusePort: Boolean = false,
    val keepAlive: Boolean? = null,
    val startServing: Boolean = true,
    /** Called (besides the log) with each failure of a handler or a callback: the loop's exception handler. */
    val exceptionHandler: ((Throwable) -> Unit)? = null,
    /** Only addresses of this family are listened on (`StandardProtocolFamily.INET` or `INET6`); any when null. */
    val family: java.net.ProtocolFamily? = null,
    /** How many loops the accepted connections are spread over, round robin ([Loop.group]); 1: all on the main loop. */
    val loops: Int = 1,
) {
    init {
        require(loops >= 1) { "loops < 1: $loops" }
    }
}
