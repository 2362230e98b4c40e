package io.aiostreams.internal

import io.ktor.network.selector.SelectInterest
import java.net.Inet6Address
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ProtocolFamily
import java.net.SocketAddress
import java.net.StandardProtocolFamily
import java.net.UnixDomainSocketAddress
import java.net.UnknownHostException
import java.nio.channels.SocketChannel

/**
 * The one way this library opens a client connection: resolve, connect non-blocking on the loop (from a chosen local
 * address too), then TLS when asked. **Whatever fails or is cancelled on the way leaves no socket open.**
 */
internal object Connector {
    /** A TCP connection to [host]:[port]: every address [host] resolves to, as [tryAddresses] tries them. */
    suspend fun tcp(
        host: String,
        port: Int,
        options: ConnectOptions,
    ): Wire {
        require(port in 0..65535) { "connect(): port must be 0-65535." }
        val resolved = HostNames.resolve(host).toList()
        return tcp(resolved, port, options, host)
    }

    /** A TCP connection to one of [resolved] at [port]; [host] is the name TLS verifies. */
    suspend fun tcp(
        resolved: List<InetAddress>,
        port: Int,
        options: ConnectOptions,
        host: String? = null,
    ): Wire {
        val local = options.localAddress
        val ofFamily = options.family?.let { wanted -> resolved.filter { familyOf(it) == wanted } } ?: resolved
        if (ofFamily.isEmpty()) {
            throw UnknownHostException(
                "${host ?: resolved}: no address of family ${options.family}",
            )
        }
        // Only addresses of the local address's family can be reached from it (CPython filters the same way).
        val candidates =
            local?.address?.let { bound -> ofFamily.filter { it.javaClass == bound.javaClass } }?.ifEmpty { null }
                ?: ofFamily
        val raw =
            tryAddresses(candidates, options.happyEyeballsDelay, options.interleave, options.allErrors) { address ->
                connect(InetSocketAddress(address, port), familyOf(address), local)
            }
        return raw.closingOnFailure { options.tls?.secure(it, serverSide = false, host, port) ?: it }
    }

    /**
     * A connected channel a user hands in (CPython's `sock=`): registered with the loop, then TLS when asked, with
     * `serverHostname` naming the peer. **On failure the channel is closed.**
     */
    suspend fun adopt(
        sock: SocketChannel,
        options: ConnectOptions,
    ): Wire {
        require(options.tls == null || options.tls.serverHostname != null) {
            "You must set server_hostname when using ssl without a host"
        }
        require(sock.isConnected) { "sock is not connected: $sock" }
        val raw = SocketWire.of(sock)
        return raw.closingOnFailure { options.tls?.secure(it, serverSide = false) ?: it }
    }

    /** A channel accepted elsewhere (CPython's `connect_accepted_socket`): TLS as the server when asked. */
    suspend fun adoptAccepted(
        sock: SocketChannel,
        tls: TlsConfig?,
    ): Wire {
        require(sock.isConnected) { "sock is not connected: $sock" }
        val raw = SocketWire.of(sock)
        return raw.closingOnFailure { tls?.secure(it, serverSide = true) ?: it }
    }

    fun familyOf(address: InetAddress): ProtocolFamily =
        if (address is Inet6Address) StandardProtocolFamily.INET6 else StandardProtocolFamily.INET

    /** A connection to the Unix socket at [path]. With TLS there is no host: `serverHostname` names the peer. */
    suspend fun unix(
        path: String,
        options: ConnectOptions,
    ): Wire {
        require(options.tls == null || options.tls.serverHostname != null) {
            "you have to pass server_hostname when using ssl"
        }
        val raw = connect(UnixDomainSocketAddress.of(path), StandardProtocolFamily.UNIX, null)
        return raw.closingOnFailure { options.tls?.secure(it, serverSide = false) ?: it }
    }

    /** Binds [local] if given and connects to [remote] without blocking a thread: the loop says when it is done. */
    private suspend fun connect(
        remote: SocketAddress,
        family: ProtocolFamily,
        local: SocketAddress?,
    ): Wire {
        val socket = LoopChannel.of(SocketChannel.open(family))
        try {
            val channel = socket.channel
            SocketWire.configure(channel, keepAlive = null)
            if (local != null) channel.bind(local)
            if (!channel.connect(remote)) {
                do socket.await(SelectInterest.CONNECT) while (!channel.finishConnect())
            }
        } catch (e: Throwable) {
            socket.close()
            throw e
        }
        return SocketWire(socket)
    }
}
