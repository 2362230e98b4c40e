package io.aiostreams.future

import io.aiostreams.protocol.DatagramEndpoint
import io.aiostreams.protocol.DatagramProtocol
import io.aiostreams.protocol.Protocol
import io.aiostreams.protocol.ProtocolConnection
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.future.future
import java.net.InetSocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.util.concurrent.CompletableFuture
import java.util.function.Supplier

/**
 * The callback layer's entry points for Java: [io.aiostreams.protocol.Protocol] and
 * [io.aiostreams.protocol.DatagramProtocol] are plain interfaces with default methods, so Java classes implement
 * them directly; these methods open connections, servers and UDP endpoints for them and return futures.
 *
 * Protocol callbacks run on the event loop's thread, one at a time across every connection, never on the caller's,
 * and must not block (see [io.aiostreams.protocol.Protocol]). [StreamOptions] gives TLS, address and server options, and the `executor` the returned futures complete on;
 * its `limit` does not apply here.
 *
 * **Python:** `loop.create_connection`, `create_server`, `create_unix_connection`, `create_unix_server`,
 * `create_datagram_endpoint`.
 */
public object FutureProtocols {
    /** `loop.create_connection(protocol_factory, host, port)`. */
    @JvmStatic
    @JvmOverloads
    public fun <P : Protocol> createConnection(
        protocolFactory: Supplier<P>,
        host: String,
        port: Int,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<ProtocolConnection<P>> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            io.aiostreams.protocol.createConnection(
                { protocolFactory.get() },
                host,
                port,
                options.ssl,
                options.serverHostname,
                options.sslParameters,
                options.sslHandshakeTimeout,
                options.sslShutdownTimeout,
                options.suppressRaggedEofs,
                options.localAddress,
                options.happyEyeballsDelay,
                options.interleave,
                options.family,
                options.allErrors,
            )
        }

    /** `loop.create_server(protocol_factory, host, port)`. */
    @JvmStatic
    @JvmOverloads
    public fun createServer(
        protocolFactory: Supplier<out Protocol>,
        host: String?,
        port: Int,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureServer> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            val server =
                io.aiostreams.protocol.createServer(
                    { protocolFactory.get() },
                    host,
                    port,
                    options.backlog,
                    options.reuseAddress,
                    options.reusePort,
                    options.keepAlive,
                    options.family,
                    startServing = options.startServing,
                    ssl = options.ssl,
                    sslParameters = options.sslParameters,
                    sslHandshakeTimeout = options.sslHandshakeTimeout,
                    sslShutdownTimeout = options.sslShutdownTimeout,
                    suppressRaggedEofs = options.suppressRaggedEofs,
                    exceptionHandler = options.kotlinExceptionHandler(),
                )
            FutureServer(server, options.executor)
        }

    /** `loop.create_unix_connection(protocol_factory, path)`; TLS as for [createConnection]. */
    @JvmStatic
    @JvmOverloads
    public fun <P : Protocol> createUnixConnection(
        protocolFactory: Supplier<P>,
        path: String,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<ProtocolConnection<P>> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            io.aiostreams.protocol.createUnixConnection(
                { protocolFactory.get() },
                path,
                options.ssl,
                options.serverHostname,
                options.sslParameters,
                options.sslHandshakeTimeout,
                options.sslShutdownTimeout,
                options.suppressRaggedEofs,
            )
        }

    /** `loop.create_unix_server(protocol_factory, path)`; TLS and server options as for [createServer]. */
    @JvmStatic
    @JvmOverloads
    public fun createUnixServer(
        protocolFactory: Supplier<out Protocol>,
        path: String,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureServer> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            val server =
                io.aiostreams.protocol.createUnixServer(
                    { protocolFactory.get() },
                    path,
                    options.backlog,
                    startServing = options.startServing,
                    ssl = options.ssl,
                    sslParameters = options.sslParameters,
                    sslHandshakeTimeout = options.sslHandshakeTimeout,
                    sslShutdownTimeout = options.sslShutdownTimeout,
                    suppressRaggedEofs = options.suppressRaggedEofs,
                    cleanupSocket = options.cleanupSocket,
                    exceptionHandler = options.kotlinExceptionHandler(),
                )
            FutureServer(server, options.executor)
        }

    /** `loop.create_connection(protocol_factory, sock=sock)`: TLS as a client, with `serverHostname` required. */
    @JvmStatic
    @JvmOverloads
    public fun <P : Protocol> createConnection(
        protocolFactory: Supplier<P>,
        sock: SocketChannel,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<ProtocolConnection<P>> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            io.aiostreams.protocol.createConnection(
                { protocolFactory.get() },
                sock,
                options.ssl,
                options.serverHostname,
                options.sslParameters,
                options.sslHandshakeTimeout,
                options.sslShutdownTimeout,
                options.suppressRaggedEofs,
            )
        }

    /** `loop.connect_accepted_socket(protocol_factory, sock)`: TLS as the server. */
    @JvmStatic
    @JvmOverloads
    public fun <P : Protocol> connectAcceptedSocket(
        protocolFactory: Supplier<P>,
        sock: SocketChannel,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<ProtocolConnection<P>> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            io.aiostreams.protocol.connectAcceptedSocket(
                { protocolFactory.get() },
                sock,
                options.ssl,
                options.sslParameters,
                options.sslHandshakeTimeout,
                options.sslShutdownTimeout,
                options.suppressRaggedEofs,
            )
        }

    /** `loop.create_server(protocol_factory, sock=sock)`. */
    @JvmStatic
    @JvmOverloads
    public fun createServer(
        protocolFactory: Supplier<out Protocol>,
        sock: ServerSocketChannel,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureServer> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            val server =
                io.aiostreams.protocol.createServer(
                    { protocolFactory.get() },
                    sock,
                    options.keepAlive,
                    startServing = options.startServing,
                    ssl = options.ssl,
                    sslParameters = options.sslParameters,
                    sslHandshakeTimeout = options.sslHandshakeTimeout,
                    sslShutdownTimeout = options.sslShutdownTimeout,
                    suppressRaggedEofs = options.suppressRaggedEofs,
                    exceptionHandler = options.kotlinExceptionHandler(),
                )
            FutureServer(server, options.executor)
        }

    /** `loop.create_datagram_endpoint(protocol_factory, local_addr, remote_addr)`; either address may be `null`. */
    @JvmStatic
    @JvmOverloads
    public fun <P : DatagramProtocol> createDatagramEndpoint(
        protocolFactory: Supplier<P>,
        localAddress: InetSocketAddress?,
        remoteAddress: InetSocketAddress? = null,
        reusePort: Boolean = false,
        allowBroadcast: Boolean = false,
    ): CompletableFuture<DatagramEndpoint<P>> =
        futureScope(null).future(start = CoroutineStart.UNDISPATCHED) {
            io.aiostreams.protocol.createDatagramEndpoint({
                protocolFactory.get()
            }, localAddress, remoteAddress, false, reusePort, allowBroadcast)
        }
}
