@file:JvmName("Protocols")

package io.aiostreams.protocol

import io.aiostreams.Server
import io.aiostreams.internal.ConnectOptions
import io.aiostreams.internal.Connector
import io.aiostreams.internal.DatagramEngine
import io.aiostreams.internal.Listener
import io.aiostreams.internal.Loop
import io.aiostreams.internal.ProtocolSink
import io.aiostreams.internal.ReportedFailure
import io.aiostreams.internal.ServeOptions
import io.aiostreams.internal.ServerCore
import io.aiostreams.internal.TlsConfig
import io.aiostreams.internal.TransportView
import io.aiostreams.internal.Wire
import io.aiostreams.internal.closingOnFailure
import io.aiostreams.serve
import io.aiostreams.serveUnix
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.net.InetSocketAddress
import java.net.ProtocolFamily
import java.nio.channels.DatagramChannel
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLParameters
import kotlin.time.Duration

/**
 * Opens a TCP connection to [host]:[port] served by the protocol [protocolFactory] makes: CPython's
 * `loop.create_connection(protocol_factory, host, port)`. Address handling, TLS and errors are those of
 * [io.aiostreams.openConnection]; the protocol's [Protocol.connectionMade] has run when this returns.
 *
 * **Python:** `await loop.create_connection(protocol_factory, host, port, ssl=..., server_hostname=...,
 * ssl_handshake_timeout=..., ssl_shutdown_timeout=..., local_addr=..., happy_eyeballs_delay=..., interleave=...,
 * family=..., all_errors=...)`.
 *
 * @throws java.io.IOException as [io.aiostreams.openConnection] does; nothing stays open then, nor when
 *   [protocolFactory] throws.
 */
public suspend fun <P : Protocol> createConnection(
    protocolFactory: () -> P,
    host: String,
    port: Int,
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
): ProtocolConnection<P> {
    val tls = TlsConfig.of(
        ssl,
        serverHostname,
        sslParameters,
        sslHandshakeTimeout,
        sslShutdownTimeout,
        suppressRaggedEofs,
    )
    val options = ConnectOptions(tls, localAddress, happyEyeballsDelay, interleave, family, allErrors)
    return served(Connector.tcp(host, port, options), protocolFactory)
}

/**
 * Opens a connection to the Unix domain socket at [path], served by the protocol [protocolFactory] makes. TLS works
 * as for [createConnection]; there is no host, so [serverHostname] is required with [ssl].
 *
 * **Python:** `await loop.create_unix_connection(protocol_factory, path, ssl=..., server_hostname=...,
 * ssl_handshake_timeout=..., ssl_shutdown_timeout=...)`.
 *
 * @throws java.io.IOException when nothing listens at [path]; nothing stays open then.
 * @throws IllegalArgumentException `you have to pass server_hostname when using ssl`, or CPython's TLS
 *   argument errors.
 */
public suspend fun <P : Protocol> createUnixConnection(
    protocolFactory: () -> P,
    path: String,
    ssl: SSLContext? = null,
    serverHostname: String? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    suppressRaggedEofs: Boolean = true,
): ProtocolConnection<P> {
    val tls = TlsConfig.of(
        ssl,
        serverHostname,
        sslParameters,
        sslHandshakeTimeout,
        sslShutdownTimeout,
        suppressRaggedEofs,
    )
    return served(Connector.unix(path, ConnectOptions(tls)), protocolFactory)
}

/**
 * Starts a TCP server whose every connection is served by a new protocol from [protocolFactory]: CPython's
 * `loop.create_server(protocol_factory, host, port)`. Binding, TLS, and the [Server] returned behave as for
 * [io.aiostreams.startServer]; a protocol callback that throws is reported and its connection aborted (see
 * [Protocol]).
 *
 * **Python:** `await loop.create_server(protocol_factory, host, port, backlog=100, reuse_address=True,
 * reuse_port=False, keep_alive=None, start_serving=True, ssl=..., ssl_handshake_timeout=...)`.
 *
 * @throws java.net.BindException when an address is taken.
 */
public suspend fun createServer(
    protocolFactory: () -> Protocol,
    host: String?,
    port: Int,
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
): Server {
    val tls = TlsConfig.of(ssl, null, sslParameters, sslHandshakeTimeout, sslShutdownTimeout, suppressRaggedEofs)
    val options = ServeOptions(tls, backlog, reuseAddress, reusePort, keepAlive, startServing, exceptionHandler, family)
    return serve(Listener.tcp(host, port, options), options, opener(protocolFactory))
}

/**
 * Starts a TCP server on every address of every one of [hosts] (CPython's `host` given as a sequence); everything
 * else is as for the one-host [createServer].
 *
 * **Python:** `await loop.create_server(protocol_factory, [host1, host2], port, ...)`.
 *
 * @throws IllegalArgumentException `no host to bind` for an empty list.
 */
public suspend fun createServer(
    protocolFactory: () -> Protocol,
    hosts: List<String>,
    port: Int,
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
): Server {
    val tls = TlsConfig.of(ssl, null, sslParameters, sslHandshakeTimeout, sslShutdownTimeout, suppressRaggedEofs)
    val options = ServeOptions(tls, backlog, reuseAddress, reusePort, keepAlive, startServing, exceptionHandler, family)
    return serve(Listener.tcp(hosts, port, options), options, opener(protocolFactory))
}

/**
 * Starts a server on the Unix domain socket [path] (a stale socket file is removed first, and the file again on
 * close), each connection served by a new protocol from [protocolFactory]; with [ssl], every connection speaks TLS.
 *
 * **Python:** `await loop.create_unix_server(protocol_factory, path, backlog=100, start_serving=True, ssl=...,
 * ssl_handshake_timeout=..., ssl_shutdown_timeout=..., cleanup_socket=True)`; with `cleanupSocket = false` the socket
 * file stays after close.
 *
 * @throws java.net.BindException when [path] is taken by a live server or by a file that is not a socket.
 */
public suspend fun createUnixServer(
    protocolFactory: () -> Protocol,
    path: String,
    backlog: Int = 100,
    startServing: Boolean = true,
    ssl: SSLContext? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    suppressRaggedEofs: Boolean = true,
    cleanupSocket: Boolean = true,
    exceptionHandler: ((Throwable) -> Unit)? = null,
): Server {
    val tls = TlsConfig.of(ssl, null, sslParameters, sslHandshakeTimeout, sslShutdownTimeout, suppressRaggedEofs)
    val options = ServeOptions(tls, backlog, startServing = startServing, exceptionHandler = exceptionHandler)
    return serveUnix(path, options, opener(protocolFactory), cleanupSocket)
}

/**
 * Serves a connected channel you already have (TCP or Unix) with the protocol [protocolFactory] makes; with [ssl],
 * TLS runs as a client and [serverHostname] is required.
 *
 * **Python:** `await loop.create_connection(protocol_factory, sock=sock, ssl=..., server_hostname=...)`.
 *
 * @throws IllegalArgumentException `sock is not connected: ...`, `You must set server_hostname when using ssl without
 *   a host`, or CPython's TLS argument errors.
 */
public suspend fun <P : Protocol> createConnection(
    protocolFactory: () -> P,
    sock: SocketChannel,
    ssl: SSLContext? = null,
    serverHostname: String? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    suppressRaggedEofs: Boolean = true,
): ProtocolConnection<P> {
    val tls = TlsConfig.of(
        ssl,
        serverHostname,
        sslParameters,
        sslHandshakeTimeout,
        sslShutdownTimeout,
        suppressRaggedEofs,
    )
    return served(Connector.adopt(sock, ConnectOptions(tls)), protocolFactory)
}

/**
 * Serves a connection accepted elsewhere (a server of your own, a socket handed over by another process) with the
 * protocol [protocolFactory] makes; with [ssl], TLS runs **as the server**.
 *
 * **Python:** `await loop.connect_accepted_socket(protocol_factory, sock, ssl=..., ssl_handshake_timeout=...,
 * ssl_shutdown_timeout=...)`.
 *
 * @throws IllegalArgumentException `sock is not connected: ...`, or CPython's TLS argument errors.
 */
public suspend fun <P : Protocol> connectAcceptedSocket(
    protocolFactory: () -> P,
    sock: SocketChannel,
    ssl: SSLContext? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    suppressRaggedEofs: Boolean = true,
): ProtocolConnection<P> {
    val tls = TlsConfig.of(ssl, null, sslParameters, sslHandshakeTimeout, sslShutdownTimeout, suppressRaggedEofs)
    return served(Connector.adoptAccepted(sock, tls), protocolFactory, serverSide = true)
}

/**
 * Serves a listening channel you already have (bound, TCP or Unix) with a new protocol per connection, as
 * [createServer] does.
 *
 * **Python:** `await loop.create_server(protocol_factory, sock=sock, ...)` (and `create_unix_server(sock=...)`).
 *
 * @throws IllegalArgumentException `sock is not bound: ...`.
 */
public suspend fun createServer(
    protocolFactory: () -> Protocol,
    sock: ServerSocketChannel,
    keepAlive: Boolean? = null,
    startServing: Boolean = true,
    ssl: SSLContext? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    suppressRaggedEofs: Boolean = true,
    exceptionHandler: ((Throwable) -> Unit)? = null,
): Server {
    val tls = TlsConfig.of(ssl, null, sslParameters, sslHandshakeTimeout, sslShutdownTimeout, suppressRaggedEofs)
    val options =
        ServeOptions(tls, keepAlive = keepAlive, startServing = startServing, exceptionHandler = exceptionHandler)
    return serve(listOf(Listener.adopt(sock)), options, opener(protocolFactory))
}

/**
 * The protocol this transport delivers to; `null` on a stream connection (`StreamWriter.transport`), whose reader
 * takes the data.
 *
 * **Python:** `transport.get_protocol()`.
 *
 * @throws IllegalArgumentException for a transport this library did not make.
 */
public fun Transport.getProtocol(): Protocol? = view(this).getProtocol()

/**
 * Makes [protocol] receive every callback of this transport from now on; [Protocol.connectionMade] is not called on
 * it.
 *
 * **Python:** `transport.set_protocol(protocol)`.
 *
 * @throws UnsupportedOperationException on a stream connection, whose reader is its protocol.
 * @throws IllegalArgumentException for a transport this library did not make.
 */
public fun Transport.setProtocol(protocol: Protocol): Unit = view(this).setProtocol(protocol)

private fun view(transport: Transport): TransportView =
    transport as? TransportView ?: throw IllegalArgumentException("not a transport of aiostreams: $transport")

/**
 * Upgrades an open plain connection to TLS (STARTTLS) for the callback layer, once what was written is sent: runs the
 * handshake as the server when [serverSide], else as a client of [serverHostname] (without one, the chain is
 * verified but no host name), then makes [protocol] the connection's protocol. Bytes the connection read but did not
 * deliver yet are handed to TLS, and reading goes on under TLS even if it was paused. **Returns the transport to use
 * from now on**; a failed or timed-out handshake aborts the connection and throws.
 *
 * A server that answers a STARTTLS request and then calls this from a coroutine should call
 * [Transport.pauseReading] before answering: the peer's first TLS bytes then wait for the handshake instead of
 * reaching the old protocol's [Protocol.dataReceived] (the same race exists in CPython).
 *
 * **Python:** `await loop.start_tls(transport, protocol, sslcontext, server_side=False, server_hostname=None,
 * ssl_handshake_timeout=None, ssl_shutdown_timeout=None)`.
 *
 * @throws IllegalArgumentException for a transport this library did not make, or CPython's TLS argument errors.
 * @throws IllegalStateException when the connection is closing.
 */
public suspend fun startTls(
    transport: Transport,
    protocol: Protocol,
    sslContext: SSLContext,
    serverSide: Boolean = false,
    serverHostname: String? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    suppressRaggedEofs: Boolean = true,
): Transport {
    val view =
        transport as? TransportView ?: throw IllegalArgumentException("not a transport of aiostreams: $transport")
    val config =
        TlsConfig.of(
            sslContext,
            serverHostname,
            sslParameters,
            sslHandshakeTimeout,
            sslShutdownTimeout,
            suppressRaggedEofs,
        )!!
    view.core.upgrade(handOverBuffered = true) { raw, early ->
        // The new protocol is in place before the first decrypted byte is delivered.
        config.secure(raw, serverSide, serverHostname, 0, early).also { view.setProtocol(protocol) }
    }
    return view
}

/** Runs a new protocol on a client [wire]; a factory that throws leaves nothing open. */
@JvmSynthetic
internal suspend fun <P : Protocol> served(
    wire: Wire,
    protocolFactory: () -> P,
    serverSide: Boolean = false,
): ProtocolConnection<P> {
    val protocol = wire.closingOnFailure { protocolFactory() }
    // connection_made runs on the loop, as every other callback does.
    val sink = withContext(Loop.dispatcher) { ProtocolSink.connect(wire, protocol, serverSide) }
    return ProtocolConnection(sink.view, protocol)
}

@JvmSynthetic
internal fun opener(protocolFactory: () -> Protocol) =
    ServerCore.ConnectionOpener { wire, scope, report ->
        val protocol =
            try {
                protocolFactory()
            } catch (e: Throwable) {
                report(ReportedFailure("protocol_factory() failed", e))
                scope.launch { wire.abort() }
                null
            }
        protocol?.let { ProtocolSink.connect(wire, it, serverSide = true, report).streamTransport }
    }

/**
 * Opens a UDP endpoint served by the protocol [protocolFactory] makes: bound to [localAddress] (a free port chosen
 * by the system when only [remoteAddress] is given), and connected to [remoteAddress] when given (then only its
 * datagrams arrive, and `sendTo(data)` needs no address). **At least one of the two is required.** Zero-length
 * datagrams are sent and received, as in CPython 3.13+.
 *
 * **Python:** `await loop.create_datagram_endpoint(protocol_factory, local_addr=..., remote_addr=...,
 * reuse_port=..., allow_broadcast=..., sock=...)`; `reuseAddress` is kept for symmetry (CPython removed `reuse_address` for
 * UDP in 3.11 because of its security problems, and so it is false by default here).
 *
 * With [sock], a `DatagramChannel` you already have (bound, and connected or not) is served instead; the addresses
 * and options are then not used.
 *
 * @throws java.net.BindException when [localAddress] is taken.
 * @throws IllegalArgumentException `unexpected address family` when neither address nor [sock] is given, as CPython;
 *   `sock is not bound: ...`.
 */
public suspend fun <P : DatagramProtocol> createDatagramEndpoint(
    protocolFactory: () -> P,
    localAddress: InetSocketAddress? = null,
    remoteAddress: InetSocketAddress? = null,
    reuseAddress: Boolean = false,
    reusePort: Boolean = false,
    allowBroadcast: Boolean = false,
    sock: DatagramChannel? = null,
): DatagramEndpoint<P> {
    val socket = DatagramEngine.open(localAddress, remoteAddress, reuseAddress, reusePort, allowBroadcast, sock)
    val protocol =
        try {
            protocolFactory()
        } catch (e: Throwable) {
            socket.close()
            throw e
        }
    val engine = DatagramEngine(socket, protocol)
    withContext(Loop.dispatcher) { engine.start() }
    return DatagramEndpoint(engine, protocol)
}
