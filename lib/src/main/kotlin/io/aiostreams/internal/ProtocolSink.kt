package io.aiostreams.internal

import io.aiostreams.protocol.BufferedProtocol
import io.aiostreams.protocol.Protocol
import io.aiostreams.protocol.Transport
import kotlinx.io.Buffer
import kotlinx.io.readAtMostTo
import kotlinx.io.readByteArray
import java.nio.ByteBuffer
import java.util.concurrent.atomic.AtomicInteger

/**
 * Delivers a [StreamTransport]'s events to a [Protocol] on its loop's thread, one at a time across the loop's
 * connections and in CPython's order; the protocol sees the connection through a [TransportView]. A callback that throws is reported and loses the
 * connection with its exception.
 */
internal class ProtocolSink(
    /** Receives every callback; replaced by `Transport.setProtocol`. */
    @Volatile override var protocol: Protocol,
    private val report: (Throwable) -> Unit = { e -> log.error(e.message, e.cause) },
) : InboundSink,
    ProtocolSlot {
    private val lock = Any()
    private var lostDelivered = false
    private lateinit var transport: StreamTransport

    /** The [Transport] the protocol sees. */
    lateinit var view: Transport
        private set

    /** Binds the transport and runs [Protocol.connectionMade]; call on the loop, before the transport starts pumping. */
    fun open(transport: StreamTransport) {
        this.transport = transport
        view = TransportView(transport, this)
        check(transport.loop.inLoop()) { "connection_made() runs on the event loop" }
        callNow("connection_made", fatal = false) { protocol.connectionMade(view) }
    }

    /** This protocol's callbacks waiting in the loop's queue. */
    private val queued = AtomicInteger()

    /**
     * Runs a callback on the loop, as asyncio does: at once when already there (data, end of stream) and nothing is
     * queued for this protocol, else at the loop's next turn (a write that paused writing from another thread, a loss
     * found by the write pump), behind what was announced before it: **callbacks run in the order they are
     * announced**, whatever the thread.
     */
    private fun inOrder(block: () -> Unit) {
        val loop = transport.loop
        if (loop.inLoop() && queued.get() == 0) return block()
        queued.incrementAndGet()
        loop.soon {
            try {
                block()
            } finally {
                queued.decrementAndGet()
            }
        }
    }

    private fun callback(
        name: String,
        block: () -> Unit,
    ) = inOrder { callNow(name, fatal = false, block) }

    /**
     * CPython's rule: a failing `data_received` or `eof_received` is fatal (reported, and the connection is lost with
     * the exception); any other failing callback is reported and the connection goes on.
     */
    private inline fun callNow(
        name: String,
        fatal: Boolean = true,
        block: () -> Unit,
    ) {
        synchronized(lock) {
            if (lostDelivered) return
            try {
                block()
            } catch (e: Throwable) {
                if (fatal) {
                    report(ReportedFailure("Fatal error: protocol.$name() call failed.", e))
                    transport.fail(e)
                } else {
                    report(ReportedFailure("protocol.$name() failed", e))
                }
            }
        }
    }

    override val runsUserCode: Boolean get() = true

    override fun attach(transport: ReadTransport) {}

    override fun feed(
        buffer: Buffer,
        max: Long,
    ) {
        val take = minOf(max, buffer.size)
        val receiver = protocol
        if (receiver is BufferedProtocol) {
            feedBuffered(receiver, buffer, take)
            return
        }
        val data = buffer.readByteArray(take.toInt())
        callNow("data_received") { protocol.dataReceived(data) }
    }

    /** CPython's buffered delivery: get_buffer, copy what fits, buffer_updated, until [count] bytes are delivered. */
    private fun feedBuffered(
        receiver: BufferedProtocol,
        buffer: Buffer,
        count: Long,
    ) {
        var left = count
        while (left > 0) {
            var target: ByteBuffer? = null
            callNow("get_buffer") {
                val given = receiver.getBuffer(left.coerceAtMost(Int.MAX_VALUE.toLong()).toInt())
                check(given.hasRemaining()) { "get_buffer() returned an empty buffer" }
                target = given
            }
            val into = target ?: break // failed: the connection is being lost
            val room = into.remaining()
            if (room > left) into.limit(into.position() + left.toInt())
            val n = buffer.readAtMostTo(into)
            if (room > left) into.limit(into.position() - n + room)
            left -= n
            var updated = false
            callNow("buffer_updated") {
                receiver.bufferUpdated(n)
                updated = true
            }
            if (!updated) break
        }
        // Whatever a failed protocol did not take is consumed all the same: the transport delivers it exactly once.
        if (left > 0) buffer.skip(left)
    }

    /** Called by the read pump, which runs on the loop for protocols: the answer is needed at once. */
    override fun eof(): Boolean {
        var keepOpen = false
        callNow("eof_received") { keepOpen = protocol.eofReceived() }
        return keepOpen
    }

    override fun lost(error: Throwable?) =
        inOrder {
            synchronized(lock) {
                if (!lostDelivered) {
                    lostDelivered = true
                    try {
                        protocol.connectionLost(error)
                    } catch (e: Throwable) {
                        report(ReportedFailure("Fatal error: protocol.connection_lost() call failed.", e))
                    }
                }
            }
        }

    override fun writingPaused() = callback("pause_writing") { protocol.pauseWriting() }

    override fun writingResumed() = callback("resume_writing") { protocol.resumeWriting() }

    override fun toString(): String = "<ProtocolSink $protocol>"

    companion object {
        private val log = Loggers.protocol

        /** A connection whose events go to [protocol]; starts pumping once `connectionMade` has run. */
        fun connect(
            wire: Wire,
            protocol: Protocol,
            serverSide: Boolean,
            report: ((Throwable) -> Unit)? = null,
        ): ProtocolSink {
            val sink = if (report != null) ProtocolSink(protocol, report) else ProtocolSink(protocol)
            val transport = StreamTransport(wire, sink, serverSide)
            sink.open(transport)
            transport.start()
            return sink
        }
    }

    /** The stream transport behind this view, for the server's bookkeeping. */
    val streamTransport: StreamTransport get() = transport
}
