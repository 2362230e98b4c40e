package io.aiostreams.future

import io.aiostreams.DEFAULT_LIMIT
import io.aiostreams.StreamWriter
import io.aiostreams.internal.ConnectOptions
import io.aiostreams.internal.ServeOptions
import io.aiostreams.internal.TlsConfig
import java.net.InetSocketAddress
import java.net.ProtocolFamily
import java.util.concurrent.Executor
import java.util.function.Consumer
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLParameters
import kotlin.time.Duration
import kotlin.time.toKotlinDuration

/**
 * The optional arguments of [FutureStreams]' entry points, for Java: each setter sets one of Python's keyword
 * arguments and returns this object, e.g. `new StreamOptions().limit(1024).ssl(context).serverHostname("example")`.
 * Options that do not apply to a call (`backlog` when connecting, `serverHostname` on a server) are rejected with
 * CPython's messages where it has one, or ignored where Python has no such argument.
 *
 * An instance may be reused for several calls; it is not thread-safe while being changed.
 *
 * **Python:** the keyword arguments of `open_connection` / `start_server` and their Unix variants.
 */
public class StreamOptions {
    @get:JvmSynthetic @set:JvmSynthetic
    internal var limit: Int = DEFAULT_LIMIT

    @get:JvmSynthetic @set:JvmSynthetic
    internal var executor: Executor? = null

    @get:JvmSynthetic @set:JvmSynthetic
    internal var ssl: SSLContext? = null

    @get:JvmSynthetic @set:JvmSynthetic
    internal var serverHostname: String? = null

    @get:JvmSynthetic @set:JvmSynthetic
    internal var sslParameters: SSLParameters? = null

    @get:JvmSynthetic @set:JvmSynthetic
    internal var sslHandshakeTimeout: Duration? = null

    @get:JvmSynthetic @set:JvmSynthetic
    internal var sslShutdownTimeout: Duration? = null

    @get:JvmSynthetic @set:JvmSynthetic
    internal var suppressRaggedEofs: Boolean = true

    @get:JvmSynthetic @set:JvmSynthetic
    internal var localAddress: InetSocketAddress? = null

    @get:JvmSynthetic @set:JvmSynthetic
    internal var happyEyeballsDelay: Duration? = null

    @get:JvmSynthetic @set:JvmSynthetic
    internal var interleave: Int? = null

    @get:JvmSynthetic @set:JvmSynthetic
    internal var loops: Int = 1

    @get:JvmSynthetic @set:JvmSynthetic
    internal var startServing: Boolean = true

    @get:JvmSynthetic @set:JvmSynthetic
    internal var cleanupSocket: Boolean = true

    @get:JvmSynthetic @set:JvmSynthetic
    internal var family: ProtocolFamily? = null

    @get:JvmSynthetic @set:JvmSynthetic
    internal var allErrors: Boolean = false

    @get:JvmSynthetic @set:JvmSynthetic
    internal var backlog: Int = 100

    @get:JvmSynthetic @set:JvmSynthetic
    internal var reuseAddress: Boolean = true

    @get:JvmSynthetic @set:JvmSynthetic
    internal var reusePort: Boolean = false

    @get:JvmSynthetic @set:JvmSynthetic
    internal var keepAlive: Boolean? = null

    @get:JvmSynthetic @set:JvmSynthetic
    internal var exceptionHandler: Consumer<Throwable>? = null

    /** The reader's limit (`limit=`); 64 KiB by default. */
    public fun limit(limit: Int): StreamOptions = apply { this.limit = limit }

    /**
     * Where futures complete after a wait, and where server handlers are called; `Dispatchers.Default` if unset. An
     * executor that runs tasks in place (`Runnable::run`) runs them on the event loop, with no thread hop: **such
     * callbacks must never block**.
     */
    public fun executor(executor: Executor?): StreamOptions = apply { this.executor = executor }

    /** TLS (`ssl=`): `SslContexts.defaultContext()` for Python's `ssl=True`. */
    public fun ssl(ssl: SSLContext?): StreamOptions = apply { this.ssl = ssl }

    /** The name a client verifies and sends as SNI (`server_hostname=`); `""` turns host-name checking off. */
    public fun serverHostname(serverHostname: String?): StreamOptions = apply { this.serverHostname = serverHostname }

    /** The JDK's TLS engine parameters: protocols, ciphers, client authentication (`needClientAuth`). */
    public fun sslParameters(
        sslParameters: SSLParameters?,
    ): StreamOptions = apply { this.sslParameters = sslParameters }

    /** `ssl_handshake_timeout=`; 60 s by default. */
    public fun sslHandshakeTimeout(timeout: java.time.Duration?): StreamOptions = apply {
        sslHandshakeTimeout =
            timeout?.toKotlinDuration()
    }

    /**
     * Whether a TLS peer's TCP end of stream without close_notify is a clean end of stream (true, the default, as in
     * CPython's asyncio) or an error where end of stream would be (false); Python's `ssl` `suppress_ragged_eofs`.
     */
    public fun suppressRaggedEofs(suppress: Boolean): StreamOptions = apply { suppressRaggedEofs = suppress }

    /** `ssl_shutdown_timeout=`; 30 s by default: how long closing waits for the close_notify exchange. */
    public fun sslShutdownTimeout(timeout: java.time.Duration?): StreamOptions = apply {
        sslShutdownTimeout =
            timeout?.toKotlinDuration()
    }

    /**
     * How many event loops a server spreads its accepted connections over, round robin (1, the default: all on the
     * [io.aiostreams.EventLoop], as asyncio). Each connection lives on one loop, where its reads and its I/O run. Not
     * in CPython. See `startServer`'s `loops` in Kotlin.
     *
     * @throws IllegalArgumentException `loops < 1: <value>`.
     */
    public fun loops(loops: Int): StreamOptions =
        apply {
            require(loops >= 1) { "loops < 1: $loops" }
            this.loops = loops
        }

    /** The client's local address (`local_addr=`). */
    public fun localAddress(
        localAddress: InetSocketAddress?,
    ): StreamOptions = apply { this.localAddress = localAddress }

    /** Happy Eyeballs stagger delay (`happy_eyeballs_delay=`). */
    public fun happyEyeballsDelay(delay: java.time.Duration?): StreamOptions = apply {
        happyEyeballsDelay =
            delay?.toKotlinDuration()
    }

    /**
     * How many addresses of the first family are tried before families alternate (`interleave=`); by default 1 with
     * [happyEyeballsDelay] and no reordering without it.
     */
    public fun interleave(interleave: Int?): StreamOptions = apply { this.interleave = interleave }

    /**
     * Whether a server accepts at once (`start_serving=`); true by default. With false, start accepting with
     * [FutureServer.startServing].
     */
    public fun startServing(startServing: Boolean): StreamOptions = apply { this.startServing = startServing }

    /** Only addresses of this family are tried or listened on (`family=`): `StandardProtocolFamily.INET` or `INET6`. */
    public fun family(family: ProtocolFamily?): StreamOptions = apply { this.family = family }

    /**
     * When every connection attempt fails, one `IOException("create_connection failed")` carrying every error as
     * suppressed (`all_errors=`); false by default.
     */
    public fun allErrors(allErrors: Boolean): StreamOptions = apply { this.allErrors = allErrors }

    /** Whether a Unix server removes its socket file on close (`cleanup_socket=`, CPython 3.13); true by default. */
    public fun cleanupSocket(cleanupSocket: Boolean): StreamOptions = apply { this.cleanupSocket = cleanupSocket }

    /** A server's listen backlog (`backlog=`); 100 by default. */
    public fun backlog(backlog: Int): StreamOptions = apply { this.backlog = backlog }

    /** A server's `SO_REUSEADDR` (`reuse_address=`); true by default. */
    public fun reuseAddress(reuseAddress: Boolean): StreamOptions = apply { this.reuseAddress = reuseAddress }

    /** A server's `SO_REUSEPORT` (`reuse_port=`); false by default. */
    public fun reusePort(reusePort: Boolean): StreamOptions = apply { this.reusePort = reusePort }

    /** `SO_KEEPALIVE` on a server's connections (`keep_alive=`); the system's default if unset. */
    public fun keepAlive(keepAlive: Boolean?): StreamOptions = apply { this.keepAlive = keepAlive }

    /** [StreamWriter.startTls] with this object's TLS options (its `ssl` is not used: [sslContext] is). */
    @JvmSynthetic
    internal suspend fun startTls(
        writer: StreamWriter,
        sslContext: SSLContext,
    ) {
        writer.startTls(
            sslContext,
            serverHostname,
            sslParameters,
            sslHandshakeTimeout,
            sslShutdownTimeout,
            suppressRaggedEofs,
        )
    }

    /** The TLS settings of a client call (with [serverHostname]) or a server call (without). */
    @JvmSynthetic
    internal fun tls(client: Boolean): TlsConfig? =
        TlsConfig.of(
            ssl,
            if (client) serverHostname else null,
            sslParameters,
            sslHandshakeTimeout,
            sslShutdownTimeout,
            suppressRaggedEofs,
        )

    /** The connector's input for a client call; checked now, before anything is opened. */
    @JvmSynthetic
    internal fun connectOptions(): ConnectOptions =
        ConnectOptions(tls(client = true), localAddress, happyEyeballsDelay, interleave, family, allErrors)

    /** The listener's input for a server call; checked now, before anything is bound. */
    @JvmSynthetic
    internal fun serveOptions(): ServeOptions =
        ServeOptions(
            tls(client = false),
            backlog,
            reuseAddress,
            reusePort,
            keepAlive,
            startServing,
            kotlinExceptionHandler(),
            family,
            loops,
        )

    /** [exceptionHandler] as the Kotlin entry points take it. */
    @JvmSynthetic
    internal fun kotlinExceptionHandler(): (
        (
            Throwable,
        ) -> Unit
    )? = exceptionHandler?.let { h -> { e: Throwable -> h.accept(e) } }

    /** Called (besides the log) with each failure of a server's handlers: the loop's exception handler in Python. */
    public fun exceptionHandler(handler: Consumer<Throwable>?): StreamOptions = apply { exceptionHandler = handler }
}
