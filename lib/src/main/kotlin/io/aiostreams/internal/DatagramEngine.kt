package io.aiostreams.internal

import io.aiostreams.protocol.DatagramProtocol
import io.aiostreams.protocol.DatagramTransport
import io.ktor.network.selector.Selectable
import io.ktor.network.sockets.ABoundSocket
import io.ktor.network.sockets.AConnectedSocket
import io.ktor.network.sockets.ASocket
import io.ktor.network.sockets.Datagram
import io.ktor.network.sockets.DatagramReadWriteChannel
import io.ktor.network.sockets.isClosed
import io.ktor.network.sockets.toJavaAddress
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.channels.ClosedReceiveChannelException
import kotlinx.coroutines.channels.ClosedSendChannelException
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import kotlinx.io.Buffer
import kotlinx.io.readByteArray
import org.slf4j.LoggerFactory
import java.net.SocketAddress
import java.nio.ByteBuffer
import java.nio.channels.DatagramChannel
import io.ktor.network.sockets.InetSocketAddress as KtorInetSocketAddress

/**
 * A UDP endpoint (CPython's datagram transport) over a Ktor datagram socket: a receive loop delivering datagrams on
 * the event loop, a send loop draining a queue, and protocol callbacks that run on the loop one at a time.
 */
internal class DatagramEngine<S>(
    private val socket: S,
    private val protocol: DatagramProtocol,
    private val remote: SocketAddress?,
) : DatagramTransport where S : ASocket, S : ABoundSocket, S : DatagramReadWriteChannel {
    private val lock = Any()
    private val scope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val queue = Channel<Datagram>(Channel.UNLIMITED)
    private var queued = 0L
    private val marks = WaterMarks()
    private var closing = false
    private var lost = false

    /** connectionLost has run (on the loop): no callback after it. */
    private var lostDelivered = false
    private val extra: Map<String, Any?> =
        mapOf(
            "sockname" to runCatching { socket.localAddress.toJavaAddress() }.getOrNull(),
            "peername" to
                (socket as? AConnectedSocket)?.let { runCatching { it.remoteAddress.toJavaAddress() }.getOrNull() },
            "socket" to (socket as? Selectable)?.channel,
        )

    fun start() {
        callback { protocol.connectionMade(this) }
        // On the loop: datagrams are delivered there, after connectionMade.
        scope.launch(Loop.dispatcher) { receiveLoop() }
        scope.launch { sendLoop() }
    }

    /**
     * Runs a callback on the loop, one at a time across every endpoint and connection, as asyncio does. A failing
     * callback is fatal, except the flow-control ones, which are reported (CPython's rule).
     */
    private fun callback(
        fatal: Boolean = true,
        block: () -> Unit,
    ) = Loop.run {
        synchronized(lock) {
            if (lostDelivered) return@run
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
        while (true) {
            try {
                val datagram = socket.receive()
                val data = datagram.packet.readByteArray()
                val from = datagram.address.toJavaAddress()
                callback { protocol.datagramReceived(data, from) }
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                if (socket.isClosed || isClosing()) return
                if (stopped(e)) return
            }
        }
    }

    /**
     * Reports [e]; returns true when the socket can no longer be used. Ktor's datagram socket closes its channels
     * after an error (an ICMP "port unreachable" on a connected endpoint) and keeps no cause: then the endpoint ends
     * with that error rather than going quiet.
     */
    private fun stopped(e: Exception): Boolean {
        fun isClosedChannel(t: Throwable) = t is ClosedReceiveChannelException || t is ClosedSendChannelException
        if (!isClosedChannel(e)) {
            callback { protocol.errorReceived(e) }
            return false
        }
        val root = generateSequence(e as Throwable) {
            it.cause?.takeIf { c ->
                c !== it
            }
        }.firstOrNull { !isClosedChannel(it) }
        val error =
            root as? Exception ?: java.net.SocketException(
                "the datagram socket stopped after an error (on a connected endpoint, usually ICMP port unreachable)",
            ).apply { initCause(e) }
        callback { protocol.errorReceived(error) }
        finish(error)
        return true
    }

    private suspend fun sendLoop() {
        for (datagram in queue) {
            val size = datagram.packet.let { (it as? Buffer)?.size ?: 0L }
            try {
                if (size == 0L) sendEmpty(datagram) else socket.send(datagram)
            } catch (e: CancellationException) {
                throw e
            } catch (e: Exception) {
                if (stopped(e)) return
            }
            announce(synchronized(lock) { marks.update(queued - size).also { queued -= size } })
        }
        // Closed and drained: the endpoint goes.
        withContext(NonCancellable) { finish(null) }
    }

    /**
     * A zero-length datagram, which Ktor's socket refuses ("Buffer is empty"), goes out on the JDK channel itself,
     * as CPython 3.13+ sends it (gh-113812). A connected JDK channel sends nothing for zero bytes: that is reported,
     * never dropped silently.
     */
    private fun sendEmpty(datagram: Datagram) {
        val channel = (socket as Selectable).channel as DatagramChannel
        if (channel.isConnected) {
            throw UnsupportedOperationException("the JDK cannot send a zero-length datagram on a connected endpoint")
        }
        channel.send(ByteBuffer.allocate(0), datagram.address.toJavaAddress())
    }

    override fun sendTo(
        data: ByteArray,
        address: SocketAddress?,
    ) {
        if (remote != null && address != null && address != remote) {
            throw IllegalArgumentException("Invalid address: must be None or ${pythonAddress(remote)}")
        }
        require(address == null || address is java.net.InetSocketAddress) {
            "sendto(): an IP address is required, got ${address!!.javaClass.name}"
        }
        val target = address ?: remote
        synchronized(lock) {
            if (closing || lost) return
            if (target == null) {
                // CPython's transport dies of this: "Fatal write error on datagram transport", then connection_lost.
                val error = IllegalArgumentException("sendto(): an unconnected endpoint needs an address")
                log.error("Fatal write error on datagram transport", error)
                finish(error)
                return
            }
            queued += data.size
            announce(marks.update(queued))
        }
        val packet = Buffer().apply { write(data) }
        val ktorAddress = (target as java.net.InetSocketAddress).let {
            KtorInetSocketAddress(it.address.hostAddress, it.port)
        }
        queue.trySend(Datagram(packet, ktorAddress))
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
        // On the loop, after the callbacks queued before it (an errorReceived announcing this very loss).
        Loop.run {
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
    ) = announce(
        synchronized(lock) {
            marks.set(high, low)
            marks.update(queued, pauseOnly = true)
        },
    )

    override fun getWriteBufferLimits(): IntArray = synchronized(lock) { marks.limits() }

    /** Tells the protocol that writing paused (true) or resumed (false): CPython's `_maybe_pause_protocol`. */
    private fun announce(paused: Boolean?) {
        when (paused) {
            true -> callback(fatal = false) { protocol.pauseWriting() }
            false -> callback(fatal = false) { protocol.resumeWriting() }
            null -> Unit
        }
    }

    override fun toString(): String = "<DatagramTransport ${extra["sockname"]}>"

    private companion object {
        val log = LoggerFactory.getLogger("io.aiostreams.Server")
    }
}

/** An address as Python prints one: `('127.0.0.1', 9999)`. */
private fun pythonAddress(address: SocketAddress): String =
    (address as? java.net.InetSocketAddress)?.let { "('${it.address?.hostAddress ?: it.hostString}', ${it.port})" }
        ?: address.toString()
