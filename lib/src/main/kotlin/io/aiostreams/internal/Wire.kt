package io.aiostreams.internal

import kotlinx.io.Buffer
import kotlin.coroutines.CoroutineContext

/**
 * How a [StreamTransport] moves bytes to and from the network: through an [Endpoint]'s Ktor channels
 * ([ChannelWire]), or straight on its socket ([SocketWire]). The transport keeps the state (buffers, marks, closing);
 * a wire only does the I/O.
 */
internal interface Wire {
    /**
     * Where the read pump runs. [runsUserCode] is true when delivering data calls user callbacks (protocols), which
     * must never run on the selector's thread.
     */
    fun readContext(runsUserCode: Boolean): CoroutineContext

    /**
     * Where a paused read pump waits to be resumed and goes on from. Never where the resume comes from: a resume is
     * sent from a reader's thread with the reader's lock held, and must not run the pump inside it.
     */
    fun resumeContext(runsUserCode: Boolean): CoroutineContext

    /** Where the write pump runs. */
    val writeContext: CoroutineContext

    /**
     * Suspends until bytes arrive and hands them to [deliver] (a buffer and how much of it to take at most);
     * returns false at the peer's end of stream. A broken connection throws.
     */
    suspend fun receive(deliver: (Buffer, Long) -> Unit): Boolean

    /** Sends what the socket takes of `data[offset until data.size]` without waiting; returns how much that was. */
    fun trySend(
        data: ByteArray,
        offset: Int,
    ): Int

    /** Sends all of [piece], suspending while the socket cannot take more. */
    suspend fun send(piece: Buffer)

    /** Everything was sent and the connection is about to close. */
    suspend fun finish()

    /** Half-close: the peer reads end of stream, reading goes on. */
    suspend fun shutdownOutput()

    /** The transport stops using this wire (before `startTls` moves the connection onto another one). */
    fun release() {}
}
