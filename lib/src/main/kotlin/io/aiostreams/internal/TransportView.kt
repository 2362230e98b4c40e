package io.aiostreams.internal

import io.aiostreams.protocol.Protocol
import io.aiostreams.protocol.Transport

/**
 * A [StreamTransport] as the public [Transport]: what a protocol is handed in `connectionMade`, and what
 * `StreamWriter.transport` gives (CPython's `writer.transport`).
 */
internal class TransportView(
    /** The connection; `startTls` for protocols upgrades it in place. */
    val core: StreamTransport,
    /** Where a protocol connection's callbacks go; null for a stream connection. */
    private val sink: ProtocolSlot? = null,
) : Transport {
    override fun write(data: ByteArray) {
        core.write(data, "write")
    }

    override fun writeLines(lines: Iterable<ByteArray>) {
        core.write(joined(lines), "writelines")
    }

    override fun writeEof() = core.writeEof()

    override fun canWriteEof(): Boolean = core.canWriteEof

    override fun close() = core.close()

    override fun abort() = core.abort()

    override fun isClosing(): Boolean = core.isClosing()

    override fun getExtraInfo(
        name: String,
        default: Any?,
    ): Any? = if (core.hasExtraInfo(name)) core.extraInfo(name) else default

    override fun pauseReading() = core.pauseReading()

    override fun resumeReading() = core.resumeReading()

    override fun isReading(): Boolean = core.isReading()

    override fun getWriteBufferSize(): Long = core.writeBufferSize()

    override fun setWriteBufferLimits(
        high: Int?,
        low: Int?,
    ) = core.setWriteBufferLimits(high, low)

    override fun getWriteBufferLimits(): IntArray = core.writeBufferLimits()

    fun getProtocol(): Protocol? = sink?.protocol

    fun setProtocol(protocol: Protocol) {
        val target = sink ?: throw UnsupportedOperationException("a stream connection's protocol is its reader")
        target.protocol = protocol
    }

    override fun toString(): String = "<Transport ${core.extraInfo("peername") ?: ""}>"

    companion object {
        /** `writelines()`: every array of [lines], in order, as one write. */
        fun joined(lines: Iterable<ByteArray>): ByteArray {
            val all = java.io.ByteArrayOutputStream()
            for (line in lines) all.write(line)
            return all.toByteArray()
        }
    }
}
