package io.aiostreams.internal

import io.aiostreams.protocol.Protocol
import io.aiostreams.protocol.Transport
import kotlinx.io.Buffer
import kotlinx.io.readByteArray
import org.slf4j.LoggerFactory

/**
 * Delivers a [StreamTransport]'s events to a [Protocol] on the loop's thread, one at a time across every connection
 * and in CPython's order, and is the [Transport] the protocol sees. A callback that throws is reported and loses the
 * connection with its exception.
 */
internal class ProtocolSink(
    private val protocol: Protocol,
    private val report: (Throwable) -> Unit = { e -> log.error(e.message, e.cause) },
) : InboundSink,
    Transport {
    private val lock = Any()
    private var lostDelivered = false
    private lateinit var transport: StreamTransport

    /** Binds the transport and runs [Protocol.connectionMade]; call on the loop, before the transport starts pumping. */
    fun open(transport: StreamTransport) {
        this.transport = transport
        check(Loop.inLoop()) { "connection_made() runs on the event loop" }
        callNow("connection_made") { protocol.connectionMade(this) }
    }

    /**
     * Runs a callback on the loop, as asyncio does: at once when already there (data, end of stream), else at the
     * loop's next turn (a write that paused writing from another thread, a loss found by the write pump).
     */
    private fun callback(
        name: String,
        block: () -> Unit,
    ) = Loop.run { callNow(name, block) }

    private inline fun callNow(
        name: String,
        block: () -> Unit,
    ) {
        synchronized(lock) {
            if (lostDelivered) return
            try {
                block()
            } catch (e: Throwable) {
                report(ReportedFailure("Fatal error: protocol.$name() call failed.", e))
                transport.fail(e)
            }
        }
    }

    override val runsUserCode: Boolean get() = true

    override fun attach(transport: ReadTransport) {}

    override fun feed(
        buffer: Buffer,
        max: Long,
    ) {
        val data = buffer.readByteArray(minOf(max, buffer.size).toInt())
        callNow("data_received") { protocol.dataReceived(data) }
    }

    /** Called by the read pump, which runs on the loop for protocols: the answer is needed at once. */
    override fun eof(): Boolean {
        var keepOpen = false
        callNow("eof_received") { keepOpen = protocol.eofReceived() }
        return keepOpen
    }

    override fun lost(error: Throwable?) =
        Loop.run {
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

    // ---- the Transport the protocol sees ----

    override fun write(data: ByteArray) {
        transport.write(data, "write")
    }

    override fun writeLines(lines: Iterable<ByteArray>) {
        val all = java.io.ByteArrayOutputStream()
        for (line in lines) all.write(line)
        transport.write(all.toByteArray(), "writelines")
    }

    override fun writeEof() = transport.writeEof()

    override fun canWriteEof(): Boolean = transport.canWriteEof

    override fun close() = transport.close()

    override fun abort() = transport.abort()

    override fun isClosing(): Boolean = transport.isClosing()

    override fun getExtraInfo(
        name: String,
        default: Any?,
    ): Any? = if (transport.hasExtraInfo(name)) transport.extraInfo(name) else default

    override fun pauseReading() = transport.pauseReading()

    override fun resumeReading() = transport.resumeReading()

    override fun isReading(): Boolean = transport.isReading()

    override fun getWriteBufferSize(): Long = transport.writeBufferSize()

    override fun setWriteBufferLimits(
        high: Int?,
        low: Int?,
    ) = transport.setWriteBufferLimits(high, low)

    override fun getWriteBufferLimits(): IntArray = transport.writeBufferLimits()

    override fun toString(): String = "<Transport ${transport.extraInfo("peername") ?: ""}>"

    companion object {
        private val log = LoggerFactory.getLogger("io.aiostreams.Server")

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
