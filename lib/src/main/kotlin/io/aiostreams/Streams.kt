@file:JvmName("Streams")

package io.aiostreams

import io.aiostreams.internal.ConnectOptions
import io.aiostreams.internal.Connector
import io.aiostreams.internal.KtorWire
import io.aiostreams.internal.Listener
import io.aiostreams.internal.LoopChannel
import io.aiostreams.internal.ReaderCore
import io.aiostreams.internal.ReaderSink
import io.aiostreams.internal.ReportedFailure
import io.aiostreams.internal.ServeOptions
import io.aiostreams.internal.ServerCore
import io.aiostreams.internal.StreamTransport
import io.aiostreams.internal.TlsConfig
import io.aiostreams.internal.UnixSocketFile
import io.aiostreams.internal.Wire
import io.ktor.network.sockets.Socket
import io.ktor.utils.io.ByteReadChannel
import io.ktor.utils.io.ByteWriteChannel
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.launch
import java.net.InetSocketAddress
import java.net.ProtocolFamily
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.nio.file.Paths
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLParameters
import kotlin.time.Duration

/**
 * The default [StreamReader] limit, 64 KiB: the longest line or separator-delimited chunk a reader accepts, and
 * half the buffered size at which a connected reader stops reading from its socket.
 *
 * **Python:** `asyncio.streams._DEFAULT_LIMIT` (`2 ** 16`).
 */
public const val DEFAULT_LIMIT: Int = ReaderCore.DEFAULT_LIMIT

/**
 * Opens a TCP connection to [host]:[port] and returns its reader and writer: `val (reader, writer) = openConnection(...)`.
 *
 * Every address [host] resolves to is tried, in order, until one connects; with [happyEyeballsDelay] the attempts
 * are staggered instead (RFC 8305): the next one starts when the previous fails or after that delay, and the first
 * to connect wins. **When every address fails, the one error is thrown as is, and different errors are combined into
 * one `java.net.ConnectException("Multiple exceptions: ...")` naming each** (the others are attached as suppressed).
 *
 * There is no timeout parameter: wrap the call in `withTimeout`, as Python wraps it in `asyncio.timeout`; a timed-out
 * or cancelled call leaves no socket open.
 *
 * ### TLS
 * With [ssl], the connection speaks TLS (1.3 or 1.2) through the JDK's `SSLEngine`: the certificate chain is verified
 * against the context's trust, and the host name against the certificate (`HTTPS` endpoint identification), with SNI
 * sent. Python's `ssl=True` is `ssl = SslContexts.defaultContext()`. A failed handshake throws the JDK's
 * `javax.net.ssl.SSLHandshakeException` (untrusted chain, expired certificate, name mismatch) and leaves nothing
 * open; one that takes longer than [sslHandshakeTimeout] throws `java.net.SocketTimeoutException("SSL handshake is
 * taking longer than 60.0 seconds: aborting the connection")`.
 *
 * **A peer that ends the TCP stream without TLS's close_notify ends the stream cleanly, after every byte it sent is
 * read**, as in CPython's asyncio (many servers close that way). With `suppressRaggedEofs = false` that truncation is
 * an error instead, the JDK's `javax.net.ssl.SSLException`, **thrown where end of stream would have been: every
 * byte is still read first** (`read()` returns the data, and the next read throws; `readExactly` and `readUntil`
 * throw it instead of `IncompleteReadError`, leaving the buffer as it was); `waitClosed()` throws it too.
 *
 * **Python:** `await asyncio.open_connection(host, port, limit=..., ssl=..., server_hostname=...,
 * ssl_handshake_timeout=..., ssl_shutdown_timeout=..., local_addr=..., happy_eyeballs_delay=..., interleave=...)`.
 * [sslParameters] has no Python equivalent: it is how the JDK sets protocols, ciphers and client authentication.
 *
 * @param limit the reader's limit (see [StreamReader]).
 * @param ssl the TLS context; `null` for a plain connection.
 * @param serverHostname the name to verify and to send as SNI; [host] by default, `""` to turn checking off.
 * @param sslParameters engine parameters (protocols, ciphers); host-name checking and SNI are added to them.
 * @param sslHandshakeTimeout how long the handshake may take; 60 s by default; must be positive.
 * @param sslShutdownTimeout how long closing waits for the close_notify exchange; 30 s by default; must be positive.
 * @param suppressRaggedEofs true (the default, CPython's behaviour): a TCP end of stream without close_notify is a
 *   clean end of stream; false: it is an error where end of stream would be. Python's `ssl` module has the same
 *   option under this name; only meaningful with [ssl].
 * @param localAddress the local address to bind before connecting; only addresses of its family are tried.
 * @param happyEyeballsDelay stagger delay for concurrent attempts; `null` tries one address after another.
 * @param interleave how many addresses of the first family go first before families alternate; by default 1 with
 *   [happyEyeballsDelay] and no reordering without it, as in CPython; 0 is no reordering.
 * @param family only addresses of this family are tried (`StandardProtocolFamily.INET` or `INET6`); any by default.
 * @param allErrors when every attempt fails, throw one `java.io.IOException("create_connection failed")` carrying
 *   every attempt's error as suppressed, even a single one (CPython's `ExceptionGroup`).
 * @throws java.net.UnknownHostException when [host] does not resolve (to an address of [family]).
 * @throws java.net.ConnectException when the connection is refused (or several addresses fail differently).
 * @throws IllegalArgumentException `Limit cannot be <= 0`, `connect(): port must be 0-65535.` (CPython's
 *   `OverflowError`), `interleave < 0: -1`, or CPython's TLS argument errors
 *   (`server_hostname is only meaningful with ssl`, `ssl_handshake_timeout should be a positive number, got -1.0`,
 *   ...); nothing is opened then.
 */
public suspend fun openConnection(
    host: String,
    port: Int,
    limit: Int = DEFAULT_LIMIT,
    ssl: SSLContext? = null,
    serverHostname: String? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    suppressRaggedEofs: Boolean = true,
    localAddress: InetSocketAddress? = null,
    happyEyeballsDelay: Duration? = null,
    interleave: Int? = null,
    family: ProtocolFamily? = null,
    allErrors: Boolean = false,
): Connection {
    checkLimit(limit)
    val tls = TlsConfig.of(
        ssl,
        serverHostname,
        sslParameters,
        sslHandshakeTimeout,
        sslShutdownTimeout,
        suppressRaggedEofs,
    )
    val options = ConnectOptions(tls, localAddress, happyEyeballsDelay, interleave, family, allErrors)
    return connectionOf(Connector.tcp(host, port, options), limit)
}

/**
 * Opens a connection to the Unix domain socket at [path].
 *
 * TLS works as for [openConnection]; there is no host, so [serverHostname] is required with [ssl] (`""` turns
 * host-name checking off).
 *
 * **Python:** `await asyncio.open_unix_connection(path, limit=..., ssl=..., server_hostname=...)`.
 *
 * @throws java.io.IOException when nothing listens at [path] (`java.net.ConnectException` or
 *   `java.nio.file.NoSuchFileException`-like errors from the JDK).
 * @throws IllegalArgumentException `Limit cannot be <= 0`.
 */
public suspend fun openUnixConnection(
    path: String,
    limit: Int = DEFAULT_LIMIT,
    ssl: SSLContext? = null,
    serverHostname: String? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    suppressRaggedEofs: Boolean = true,
): Connection {
    checkLimit(limit)
    val tls = TlsConfig.of(
        ssl,
        serverHostname,
        sslParameters,
        sslHandshakeTimeout,
        sslShutdownTimeout,
        suppressRaggedEofs,
    )
    return connectionOf(Connector.unix(path, ConnectOptions(tls)), limit)
}

/**
 * Wraps a connected Ktor [socket] (plain, or one `ktor-network-tls` made) in a reader and a writer with CPython's
 * semantics. The connection takes over the socket: closing the writer closes it. Its read and write channels must
 * not have been opened before.
 *
 * **Python:** `asyncio.open_connection(sock=sock)`.
 */
@JvmOverloads
public fun openConnection(
    socket: Socket,
    limit: Int = DEFAULT_LIMIT,
): Connection {
    checkLimit(limit)
    return connectionOf(KtorWire.of(socket), limit)
}

/**
 * Wraps any Ktor channel pair in a reader (fed from [input]) and a writer (writing to [output]). Closing the writer
 * closes [output] and cancels [input]; half-closing ([StreamWriter.writeEof]) closes [output]. `getExtraInfo` knows no
 * keys here.
 *
 * **Python:** no direct equivalent; like `open_connection(sock=...)` for an arbitrary byte stream.
 */
@JvmOverloads
public fun openConnection(
    input: ByteReadChannel,
    output: ByteWriteChannel,
    limit: Int = DEFAULT_LIMIT,
): Connection {
    checkLimit(limit)
    return connectionOf(KtorWire.of(input, output), limit)
}

/**
 * Wraps a connected channel you already have (a TCP or Unix `SocketChannel`) in a reader and a writer, on the event
 * loop: the connection takes the channel over, and closing the writer closes it. With [ssl], TLS runs as a client,
 * and [serverHostname] is required (`""` turns host-name checking off).
 *
 * **Python:** `await asyncio.open_connection(sock=sock, ssl=..., server_hostname=...)`.
 *
 * @throws IllegalArgumentException `sock is not connected: ...`, `You must set server_hostname when using ssl without
 *   a host`, `Limit cannot be <= 0`, or CPython's TLS argument errors; then the channel is left as it was.
 */
public suspend fun openConnection(
    sock: SocketChannel,
    limit: Int = DEFAULT_LIMIT,
    ssl: SSLContext? = null,
    serverHostname: String? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    suppressRaggedEofs: Boolean = true,
): Connection {
    checkLimit(limit)
    val tls = TlsConfig.of(
        ssl,
        serverHostname,
        sslParameters,
        sslHandshakeTimeout,
        sslShutdownTimeout,
        suppressRaggedEofs,
    )
    return connectionOf(Connector.adopt(sock, ConnectOptions(tls)), limit)
}

/**
 * Serves on a listening channel you already have (bound, TCP or Unix), as [startServer] does: the server takes the
 * channel over, and [Server.close] closes it (a Unix socket file is left in place).
 *
 * **Python:** `await asyncio.start_server(client_connected_cb, sock=sock, ...)` (and `start_unix_server(sock=...)`).
 *
 * @param loops as for the host-and-port [startServer].
 * @throws IllegalArgumentException `sock is not bound: ...`, `Limit cannot be <= 0`, or `loops < 1: <value>`.
 */
public suspend fun startServer(
    sock: ServerSocketChannel,
    limit: Int = DEFAULT_LIMIT,
    keepAlive: Boolean? = null,
    startServing: Boolean = true,
    ssl: SSLContext? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    suppressRaggedEofs: Boolean = true,
    exceptionHandler: ((Throwable) -> Unit)? = null,
    loops: Int = 1,
    handler: suspend (reader: StreamReader, writer: StreamWriter) -> Unit,
): Server {
    checkLimit(limit)
    val tls = TlsConfig.of(ssl, null, sslParameters, sslHandshakeTimeout, sslShutdownTimeout, suppressRaggedEofs)
    val options =
        ServeOptions(
            tls,
            keepAlive = keepAlive,
            startServing = startServing,
            exceptionHandler = exceptionHandler,
            loops = loops,
        )
    return serve(listOf(Listener.adopt(sock)), options, streamHandler(limit, handler))
}

/**
 * Starts a TCP server on [host]:[port] that runs [handler] for every connection, each in its own coroutine (see
 * [Server] for what happens when a handler throws, is cancelled or returns). **Handlers run on the [EventLoop] and
 * must not block.**
 *
 * [host] `null` or `""` listens on every interface (one dual-stack socket); a name listens on every address it
 * resolves to. Port 0 picks a free port: [Server.sockets] tells which.
 *
 * **Python:** `await asyncio.start_server(client_connected_cb, host, port, limit=..., backlog=100,
 * reuse_address=True, reuse_port=False, keep_alive=None, start_serving=True, ssl=..., ssl_handshake_timeout=...,
 * ssl_shutdown_timeout=...)`; the loop's exception handler is [exceptionHandler].
 *
 * With [ssl] (a context holding the server's key, e.g. from [SslContexts.serverContext]) every connection speaks
 * TLS; the handler runs once the handshake is done, and a connection whose handshake fails is dropped. Ask for client
 * certificates with [sslParameters] (`needClientAuth = true`).
 *
 * @param family only addresses of this family are listened on (`StandardProtocolFamily.INET` or `INET6`); with
 *   [host] `null`, `INET` listens on `0.0.0.0` alone and `INET6` on `::` (which the JDK makes dual-stack).
 * @param exceptionHandler called (besides the log) with each exception a handler throws.
 * @param loops how many event loops the accepted connections are spread over, round robin: the [EventLoop] and
 *   `loops - 1` more, made when a server first asks for them and shared by every server for the process's life. A
 *   connection lives on one loop: its reads, its handler (which then runs on that loop, not on the [EventLoop]) and
 *   its TLS. **1, the default, keeps every connection on the [EventLoop]**, as asyncio does. More loops use more
 *   cores for servers with many connections; they do not make one connection faster. Not in CPython, which runs one
 *   loop per thread.
 * @throws java.net.BindException `error while attempting to bind on address (...): ...` when an address is taken.
 * @throws IllegalArgumentException `Limit cannot be <= 0`, `loops < 1: <value>`, or `bind(): port must be 0-65535.`
 *   (CPython's `OverflowError`).
 */
public suspend fun startServer(
    host: String?,
    port: Int,
    limit: Int = DEFAULT_LIMIT,
    backlog: Int = 100,
    reuseAddress: Boolean = true,
    reusePort: Boolean = false,
    keepAlive: Boolean? = null,
    family: ProtocolFamily? = null,
    startServing: Boolean = true,
    ssl: SSLContext? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    suppressRaggedEofs: Boolean = true,
    exceptionHandler: ((Throwable) -> Unit)? = null,
    loops: Int = 1,
    handler: suspend (reader: StreamReader, writer: StreamWriter) -> Unit,
): Server {
    checkLimit(limit)
    val tls = TlsConfig.of(ssl, null, sslParameters, sslHandshakeTimeout, sslShutdownTimeout, suppressRaggedEofs)
    val options =
        ServeOptions(tls, backlog, reuseAddress, reusePort, keepAlive, startServing, exceptionHandler, family, loops)
    return serve(Listener.tcp(host, port, options), options, streamHandler(limit, handler))
}

/**
 * Starts a TCP server on every address of every one of [hosts] (CPython's `host` given as a sequence), port [port];
 * everything else is as for the one-host [startServer].
 *
 * **Python:** `await asyncio.start_server(client_connected_cb, [host1, host2], port, ...)`.
 *
 * @param loops as for the one-host [startServer].
 * @throws IllegalArgumentException `no host to bind` for an empty list, and as for [startServer].
 */
public suspend fun startServer(
    hosts: List<String>,
    port: Int,
    limit: Int = DEFAULT_LIMIT,
    backlog: Int = 100,
    reuseAddress: Boolean = true,
    reusePort: Boolean = false,
    keepAlive: Boolean? = null,
    family: ProtocolFamily? = null,
    startServing: Boolean = true,
    ssl: SSLContext? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    suppressRaggedEofs: Boolean = true,
    exceptionHandler: ((Throwable) -> Unit)? = null,
    loops: Int = 1,
    handler: suspend (reader: StreamReader, writer: StreamWriter) -> Unit,
): Server {
    checkLimit(limit)
    val tls = TlsConfig.of(ssl, null, sslParameters, sslHandshakeTimeout, sslShutdownTimeout, suppressRaggedEofs)
    val options =
        ServeOptions(tls, backlog, reuseAddress, reusePort, keepAlive, startServing, exceptionHandler, family, loops)
    return serve(Listener.tcp(hosts, port, options), options, streamHandler(limit, handler))
}

/**
 * Starts a server on the Unix domain socket [path]. **A socket file left there by a dead server is removed first**,
 * and the file is removed again on [Server.close] if it is still this server's (CPython 3.13), unless
 * `cleanupSocket = false`.
 *
 * With [ssl], every connection speaks TLS, as for [startServer].
 *
 * **Python:** `await asyncio.start_unix_server(client_connected_cb, path, limit=..., backlog=100,
 * start_serving=True, ssl=..., ssl_handshake_timeout=..., ssl_shutdown_timeout=..., cleanup_socket=True)`.
 *
 * @throws java.net.BindException when [path] is taken by a live server or by a file that is not a socket.
 * @throws IllegalArgumentException `Limit cannot be <= 0`.
 */
public suspend fun startUnixServer(
    path: String,
    limit: Int = DEFAULT_LIMIT,
    backlog: Int = 100,
    startServing: Boolean = true,
    ssl: SSLContext? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    suppressRaggedEofs: Boolean = true,
    cleanupSocket: Boolean = true,
    exceptionHandler: ((Throwable) -> Unit)? = null,
    handler: suspend (reader: StreamReader, writer: StreamWriter) -> Unit,
): Server {
    checkLimit(limit)
    val tls = TlsConfig.of(ssl, null, sslParameters, sslHandshakeTimeout, sslShutdownTimeout, suppressRaggedEofs)
    val options = ServeOptions(tls, backlog, startServing = startServing, exceptionHandler = exceptionHandler)
    return serveUnix(path, options, streamHandler(limit, handler), cleanupSocket)
}

@JvmSynthetic
internal fun checkLimit(limit: Int) = require(limit > 0) { "Limit cannot be <= 0" }

/** A running server on bound [listeners]: the one place a [Server] is made, for streams and protocols alike. */
@JvmSynthetic
internal fun serve(
    listeners: List<LoopChannel<ServerSocketChannel>>,
    options: ServeOptions,
    opener: ServerCore.ConnectionOpener,
    unixSocket: UnixSocketFile? = null,
): Server {
    val core = ServerCore(listeners, options, opener, unixSocket)
    if (options.startServing) core.startServing()
    return Server(core)
}

/** A server on the Unix socket [path]; with [cleanupSocket], its file is removed on close if it is still this server's. */
@JvmSynthetic
internal fun serveUnix(
    path: String,
    options: ServeOptions,
    opener: ServerCore.ConnectionOpener,
    cleanupSocket: Boolean,
): Server {
    val file = Paths.get(path)
    val listener = Listener.unix(file, options)
    return serve(listOf(listener), options, opener, if (cleanupSocket) UnixSocketFile(file) else null)
}

/** Reader, writer and transport over [wire]: the one place a [Connection] is made. The transport starts at once. */
@JvmSynthetic
internal fun connectionOf(
    wire: Wire,
    limit: Int,
    serverSide: Boolean = false,
): Connection {
    val reader = StreamReader(limit)
    val transport = StreamTransport(wire, ReaderSink(reader.core), serverSide)
    val writer = StreamWriter(transport, reader)
    transport.start()
    return Connection(reader, writer)
}

/** The streams API's connections: each runs [handler] with its reader and writer (CPython's `start_server`). */
@JvmSynthetic
internal fun streamHandler(
    limit: Int,
    handler: suspend (StreamReader, StreamWriter) -> Unit,
) = ServerCore.ConnectionOpener { wire, scope, report ->
    val connection = connectionOf(wire, limit, serverSide = true)
    val transport = connection.writer.core
    // Started as a dispatched start would, at a later task of the loop, but holding no dispatched wrapper for life.
    scope.launch(start = CoroutineStart.UNDISPATCHED) {
        transport.loop.later()
        try {
            handler(connection.reader, connection.writer)
            // A handler that returns is done with its connection: CPython closes it when the writer is collected.
            transport.close()
        } catch (e: CancellationException) {
            transport.close()
            throw e
        } catch (e: Throwable) {
            report(ReportedFailure("Unhandled exception in client_connected_cb", e))
            transport.close()
        }
    }
    transport
}
