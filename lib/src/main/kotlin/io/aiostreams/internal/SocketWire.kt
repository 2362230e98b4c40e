package io.aiostreams.internal

import io.ktor.network.selector.SelectInterest
import kotlinx.coroutines.Dispatchers
import kotlinx.io.Buffer
import kotlinx.io.UnsafeIoApi
import kotlinx.io.transferFrom
import kotlinx.io.unsafe.UnsafeBufferOperations
import java.net.StandardSocketOptions
import java.nio.ByteBuffer
import java.nio.channels.SocketChannel
import kotlin.coroutines.CoroutineContext

/**
 * A wire straight on a connected socket, driven by the [Loop] (CPython's selector transport): no byte channels in
 * between. Bytes are read when the loop says the socket is readable, on the loop's thread, and go straight into the
 * reader; writes go to the socket at once from the writing thread while it takes them, and only what it does not
 * take waits for the write pump.
 */
internal class SocketWire(
    private val socket: LoopChannel<SocketChannel>,
) : Wire {
    private val channel: SocketChannel = socket.channel

    // The addresses are taken now, as CPython's transport does, so that they outlive the socket; the map is built at
    // the first question, which most connections never ask (it would be half of what a connection allocates).
    private val peername = runCatching { channel.remoteAddress }.getOrNull()
    private val sockname = runCatching { channel.localAddress }.getOrNull()
    private var extraMap: Map<String, Any?>? = null

    /** Immutable: a race between two first questions builds two equal maps, harmlessly. */
    override val extra: Map<String, Any?>
        get() =
            extraMap ?: mapOf("peername" to peername, "sockname" to sockname, "socket" to channel).also {
                extraMap = it
            }

    override val canWriteEof: Boolean get() = true

    override val loop: Loop get() = socket.loop

    /**
     * The reader's delivery touches no user code and never blocks, so it runs where the loop resumes it: one
     * thread hop fewer per message. Protocol callbacks are user code: they run as tasks of the loop, one at a time.
     */
    override fun readContext(runsUserCode: Boolean): CoroutineContext =
        if (runsUserCode) loop.dispatcher else Dispatchers.Unconfined

    /**
     * The loop: a resume is dispatched (queued behind the running task, never run inside it), and the pump goes on
     * where the selector and the server handlers are, not on a pool thread.
     */
    override fun resumeContext(runsUserCode: Boolean): CoroutineContext = loop.dispatcher

    /**
     * The loop, as in CPython's transport: bytes the socket did not take wait for the loop to report it writable, and
     * go from its thread. A writer on the loop that keeps the socket full (`write` + `drain` in a row) then costs no
     * thread hop per write, neither to the pump nor back to its `drain()`.
     */
    override val writeContext: CoroutineContext get() = loop.dispatcher

    /**
     * The last read took less than it could: the socket was empty then, and the next read waits for the loop. A new
     * connection starts so: a client's peer has sent nothing yet, and a read would only find the socket empty.
     */
    private var drained = true

    override suspend fun receive(deliver: (Buffer, Long) -> Unit): Boolean {
        // One read per readiness, as CPython's transport: a read that would find the socket empty costs a syscall
        // per message; the selector (level-triggered) reports at once whatever arrived since.
        if (drained) {
            drained = false
            socket.await(SelectInterest.READ)
        }
        while (true) {
            val n = readNow(deliver)
            if (n < 0) return false
            if (n > 0) return true
            socket.await(SelectInterest.READ)
        }
    }

    override val readable: LoopChannel<*> get() = socket

    override val mayHaveMore: Boolean get() = !drained

    @OptIn(UnsafeIoApi::class)
    override fun readNow(
        deliver: (Buffer, Long) -> Unit,
        whole: Int,
    ): Int {
        val scratch = readScratch.get()
        val buffer = scratch.landing
        buffer.clear()
        // A large read waits on an empty reader: take no more than it wants, so that the array below is its result.
        val forOneRead = whole > SMALL_READ
        if (forOneRead) buffer.limit(minOf(whole, buffer.capacity()))
        val n = channel.read(buffer)
        if (n <= 0) return n
        drained = n < buffer.limit()
        buffer.flip()
        val small = n <= SMALL_READ || forOneRead
        // A small read gets an array of its own size rather than a pooled 8 KiB segment: with thousands of
        // connections each holding a few bytes, segments would outgrow the pool and become garbage. So does a read
        // for a waiting large read, which takes the array as its result instead of a copy of its bytes. A delivery
        // that takes arrays gets it as it is.
        val bytes = if (small) ByteArray(n).also { buffer.get(it) } else null
        if (bytes != null && deliver is Wire.ArrayDelivery) {
            deliver.takeArray(bytes)
            return n
        }
        // The thread's staging buffer, unless a delivery further up this thread's stack still has bytes in it.
        val staging = if (scratch.staging.size == 0L) scratch.staging else Buffer()
        if (bytes != null) {
            UnsafeBufferOperations.moveToTail(staging, bytes)
        } else {
            staging.transferFrom(buffer)
        }
        try {
            deliver(staging, staging.size)
        } finally {
            staging.clear()
        }
        return n
    }

    /**
     * Small writes leave from the thread's own direct buffer (the JDK copies a heap buffer into one anyway), so that a
     * message costs no wrapper object; large ones go as they are.
     */
    override fun trySend(
        data: ByteArray,
        offset: Int,
    ): Int {
        val length = data.size - offset
        if (length > SMALL_WRITE) return channel.write(ByteBuffer.wrap(data, offset, length))
        val out = writeBuffer.get()
        out.clear()
        out.put(data, offset, length)
        out.flip()
        return channel.write(out)
    }

    override fun trySend(data: ByteBuffer) {
        channel.write(data)
    }

    /** What waits in [piece] leaves in one gathering write per readiness, not a write per segment. */
    override suspend fun send(piece: Buffer) {
        while (piece.size > 0) {
            val n = SegmentViews.read(piece) { views, count -> channel.write(views, 0, count) }
            if (n == 0L) socket.await(SelectInterest.WRITE)
        }
    }

    override suspend fun shutdownOutput() {
        channel.shutdownOutput()
    }

    override suspend fun close() = socket.close()

    override val closesAtOnce: Boolean get() = true

    override fun closeAtOnce() = socket.close()

    override suspend fun abort() = socket.close()

    companion object {
        private const val SMALL_READ = 2048
        private const val SMALL_WRITE = 16 * 1024

        /** Where a small write is copied before it goes: one per thread. */
        private val writeBuffer: ThreadLocal<ByteBuffer> = ThreadLocal.withInitial {
            ByteBuffer.allocateDirect(SMALL_WRITE)
        }

        /**
         * Where a read lands before it moves into the reader's segments, and the buffer that carries it there: one of
         * each per thread, never per connection.
         */
        private val readScratch: ThreadLocal<ReadScratch> = ThreadLocal.withInitial { ReadScratch() }

        /**
         * A connected or accepted [channel] as a wire: registered with [loop], `TCP_NODELAY` on (as CPython sets it)
         * and `SO_KEEPALIVE` as asked. **On failure the channel is closed** before the error goes on.
         */
        fun of(
            channel: SocketChannel,
            keepAlive: Boolean? = null,
            loop: Loop = Loop.main,
        ): SocketWire {
            val socket = LoopChannel.of(channel, loop)
            try {
                configure(channel, keepAlive)
            } catch (e: Throwable) {
                socket.close()
                throw e
            }
            return SocketWire(socket)
        }

        /** `TCP_NODELAY` on TCP sockets, `SO_KEEPALIVE` when asked; Unix sockets have neither. */
        fun configure(
            channel: SocketChannel,
            keepAlive: Boolean?,
        ) {
            if (StandardSocketOptions.TCP_NODELAY !in channel.supportedOptions()) return
            channel.setOption(StandardSocketOptions.TCP_NODELAY, true)
            if (keepAlive != null) channel.setOption(StandardSocketOptions.SO_KEEPALIVE, keepAlive)
        }
    }
}

/** A thread's landing place for socket reads and the staging buffer that hands them on (see [SocketWire.readNow]). */
private class ReadScratch {
    val landing: ByteBuffer = ByteBuffer.allocateDirect(StreamTransport.MAX_FEED.toInt())
    val staging = Buffer()
}
