package io.aiostreams.future

import io.aiostreams.StreamWriter
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.future.future
import java.util.concurrent.CompletableFuture
import java.util.concurrent.Executor
import javax.net.ssl.SSLContext

/**
 * A [StreamWriter] seen from Java: the non-suspending methods as they are, [drain] and [waitClosed] as futures.
 *
 * Futures complete at once on the calling thread when nothing has to be waited for, otherwise on the [executor]
 * given (by default a thread of `Dispatchers.Default`). Failures complete them exceptionally with the exception the
 * Kotlin call throws (`java.net.SocketException` for a lost connection, ...). Cancelling a future cancels the wait.
 *
 * **Python:** `asyncio.StreamWriter`, with futures instead of coroutines.
 *
 * @param writer the writer to drive.
 * @param executor where futures complete after a wait; `null` for `Dispatchers.Default`.
 */
public class FutureStreamWriter
    @JvmOverloads
    constructor(
        public val writer: StreamWriter,
        executor: Executor? = null,
    ) : AutoCloseable {
        private val scope = futureScope(executor)

        /** [StreamWriter.write]: buffers [data]; never blocks. */
        public fun write(data: ByteArray) {
            writer.write(data)
        }

        /** [StreamWriter.writeLines]: buffers every array of [lines]; never blocks. */
        public fun writeLines(lines: Iterable<ByteArray>) {
            writer.writeLines(lines)
        }

        /** [StreamWriter.drain]: completes once the write buffer is low enough, at once when it already is. */
        public fun drain(): CompletableFuture<Void?> =
            scope.future(start = CoroutineStart.UNDISPATCHED) {
                writer.drain()
                null
            }

        /**
         * A [java.util.concurrent.Flow.Subscriber] that writes what it receives and drains after each item: see
         * [WriteSubscriber]. Each call makes a new one.
         */
        public fun subscriber(): WriteSubscriber = WriteSubscriber(writer, scope)

        /** [StreamWriter.canWriteEof]. */
        public fun canWriteEof(): Boolean = writer.canWriteEof()

        /** [StreamWriter.writeEof]: half-closes once the buffer is sent. */
        public fun writeEof() {
            writer.writeEof()
        }

        /** [StreamWriter.close]: closes after sending what is buffered. */
        override fun close() {
            writer.close()
        }

        /** [StreamWriter.isClosing]. */
        public fun isClosing(): Boolean = writer.isClosing()

        /** [StreamWriter.waitClosed]: completes when the connection is closed, exceptionally if lost with an error. */
        public fun waitClosed(): CompletableFuture<Void?> =
            scope.future(start = CoroutineStart.UNDISPATCHED) {
                writer.waitClosed()
                null
            }

        /** [StreamWriter.abort]: closes at once, dropping what is buffered. */
        public fun abort() {
            writer.abort()
        }

        /**
         * [StreamWriter.startTls]: upgrades the connection to TLS once what was written is sent; the future fails
         * (and the connection is aborted) when the handshake fails.
         */
        @JvmOverloads
        public fun startTls(
            sslContext: SSLContext,
            serverHostname: String? = null,
        ): CompletableFuture<Void?> = startTls(sslContext, StreamOptions().serverHostname(serverHostname))

        /**
         * [StreamWriter.startTls] with the TLS options of [options]: `serverHostname`, `sslParameters`,
         * `sslHandshakeTimeout`, `sslShutdownTimeout`, `suppressRaggedEofs` (its `ssl` is not used: [sslContext] is).
         */
        public fun startTls(
            sslContext: SSLContext,
            options: StreamOptions,
        ): CompletableFuture<Void?> =
            scope.future(start = CoroutineStart.UNDISPATCHED) {
                options.startTls(writer, sslContext)
                null
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
