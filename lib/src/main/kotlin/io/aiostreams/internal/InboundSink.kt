package io.aiostreams.internal

import kotlinx.io.Buffer
import kotlinx.io.UnsafeIoApi
import kotlinx.io.unsafe.UnsafeBufferOperations

/**
 * What a [StreamTransport] delivers to: a [ReaderCore] for the streams API, or a protocol's callbacks
 * (CPython's `StreamReaderProtocol` and `Protocol` sit in the same place).
 */
internal interface InboundSink {
    /** True when delivering calls user code (protocol callbacks), which must not run on the selector's thread. */
    val runsUserCode: Boolean get() = false

    /** Called once, before any data: the transport that pause/resume requests go to. */
    fun attach(transport: ReadTransport)

    /** Takes up to [max] bytes of [buffer]. */
    fun feed(
        buffer: Buffer,
        max: Long,
    )

    /** Takes [bytes] to keep, as they are (a wire made them for this delivery and never touches them again). */
    @OptIn(UnsafeIoApi::class)
    fun feedArray(bytes: ByteArray) {
        val buffer = Buffer()
        UnsafeBufferOperations.moveToTail(buffer, bytes)
        feed(buffer, buffer.size)
    }

    /**
     * The size of a read waiting for bytes with nothing buffered, 0 when none waits: a wire may deliver at most that
     * much in one array, which the read then returns as it is. A hint, read without a lock.
     */
    fun wholeReadSize(): Int = 0

    /** The peer's end of stream; returns true to keep the connection open for writing (CPython's `eof_received`). */
    fun eof(): Boolean

    /** The connection is gone, with [error] or cleanly: CPython's `connection_lost(exc)`. Called once. */
    fun lost(error: Throwable?)

    /**
     * A TLS stream ended without close_notify and the connection is strict about it: everything was delivered, and
     * [error] stands where end of stream would be. [lost] follows with the same [error].
     */
    fun raggedEof(error: Throwable) {}

    /** Removes and returns bytes received but not consumed yet (handed to TLS by `startTls`). */
    fun takeBuffered(): ByteArray = ByteArray(0)

    /** The write buffer rose above its high-water mark. */
    fun writingPaused() {}

    /** The write buffer fell to its low-water mark. */
    fun writingResumed() {}
}

/** The streams API's sink: everything goes to the reader. */
internal class ReaderSink(
    private val reader: ReaderCore,
) : InboundSink {
    /** Reported at end of stream already: not also stored as the reader's exception (which would hide the data). */
    @Volatile private var atEofAlready: Throwable? = null

    override fun attach(transport: ReadTransport) = reader.setTransport(transport)

    override fun feed(
        buffer: Buffer,
        max: Long,
    ) = reader.feedBuffer(buffer, max)

    override fun feedArray(bytes: ByteArray) = reader.feedArray(bytes)

    override fun wholeReadSize(): Int = reader.waitingReadSize()

    override fun eof(): Boolean {
        if (!reader.eofFed()) reader.feedEof()
        return true
    }

    override fun raggedEof(error: Throwable) {
        atEofAlready = error
        reader.feedEof(error)
    }

    override fun lost(error: Throwable?) {
        if (error != null) {
            if (error !== atEofAlready) reader.setException(error)
        } else if (!reader.eofFed()) {
            reader.feedEof()
        }
    }

    override fun takeBuffered(): ByteArray = reader.takeBuffered()
}
