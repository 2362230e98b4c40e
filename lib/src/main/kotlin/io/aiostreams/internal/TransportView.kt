package io.aiostreams.internal

import io.aiostreams.protocol.Transport

/**
 * A [StreamTransport] as the public [Transport]: what a protocol is handed in `connectionMade`, and what
 * `StreamWriter.transport` gives (CPython's `writer.transport`).
 */
internal class TransportView(
    private val transport: StreamTransport,
) : Transport {
    override fun write(data: ByteArray) {
        transport.write(data, "write")
    }

    override fun writeLines(lines: Iterable<ByteArray>) {
        transport.write(joined(lines), "writelines")
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
        /** `writelines()`: every array of [lines], in order, as one write. */
        fun joined(lines: Iterable<ByteArray>): ByteArray {
            val all = java.io.ByteArrayOutputStream()
            for (line in lines) all.write(line)
            return all.toByteArray()
        }
    }
}
