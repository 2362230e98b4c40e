package io.aiostreams.internal

import io.aiostreams.protocol.DatagramProtocol
import io.aiostreams.protocol.DatagramTransport
import io.ktor.network.selector.SelectInterest
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.launch
import java.io.IOException
import java.net.Inet6Address
import java.net.InetSocketAddress
import java.net.SocketAddress
import java.net.StandardProtocolFamily
import java.net.StandardSocketOptions
import java.nio.ByteBuffer
import java.nio.channels.DatagramChannel

/**
 * A UDP endpoint (CPython's datagram transport) on a JDK `DatagramChannel` driven by the [Loop]: a receive loop and a
 * send loop on the loop's thread, a send queue with water marks, and protocol callbacks that run on the loop one at
 * a time. **An error of one datagram (an ICMP "port unreachable" on a connected endpoint) is reported to
 * `errorReceived` and the endpoint stays open**, as in CPython.
 */
internal class DatagramEngine(
    private val socket: LoopChannel<DatagramChannel>,
    private val protocol: DatagramProtocol,
) : DatagramTransport {
    private val channel: DatagramChannel = socket.channel
    private val remote: SocketAddress? = channel.remoteAddress
    private val lock = Any()
    private val scope = CoroutineScope(SupervisorJob() + Loop.dispatcher)
    private val queue = Channel<Outgoing>(Channel.UNLIMITED)
    private var queued = 0L
    private val marks = WaterMarks()
    private var closing = false
    private var lost = false

    /** connectionLost has run (on the loop): no callback after it. */
    private var lostDelivered = false
    private val extra: Map<String, Any?> =
        mapOf("sockname" to channel.localAddress, "peername" to remote, "socket" to channel)

    private class Outgoing(
        val data: ByteBuffer,
        val target: SocketAddress,
    )

    fun start() {
        callback { protocol.connectionMade(this) }
        // Both loops on the loop: datagrams are delivered there, after connectionMade.
        scope.launch { receiveLoop() }
        scope.launch { sendLoop() }
    }

    /**
     * Runs a callback on the loop, one at a time across every endpoint and connection, as asyncio does, queued in the
     * order it was announced (a `pause_writing` announced by a sender's thread runs before the `resume_writing` the
     * loop announces once the queue drained). A failing callback is fatal, except the flow-control ones, which are
     * reported (CPython's rule).
     */
    private fun callback(
        fatal: Boolean = true,
        block: () -> Unit,
    ) = Loop.main.soon {
        synchronized(lock) {
            if (lostDelivered) return@soon
            try {
                block()
            } catch (e: Throwable) {
                if (fatal) {
                    log.error("Fatal error: protocol callback failed on a datagram endpoint", e)
                    finish(e)
                } else {
                    log.error("protocol.pause_writing() / resume_writing() failed on a datagram endpoint", e)
                }
            }
        }
    }

    private suspend fun receiveLoop() {
        val buffer = ByteBuffer.allocate(MAX_DATAGRAM)
        while (true) {
            buffer.clear()
            val from =
                try {
                    channel.receive(buffer)
                } catch (e: CancellationException) {
                    throw e
                } catch (e: IOException) {
                    if (!channel.isOpen || isClosing()) return
                    callback { protocol.errorReceived(e) }
                    continue
                }
            if (from == null) {
                try {
                    socket.await(SelectInterest.READ)
                } catch (e: IOException) {
                    return // closed
                }
                continue
            }
            buffer.flip()
            val data = ByteArray(buffer.remaining()).also { buffer.get(it) }
            callback { protocol.datagramReceived(data, from) }
        }
    }

    private suspend fun sendLoop() {
        for (outgoing in queue) {
            val size = outgoing.data.remaining().toLong()
            try {
                send(outgoing)
            } catch (e: CancellationException) {
                throw e
            } catch (e: IOException) {
                if (!channel.isOpen) return
                callback { protocol.errorReceived(e) }
            } catch (e: UnsupportedOperationException) {
                callback { protocol.errorReceived(e) }
            }
            // Announced under the lock, as sendTo() announces its pause: the callbacks are queued in the order the
            // marks were crossed, so a sender's next pause can never be queued before this resume.
            synchronized(lock) {
                queued -= size
                announce(marks.update(queued))
            }
        }
        // Closed and drained: the endpoint goes.
        finish(null)
    }

    /** Sends one datagram, waiting while the socket has no room. */
    private suspend fun send(outgoing: Outgoing) {
        val data = outgoing.data
        if (!data.hasRemaining()) {
            // A connected JDK channel sends nothing for zero bytes: reported, never dropped silently.
            if (channel.isConnected) {
                throw UnsupportedOperationException(
                    "the JDK cannot send a zero-length datagram on a connected endpoint",
                )
            }
            channel.send(data, outgoing.target)
            return
        }
        while (true) {
            val n = if (channel.isConnected) channel.write(data) else channel.send(data, outgoing.target)
            if (n > 0) return
            socket.await(SelectInterest.WRITE)
        }
    }

    override fun sendTo(
        data: ByteArray,
        address: SocketAddress?,
    ) {
        if (remote != null && address != null && address != remote) {
            throw IllegalArgumentException("Invalid address: must be None or ${pythonAddress(remote)}")
        }
        require(address == null || address is InetSocketAddress) {
            "sendto(): an IP address is required, got ${address!!.javaClass.name}"
        }
        val target: SocketAddress
        synchronized(lock) {
            if (closing || lost) return
            target = address ?: remote ?: run {
                // CPython's transport dies of this: "Fatal write error on datagram transport", then connection_lost.
                val error = IllegalArgumentException("sendto(): an unconnected endpoint needs an address")
                log.error("Fatal write error on datagram transport", error)
                finish(error)
                return
            }
            queued += data.size
            announce(marks.update(queued))
        }
        queue.trySend(Outgoing(ByteBuffer.wrap(data.copyOf()), target))
    }

    override fun close() {
        synchronized(lock) {
            if (closing || lost) return
            closing = true
        }
        queue.close()
    }

    override fun abort() {
        synchronized(lock) {
            if (lost) return
            closing = true
        }
        queue.cancel()
        finish(null)
    }

    private fun finish(error: Throwable?) {
        synchronized(lock) {
            if (lost) return
            lost = true
            closing = true
            queued = 0
        }
        queue.cancel()
        socket.close()
        // Queued on the loop, after the callbacks announced before it (an errorReceived announcing this very loss), as
        // CPython's _force_close schedules connection_lost with call_soon.
        Loop.main.soon {
            synchronized(lock) {
                if (!lostDelivered) {
                    lostDelivered = true
                    try {
                        protocol.connectionLost(error)
                    } catch (e: Throwable) {
                        log.error("Fatal error: protocol.connection_lost() call failed.", e)
                    }
                }
            }
        }
        scope.cancel()
    }

    override fun isClosing(): Boolean = synchronized(lock) { closing || lost }

    override fun getExtraInfo(
        name: String,
        default: Any?,
    ): Any? = if (name in extra) extra[name] else default

    override fun getWriteBufferSize(): Long = synchronized(lock) { queued }

    override fun setWriteBufferLimits(
        high: Int?,
        low: Int?,
    ) = synchronized(lock) {
        marks.set(high, low)
        announce(marks.update(queued, pauseOnly = true))
    }

    override fun getWriteBufferLimits(): IntArray = synchronized(lock) { marks.limits() }

    /**
     * Tells the protocol that writing paused (true) or resumed (false): CPython's `_maybe_pause_protocol`. Called
     * under the lock that guarded the marks' change, so that the callbacks queue in the order of the changes.
     */
    private fun announce(paused: Boolean?) {
        when (paused) {
            true -> callback(fatal = false) { protocol.pauseWriting() }
            false -> callback(fatal = false) { protocol.resumeWriting() }
            null -> Unit
        }
    }

    override fun toString(): String = "<DatagramTransport ${extra["sockname"]}>"

    companion object {
        private val log = Loggers.datagram

        /** The largest UDP payload: every datagram fits the receive buffer whole. */
        private const val MAX_DATAGRAM = 65_536

        /**
         * A datagram channel on the loop: [sock] as given, or a new one bound to [local] (a free port of [remote]'s
         * family when null) and connected to [remote] when given. **On failure nothing stays open.**
         */
        suspend fun open(
            local: InetSocketAddress?,
            remote: InetSocketAddress?,
            reuseAddress: Boolean,
            reusePort: Boolean,
            allowBroadcast: Boolean,
            sock: DatagramChannel?,
        ): LoopChannel<DatagramChannel> {
            if (sock != null) {
                require(sock.localAddress != null) { "sock is not bound: $sock" }
                return LoopChannel.of(sock)
            }
            require(local != null || remote != null) { "unexpected address family" }
            val resolvedRemote = remote?.let { resolve(it) }
            val resolvedLocal = local?.let { resolve(it) }
            val address = (resolvedLocal ?: resolvedRemote)!!.address
            val family = if (address is Inet6Address) StandardProtocolFamily.INET6 else StandardProtocolFamily.INET
            val channel = DatagramChannel.open(family)
            try {
                channel.setOption(StandardSocketOptions.SO_REUSEADDR, reuseAddress)
                if (reusePort) channel.setOption(StandardSocketOptions.SO_REUSEPORT, true)
                if (allowBroadcast) channel.setOption(StandardSocketOptions.SO_BROADCAST, true)
                channel.bind(resolvedLocal)
                if (resolvedRemote != null) channel.connect(resolvedRemote)
            } catch (e: Throwable) {
                runCatching { channel.close() }
                throw e
            }
            return LoopChannel.of(channel)
        }

        private suspend fun resolve(address: InetSocketAddress): InetSocketAddress =
            if (!address.isUnresolved) {
                address
            } else {
                InetSocketAddress(HostNames.resolve(address.hostString)[0], address.port)
            }
    }
}

/** An address as Python prints one: `('127.0.0.1', 9999)`. */
private fun pythonAddress(address: SocketAddress): String =
    (address as? InetSocketAddress)?.let { "('${it.address?.hostAddress ?: it.hostString}', ${it.port})" }
        ?: address.toString()
