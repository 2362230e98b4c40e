package io.aiostreams.internal

import io.ktor.network.selector.SelectInterest
import io.ktor.network.selector.Selectable
import io.ktor.network.selector.SelectorManager
import kotlinx.coroutines.Dispatchers
import kotlinx.io.Buffer
import kotlinx.io.UnsafeIoApi
import kotlinx.io.transferFrom
import kotlinx.io.unsafe.UnsafeBufferOperations
import java.nio.ByteBuffer
import java.nio.channels.SocketChannel
import kotlin.coroutines.CoroutineContext

/**
 * A wire straight on a Ktor socket's NIO [channel], driven through Ktor's [SelectorManager] (CPython's selector
 * transport): no byte channels in between. Bytes are read when the selector says the socket is readable, on the
 * selector's thread, and go straight into the reader; writes go to the socket at once from the writing thread while
 * it takes them, and only what it does not take waits for the write pump.
 */
internal class SocketWire(
    private val socket: Selectable,
    private val channel: SocketChannel,
    private val selector: SelectorManager,
) : Wire {
    private val staging = Buffer()

    /**
     * The reader's delivery touches no user code and never blocks, so it runs where the selector resumes it: one
     * thread hop fewer per message. Protocol callbacks are user code and run on the default dispatcher.
     */
    override fun readContext(runsUserCode: Boolean): CoroutineContext =
        if (runsUserCode) Dispatchers.Default else Dispatchers.Unconfined

    /**
     * The loop, for the reader: a resume is dispatched (queued behind the running task, never run inside it), and
     * the pump goes on where the selector and the server handlers are, not on a pool thread.
     */
    override fun resumeContext(runsUserCode: Boolean): CoroutineContext =
        if (runsUserCode) Dispatchers.Default else Loop.dispatcher

    /** A pool thread: the write pump only runs when the socket was full, and a full socket is not latency-bound. */
    override val writeContext: CoroutineContext get() = Dispatchers.Default

    /** The last read took less than it could: the socket was empty then, and the next read waits for the selector. */
    private var drained = false

    @OptIn(UnsafeIoApi::class)
    override suspend fun receive(deliver: (Buffer, Long) -> Unit): Boolean {
        // One read per readiness, as CPython's transport: a read that would find the socket empty costs a syscall
        // per message; the selector (level-triggered) reports at once whatever arrived since.
        if (drained) {
            drained = false
            await(SelectInterest.READ)
        }
        while (true) {
            val buffer = readBuffer.get()
            buffer.clear()
            val n = channel.read(buffer)
            if (n < 0) return false
            if (n > 0) {
                drained = n < buffer.capacity()
                buffer.flip()
                if (n <= SMALL_READ) {
                    // A small read gets an array of its own size rather than a pooled 8 KiB segment: with thousands
                    // of connections each holding a few bytes, segments would outgrow the pool and become garbage.
                    val bytes = ByteArray(n)
                    buffer.get(bytes)
                    UnsafeBufferOperations.moveToTail(staging, bytes)
                } else {
                    staging.transferFrom(buffer)
                }
                deliver(staging, staging.size)
                staging.clear()
                return true
            }
            await(SelectInterest.READ)
        }
    }

    override fun trySend(
        data: ByteArray,
        offset: Int,
    ): Int = channel.write(ByteBuffer.wrap(data, offset, data.size - offset))

    @OptIn(UnsafeIoApi::class)
    override suspend fun send(piece: Buffer) {
        while (piece.size > 0) {
            val n =
                UnsafeBufferOperations.readFromHead(piece) { bytes, start, end ->
                    channel.write(ByteBuffer.wrap(bytes, start, end - start))
                }
            if (n == 0) await(SelectInterest.WRITE)
        }
    }

    private suspend fun await(interest: SelectInterest) {
        socket.interestOp(interest, true)
        try {
            selector.select(socket, interest)
        } finally {
            socket.interestOp(interest, false)
        }
    }

    override suspend fun finish() {}

    override suspend fun shutdownOutput() {
        channel.shutdownOutput()
    }

    /**
     * Closes the socket. A channel registered with a selector keeps its descriptor until the selector drops the key,
     * so the key is cancelled and the selector woken here (Ktor's `notifyClosed`), which also fails any pending wait.
     */
    fun close() {
        runCatching { channel.close() }
        selector.notifyClosed(socket)
    }

    override fun release() {
        // A cancelled select leaves its continuation registered; whoever selects on the socket next needs the slot.
        for (interest in listOf(SelectInterest.READ, SelectInterest.WRITE)) {
            socket.suspensions.removeSuspension(interest)
            socket.interestOp(interest, false)
        }
    }

    private companion object {
        const val SMALL_READ = 2048

        /** Where a read lands before it moves into the reader's segments: one per thread, never per connection. */
        val readBuffer: ThreadLocal<ByteBuffer> =
            ThreadLocal.withInitial { ByteBuffer.allocateDirect(StreamTransport.MAX_FEED.toInt()) }
    }
}
