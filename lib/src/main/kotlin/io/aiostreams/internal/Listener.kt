package io.aiostreams.internal

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import java.io.IOException
import java.net.BindException
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ProtocolFamily
import java.net.StandardProtocolFamily
import java.net.StandardSocketOptions
import java.net.UnixDomainSocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.nio.file.Path
import kotlin.time.Duration.Companion.seconds

/**
 * The one way this library listens: binds TCP sockets (one per address of a host) or a Unix socket, and accepts on
 * the loop. **While `accept()` fails for lack of descriptors or memory, accepting pauses for a second at a time**
 * (CPython's `ACCEPT_RETRY_DELAY`), with one log line per pause, instead of spinning.
 */
internal object Listener {
    private val log = Loggers.accept

    /** How long accepting pauses when the process is out of descriptors or memory, or `accept()` fails oddly. */
    val ACCEPT_RETRY_DELAY = 1.seconds

    /** Binds [host]:[port]: every interface for `null` / `""` (one dual-stack socket), else each address of [host]. */
    suspend fun tcp(
        host: String?,
        port: Int,
        options: ServeOptions,
    ): List<LoopChannel<ServerSocketChannel>> = tcp(listOf(host), port, options)

    /** Binds every address of every one of [hosts] (CPython's `host` given as a sequence); no duplicates. */
    suspend fun tcp(
        hosts: List<String?>,
        port: Int,
        options: ServeOptions,
    ): List<LoopChannel<ServerSocketChannel>> {
        require(port in 0..65535) { "bind(): port must be 0-65535." }
        require(hosts.isNotEmpty()) { "no host to bind" }
        val addresses = hosts.flatMap { addressesOf(it, options.family) }.distinct()
        return bindAll(addresses, port, options)
    }

    /** What [host] binds: every interface for `null` / `""` (of [family] when given), else each address of [host]. */
    private suspend fun addressesOf(
        host: String?,
        family: ProtocolFamily?,
    ): List<String?> {
        if (host.isNullOrEmpty()) {
            return when (family) {
                null -> listOf(null)
                StandardProtocolFamily.INET6 -> listOf("::")
                else -> listOf("0.0.0.0")
            }
        }
        val resolved = HostNames.resolve(host)
        val ofFamily = resolved.filter { family == null || Connector.familyOf(it) == family }
        if (ofFamily.isEmpty()) throw java.net.UnknownHostException("$host: no address of family $family")
        return ofFamily.map { it.hostAddress }
    }

    private fun bindAll(
        hosts: List<String?>,
        port: Int,
        options: ServeOptions,
    ): List<LoopChannel<ServerSocketChannel>> {
        val bound = mutableListOf<LoopChannel<ServerSocketChannel>>()
        var unavailable: BindException? = null
        try {
            for (address in hosts) {
                try {
                    bound += bindTcp(address, port, options)
                } catch (e: BindException) {
                    // An address this host cannot take (EADDRNOTAVAIL: "localhost" without ::1) is skipped while
                    // another can be bound, as CPython skips it (bpo-30945); any other bind failure is fatal.
                    if (hosts.size < 2 || e.cause?.message != "Cannot assign requested address") throw e
                    log.warn("skipping an address that is not available: {}", e.message)
                    unavailable = e
                }
            }
        } catch (e: Throwable) {
            bound.forEach { it.close() }
            throw e
        }
        if (bound.isEmpty()) throw unavailable!!
        return bound
    }

    private fun bindTcp(
        address: String?,
        port: Int,
        options: ServeOptions,
    ): LoopChannel<ServerSocketChannel> {
        // Every interface: the IPv6 wildcard is dual-stack on the JDK; fall back to IPv4 where IPv6 is off.
        val tries = if (address == null) listOf("::", "0.0.0.0") else listOf(address)
        var failure: Exception? = null
        for (candidate in tries) {
            val inet = InetAddress.getByName(candidate)
            // A socket of the address's own family, as CPython opens one: an IPv4 address gets an IPv4 socket.
            val channel =
                try {
                    ServerSocketChannel.open(Connector.familyOf(inet))
                } catch (e: Exception) {
                    failure = e // no IPv6 on this machine, say
                    continue
                }
            try {
                channel.setOption(StandardSocketOptions.SO_REUSEADDR, options.reuseAddress)
                if (options.reusePort) {
                    require(StandardSocketOptions.SO_REUSEPORT in channel.supportedOptions()) {
                        "reuse_port not supported by socket module"
                    }
                    channel.setOption(StandardSocketOptions.SO_REUSEPORT, true)
                }
                channel.bind(InetSocketAddress(inet, port), options.backlog)
                return LoopChannel.of(channel, Loop.accepting)
            } catch (e: Exception) {
                runCatching { channel.close() }
                if (e is IllegalArgumentException) throw e
                failure = e
            }
        }
        val e = failure!!
        throw BindException("error while attempting to bind on address ('${address ?: ""}', $port): ${strerror(e)}")
            .apply { initCause(e) }
    }

    /** A listening channel a user hands in (CPython's `sock=`): it must be bound already. */
    fun adopt(sock: ServerSocketChannel): LoopChannel<ServerSocketChannel> {
        require(sock.localAddress != null) { "sock is not bound: $sock" }
        return LoopChannel.of(sock, Loop.accepting)
    }

    /** Binds the Unix socket [path], removing a stale socket file first. */
    fun unix(
        path: Path,
        options: ServeOptions,
    ): LoopChannel<ServerSocketChannel> {
        UnixSocketFile.removeStale(path)
        val channel = ServerSocketChannel.open(StandardProtocolFamily.UNIX)
        try {
            channel.bind(UnixDomainSocketAddress.of(path), options.backlog)
        } catch (e: Throwable) {
            runCatching { channel.close() }
            if (e is BindException) throw BindException("Address '$path' is already in use").apply { initCause(e) }
            throw e
        }
        return LoopChannel.of(channel, Loop.accepting)
    }

    /**
     * Accepts connections on [listener] and hands each to [accepted], from the turns of the listener's loop, as
     * CPython's `add_reader(sock, _accept_connection)` does, until the listener closes. Each readiness takes up to
     * [batch] connections (CPython takes up to `backlog`, so that a burst of connects is taken before the kernel's
     * accept queue, as long as the backlog, overflows); more wait for the next turn, after the loop's other work.
     * The pauses after a failure run in [scope]; cancelling it ends one.
     */
    fun accept(
        listener: LoopChannel<ServerSocketChannel>,
        batch: Int,
        scope: CoroutineScope,
        accepted: (SocketChannel) -> Unit,
    ) = Acceptor(listener, batch, scope, accepted).listen()

    /** One listener's readiness callback: no coroutine, continuation or wait object per accept. */
    private class Acceptor(
        private val listener: LoopChannel<ServerSocketChannel>,
        private val batch: Int,
        private val scope: CoroutineScope,
        private val accepted: (SocketChannel) -> Unit,
    ) : Runnable {
        /** Made now: nothing new should have to be loaded at the moment no descriptor is left. */
        private val relisten: suspend CoroutineScope.() -> Unit = {
            delay(ACCEPT_RETRY_DELAY)
            listen()
        }

        fun listen() = listener.loop.run { if (!listener.isClosed) listener.addReader(this) }

        override fun run() {
            repeat(batch) {
                val channel =
                    try {
                        listener.channel.accept()
                    } catch (e: Exception) {
                        // A listener closed (the server's close()): the end of accepting.
                        if (!listener.channel.isOpen) return listener.removeReader()
                        return recover(e)
                    } ?: return
                accepted(channel)
            }
        }

        /**
         * After a failed `accept()`: out of descriptors or memory, a pause of [ACCEPT_RETRY_DELAY] and one warning;
         * any other I/O error (a connection reset before it was taken) is logged and accepting goes on at the next
         * readiness; anything else is logged as an error and followed by a pause, so that no failure can spin.
         */
        private fun recover(e: Exception) {
            when {
                e is IOException && isOutOfResources(e) -> {
                    log.warn(
                        "socket.accept() out of system resource ({}) on {}: accepting again in {}",
                        e.message,
                        address(listener),
                        ACCEPT_RETRY_DELAY,
                    )
                    pause()
                }

                e is IOException -> {
                    log.warn("accept() failed on {}", address(listener), e)
                }

                else -> {
                    log.error("accept() failed on {}: accepting again in {}", address(listener), ACCEPT_RETRY_DELAY, e)
                    pause()
                }
            }
        }

        /** CPython's `remove_reader`, then `call_later(ACCEPT_RETRY_DELAY, _start_serving)`. */
        private fun pause() {
            listener.removeReader()
            scope.launch(block = relisten)
        }
    }

    /** The system's message as CPython prints an `OSError` in a bind failure: `[errno 98] address already in use`. */
    private fun strerror(e: Exception): String {
        val message = e.message ?: return e.toString()
        val errno = ERRNOS[message] ?: return message.lowercase()
        return "[errno $errno] ${message.lowercase()}"
    }

    /** Linux's numbers for the errors a bind reports; elsewhere the text alone is printed. */
    private val ERRNOS: Map<String, Int> =
        if (System.getProperty("os.name") == "Linux") {
            mapOf("Address already in use" to 98, "Cannot assign requested address" to 99, "Permission denied" to 13)
        } else {
            emptyMap()
        }

    private fun address(listener: LoopChannel<ServerSocketChannel>) =
        runCatching { listener.channel.localAddress }.getOrNull()

    /**
     * Whether a failed `accept()` means the process or the system is out of descriptors or memory (EMFILE, ENFILE,
     * ENOBUFS, ENOMEM): the JDK reports these only through the system's message. Here, not in a class of its own:
     * nothing new should have to be loaded at the moment no descriptor is left.
     */
    private fun isOutOfResources(error: Throwable): Boolean {
        val message = error.message ?: return false
        return RESOURCE_ERRORS.any { it in message }
    }

    private val RESOURCE_ERRORS = listOf("Too many open files", "No buffer space available", "Cannot allocate memory")
}
