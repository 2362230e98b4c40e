package io.aiostreams.future

import io.aiostreams.Server
import io.aiostreams.internal.ConnectOptions
import io.aiostreams.internal.Connector
import io.aiostreams.internal.Listener
import io.aiostreams.internal.ServeOptions
import io.aiostreams.internal.ServerCore
import io.aiostreams.internal.Wire
import io.aiostreams.protocol.DatagramEndpoint
import io.aiostreams.protocol.DatagramProtocol
import io.aiostreams.protocol.Protocol
import io.aiostreams.protocol.ProtocolConnection
import io.aiostreams.protocol.opener
import io.aiostreams.protocol.served
import io.aiostreams.serve
import io.aiostreams.serveUnix
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.future.future
import java.net.InetSocketAddress
import java.nio.channels.DatagramChannel
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
        connect(protocolFactory, options) { Connector.tcp(host, port, options.connectOptions()) }

    /** `loop.create_unix_connection(protocol_factory, path)`; TLS as for [createConnection]. */
    @JvmStatic
    @JvmOverloads
    public fun <P : Protocol> createUnixConnection(
        protocolFactory: Supplier<P>,
        path: String,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<ProtocolConnection<P>> =
        connect(protocolFactory, options) { Connector.unix(path, ConnectOptions(options.tls(client = true))) }

    /** `loop.create_connection(protocol_factory, sock=sock)`: TLS as a client, with `serverHostname` required. */
    @JvmStatic
    @JvmOverloads
    public fun <P : Protocol> createConnection(
        protocolFactory: Supplier<P>,
        sock: SocketChannel,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<ProtocolConnection<P>> =
        connect(protocolFactory, options) { Connector.adopt(sock, ConnectOptions(options.tls(client = true))) }

    /** `loop.connect_accepted_socket(protocol_factory, sock)`: TLS as the server. */
    @JvmStatic
    @JvmOverloads
    public fun <P : Protocol> connectAcceptedSocket(
        protocolFactory: Supplier<P>,
        sock: SocketChannel,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<ProtocolConnection<P>> =
        connect(protocolFactory, options, serverSide = true) {
            Connector.adoptAccepted(sock, options.tls(client = false))
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
        listen(protocolFactory, options) { serveOptions, opener ->
            serve(Listener.tcp(host, port, serveOptions), serveOptions, opener)
        }

    /** `loop.create_server(protocol_factory, [host1, host2], port)`: every address of every host. */
    @JvmStatic
    @JvmOverloads
    public fun createServer(
        protocolFactory: Supplier<out Protocol>,
        hosts: List<String>,
        port: Int,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureServer> =
        listen(protocolFactory, options) { serveOptions, opener ->
            serve(Listener.tcp(hosts, port, serveOptions), serveOptions, opener)
        }

    /** `loop.create_unix_server(protocol_factory, path)`; TLS and server options as for [createServer]. */
    @JvmStatic
    @JvmOverloads
    public fun createUnixServer(
        protocolFactory: Supplier<out Protocol>,
        path: String,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureServer> =
        listen(protocolFactory, options) { serveOptions, opener ->
            serveUnix(path, serveOptions, opener, options.cleanupSocket)
        }

    /** `loop.create_server(protocol_factory, sock=sock)`. */
    @JvmStatic
    @JvmOverloads
    public fun createServer(
        protocolFactory: Supplier<out Protocol>,
        sock: ServerSocketChannel,
        options: StreamOptions = StreamOptions(),
    ): CompletableFuture<FutureServer> =
        listen(protocolFactory, options) { serveOptions, opener ->
            serve(listOf(Listener.adopt(sock)), serveOptions, opener)
        }

    /** Every client call: options checked first, then the connector's wire served by a new protocol. */
    private fun <P : Protocol> connect(
        protocolFactory: Supplier<P>,
        options: StreamOptions,
        serverSide: Boolean = false,
        open: suspend () -> Wire,
    ): CompletableFuture<ProtocolConnection<P>> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            served(open(), { protocolFactory.get() }, serverSide)
        }

    /** Every server call: options checked first, then the listener serving a new protocol per connection. */
    private fun listen(
        protocolFactory: Supplier<out Protocol>,
        options: StreamOptions,
        bind: suspend (ServeOptions, ServerCore.ConnectionOpener) -> Server,
    ): CompletableFuture<FutureServer> =
        futureScope(options.executor).future(start = CoroutineStart.UNDISPATCHED) {
            FutureServer(bind(options.serveOptions(), opener { protocolFactory.get() }), options.executor)
        }

    /** `loop.create_datagram_endpoint(protocol_factory, sock=sock)`: a bound `DatagramChannel` you already have. */
    @JvmStatic
    public fun <P : DatagramProtocol> createDatagramEndpoint(
        protocolFactory: Supplier<P>,
        sock: DatagramChannel,
    ): CompletableFuture<DatagramEndpoint<P>> =
        futureScope(null).future(start = CoroutineStart.UNDISPATCHED) {
            io.aiostreams.protocol.createDatagramEndpoint({ protocolFactory.get() }, sock = sock)
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
