package io.aiostreams.blocking

import io.aiostreams.StreamWriter
import io.aiostreams.future.StreamOptions
import io.aiostreams.internal.ThreadCall
import java.io.IOException
import javax.net.ssl.SSLContext

/**
 * A [StreamWriter] for blocking code: the non-suspending methods as they are; [drain], [waitClosed] and [startTls]
 * block the calling thread. **[drain] returns at once while the write buffer is below its high-water mark**, so the
 * usual `write(...); drain();` costs a blocked thread only when the peer is slow.
 *
 * **Interrupts:** interrupting a thread blocked in [drain], [waitClosed] or [startTls] cancels the wait and throws
 * [InterruptedException]; what was written stays buffered and is still sent.
 *
 * **Python:** `asyncio.StreamWriter`, with its coroutines as blocking calls.
 *
 * @param writer the writer to drive.
 */
public class BlockingStreamWriter(
    public val writer: StreamWriter,
) : AutoCloseable {
    /** [StreamWriter.write]: buffers [data]; never blocks. */
    public fun write(data: ByteArray) {
        writer.write(data)
    }

    /** [StreamWriter.writeLines]: buffers every array of [lines]; never blocks. */
    public fun writeLines(lines: Iterable<ByteArray>) {
        writer.writeLines(lines)
    }

    /**
     * [StreamWriter.drain]: blocks until the write buffer is at or below its low-water mark.
     *
     * @throws IOException the connection's failure (`ConnectionResetError` in Python).
     * @throws InterruptedException when interrupted while waiting.
     */
    @Throws(IOException::class, InterruptedException::class)
    public fun drain() {
        ThreadCall.run { writer.drain() }
    }

    /** [StreamWriter.canWriteEof]. */
    public fun canWriteEof(): Boolean = writer.canWriteEof()

    /** [StreamWriter.writeEof]: half-closes once the buffer is sent. */
    public fun writeEof() {
        writer.writeEof()
    }

    /** [StreamWriter.close]: closes after sending what is buffered; returns at once. */
    override fun close() {
        writer.close()
    }

    /** [StreamWriter.isClosing]. */
    public fun isClosing(): Boolean = writer.isClosing()

    /**
     * [StreamWriter.waitClosed]: blocks until the connection is closed.
     *
     * @throws IOException the error the connection was lost with.
     * @throws InterruptedException when interrupted while waiting.
     */
    @Throws(IOException::class, InterruptedException::class)
    public fun waitClosed() {
        ThreadCall.run { writer.waitClosed() }
    }

    /** [StreamWriter.abort]: closes at once, dropping what is buffered. */
    public fun abort() {
        writer.abort()
    }

    /**
     * [StreamWriter.startTls] with the TLS options of [options] (`serverHostname`, `sslParameters`, time-outs,
     * `suppressRaggedEofs`; its `ssl` is not used: [sslContext] is); blocks until the handshake is done.
     *
     * @throws IOException when the handshake fails (the connection is then aborted).
     * @throws InterruptedException when interrupted while waiting.
     */
    @JvmOverloads
    @Throws(IOException::class, InterruptedException::class)
    public fun startTls(
        sslContext: SSLContext,
        options: StreamOptions = StreamOptions(),
    ) {
        ThreadCall.run {
            options.startTls(writer, sslContext)
        }
    }

    /** [StreamWriter.getExtraInfo]. */
    @JvmOverloads
    public fun getExtraInfo(
        name: String,
        default: Any? = null,
    ): Any? = writer.getExtraInfo(name, default)

    /** [StreamWriter.getWriteBufferSize]. */
    public fun getWriteBufferSize(): Long = writer.getWriteBufferSize()

    /** [StreamWriter.setWriteBufferLimits]. */
    @JvmOverloads
    public fun setWriteBufferLimits(
        high: Int? = null,
        low: Int? = null,
    ) {
        writer.setWriteBufferLimits(high, low)
    }

    /** The writer's repr: `<StreamWriter ...>`. */
    override fun toString(): String = writer.toString()
}
