@file:JvmName("Protocols")

package io.aiostreams.protocol

import io.aiostreams.Server
import io.aiostreams.internal.DatagramEngine
import io.aiostreams.internal.Endpoint
import io.aiostreams.internal.Loop
import io.aiostreams.internal.ProtocolSink
import io.aiostreams.internal.ServerEngine
import io.aiostreams.internal.TlsConfig
import io.aiostreams.internal.UnixSocketFile
import io.aiostreams.internal.connectTcp
import io.aiostreams.internal.endpointOf
import io.aiostreams.internal.serveTcp
import io.aiostreams.internal.serveUnix
import io.ktor.network.sockets.SocketOptions
import io.ktor.network.sockets.UnixSocketAddress
import io.ktor.network.sockets.aSocket
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.net.InetAddress
import java.net.InetSocketAddress
import java.nio.file.Paths
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLParameters
import kotlin.time.Duration
import io.ktor.network.sockets.InetSocketAddress as KtorAddress

/**
 * Opens a TCP connection to [host]:[port] served by the protocol [protocolFactory] makes: CPython's
 * `loop.create_connection(protocol_factory, host, port)`. Address handling, TLS and errors are those of
 * [io.aiostreams.openConnection]; the protocol's [Protocol.connectionMade] has run when this returns.
 *
 * **Python:** `await loop.create_connection(protocol_factory, host, port, ssl=..., server_hostname=...,
 * ssl_handshake_timeout=..., ssl_shutdown_timeout=..., local_addr=..., happy_eyeballs_delay=...)`.
 *
 * @throws java.io.IOException as [io.aiostreams.openConnection] does; nothing stays open then.
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
    localAddress: InetSocketAddress? = null,
    happyEyeballsDelay: Duration? = null,
): ProtocolConnection<P> {
    require(port in 0..65535) { "port must be 0-65535: $port" }
    val tls = TlsConfig.of(ssl, serverHostname, sslParameters, sslHandshakeTimeout, sslShutdownTimeout)
    val raw = connectTcp(host, port, localAddress, happyEyeballsDelay, null, keepAlive = null)
    val endpoint =
        try {
            tls?.client(raw, host, port) ?: raw
        } catch (e: Throwable) {
            raw.close(abort = true)
            throw e
        }
    return served(endpoint, protocolFactory)
}

/**
 * Opens a connection to the Unix domain socket at [path], served by the protocol [protocolFactory] makes.
 *
 * **Python:** `await loop.create_unix_connection(protocol_factory, path)`.
 */
public suspend fun <P : Protocol> createUnixConnection(
    protocolFactory: () -> P,
    path: String,
): ProtocolConnection<P> {
    val endpoint = endpointOf(aSocket(Loop.selector).tcp().connect(UnixSocketAddress(path)), direct = true)
    return served(endpoint, protocolFactory)
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
    startServing: Boolean = true,
    ssl: SSLContext? = null,
    sslParameters: SSLParameters? = null,
    sslHandshakeTimeout: Duration? = null,
    sslShutdownTimeout: Duration? = null,
    exceptionHandler: ((Throwable) -> Unit)? = null,
): Server {
    val tls = TlsConfig.of(ssl, null, sslParameters, sslHandshakeTimeout, sslShutdownTimeout)
    val opener = opener(protocolFactory)
    return serveTcp(
        host,
        port,
        backlog,
        reuseAddress,
        reusePort,
        keepAlive,
        startServing,
        tls,
        exceptionHandler,
        opener,
    )
}

/**
 * Starts a server on the Unix domain socket [path] (a stale socket file is removed first, and the file again on
 * close), each connection served by a new protocol from [protocolFactory].
 *
 * **Python:** `await loop.create_unix_server(protocol_factory, path)`.
 */
public suspend fun createUnixServer(
    protocolFactory: () -> Protocol,
    path: String,
    backlog: Int = 100,
    startServing: Boolean = true,
    exceptionHandler: ((Throwable) -> Unit)? = null,
): Server = serveUnix(path, backlog, startServing, null, exceptionHandler, opener(protocolFactory))

/** Runs a new protocol on a client [endpoint]; a factory that throws leaves nothing open. */
private suspend fun <P : Protocol> served(
    endpoint: Endpoint,
    protocolFactory: () -> P,
): ProtocolConnection<P> {
    val protocol =
        try {
            protocolFactory()
        } catch (e: Throwable) {
            endpoint.close(abort = true)
            throw e
        }
    return ProtocolConnection(ProtocolSink.connect(endpoint, protocol, serverSide = false), protocol)
}

private fun opener(protocolFactory: () -> Protocol) =
    ServerEngine.ConnectionOpener { endpoint, scope, report ->
        val protocol =
            try {
                protocolFactory()
            } catch (e: Throwable) {
                report(ServerEngine.HandlerFailure("protocol_factory() failed", e))
                scope.launch { endpoint.close(abort = true) }
                null
            }
        protocol?.let { ProtocolSink.connect(endpoint, it, serverSide = true, report).streamTransport }
    }

/**
 * Opens a UDP endpoint served by the protocol [protocolFactory] makes: bound to [localAddress] (any free port on
 * every interface when `null`), and connected to [remoteAddress] when given (then only its datagrams arrive, and
 * `sendTo(data)` needs no address).
 *
 * **Python:** `await loop.create_datagram_endpoint(protocol_factory, local_addr=..., remote_addr=...,
 * reuse_port=..., allow_broadcast=...)`; `reuseAddress` is kept for symmetry (CPython removed `reuse_address` for
 * UDP in 3.11 because of its security problems, and so it is false by default here).
 *
 * @throws java.net.BindException when [localAddress] is taken.
 */
public suspend fun <P : DatagramProtocol> createDatagramEndpoint(
    protocolFactory: () -> P,
    localAddress: InetSocketAddress? = null,
    remoteAddress: InetSocketAddress? = null,
    reuseAddress: Boolean = false,
    reusePort: Boolean = false,
    allowBroadcast: Boolean = false,
): DatagramEndpoint<P> {
    val local = localAddress?.let { KtorAddress(it.hostString, it.port) }
    val configure: SocketOptions.UDPSocketOptions.() -> Unit = {
        this.reuseAddress = reuseAddress
        this.reusePort = reusePort
        broadcast = allowBroadcast
    }
    val udp = aSocket(Loop.selector).udp()
    val protocol = protocolFactory()
    val engine =
        if (remoteAddress != null) {
            val resolved = withContext(Dispatchers.IO) { InetAddress.getByName(remoteAddress.hostString) }
            val remote = InetSocketAddress(resolved, remoteAddress.port)
            DatagramEngine(
                udp.connect(KtorAddress(resolved.hostAddress, remote.port), local, configure),
                protocol,
                remote,
            )
        } else {
            DatagramEngine(udp.bind(local, configure), protocol, null)
        }
    engine.start()
    return DatagramEndpoint(engine, protocol)
}
