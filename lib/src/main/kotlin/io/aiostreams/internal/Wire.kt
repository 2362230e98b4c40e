package io.aiostreams.internal

import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.withContext
import kotlinx.io.Buffer
import java.nio.ByteBuffer
import kotlin.coroutines.CoroutineContext

/**
 * One connection's byte stream as a [StreamTransport] drives it: a socket on the loop ([SocketWire]), TLS over
 * another wire ([TlsWire], as CPython's `SSLProtocol` sits between transport and protocol), or a Ktor socket or
 * channel pair handed in by a user ([KtorWire]). The wire owns the connection's lifecycle: what `getExtraInfo`
 * reports, whether it can half-close, and closing and aborting, each in one place. The transport keeps the state
 * (buffers, marks, closing); a wire only moves bytes.
 */
internal interface Wire {
    /** What `getExtraInfo` reports: `peername`, `sockname`, `socket`, and the TLS keys over TLS. */
    val extra: Map<String, Any?>

    /** False over TLS: a TLS stream cannot half-close, and the peer's end of stream ends the connection. */
    val canWriteEof: Boolean

    /** True over TLS, whose write buffer has CPython's larger marks (512 / 128 KiB, pausing at the high mark). */
    val tls: Boolean get() = false

    /** The loop the connection lives on: its reads, its handler and its protocol's callbacks run there. */
    val loop: Loop get() = Loop.main

    /**
     * Where the read pump runs. [runsUserCode] is true when delivering data calls user callbacks (protocols), which
     * run as tasks of the loop (never inside the selector's resume), one at a time across connections.
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
     * Suspends until bytes arrive and hands them to [deliver] (a buffer and how much of it to take: exactly that
     * much); returns false at the peer's end of stream. A broken connection throws.
     */
    suspend fun receive(deliver: (Buffer, Long) -> Unit): Boolean

    /**
     * The socket when the wire can be read by callback (CPython's `_read_ready`): a [ReadPump] feeding a reader has the
     * loop call it back when bytes arrive and takes them with [readNow], with no coroutine per read. Null for wires read
     * by a coroutine (TLS, Ktor).
     */
    val readable: LoopChannel<*>? get() = null

    /**
     * Takes what the socket holds now, without waiting, and hands it to [deliver]: returns the count, 0 when there was
     * nothing, -1 at the peer's end of stream. A broken connection throws. Only where [readable] is set.
     *
     * [whole] is the size of a read waiting on an empty reader (0 when none does): a wire may then take at most that
     * much, in one array of its own that the read can return as it is.
     */
    fun readNow(
        deliver: (Buffer, Long) -> Unit,
        whole: Int = 0,
    ): Int = throw UnsupportedOperationException("not read by callback")

    /**
     * True when the last [readNow] filled all the room it had: the socket may hold more already, and a read that
     * needs bytes now can try it before waiting for the loop. A hint; false for wires not read by callback.
     */
    val mayHaveMore: Boolean get() = false

    /**
     * A [readNow] delivery that can also take an array whole: a wire that read into an array of its own hands it over
     * as it is, with no buffer or segment made around it.
     */
    interface ArrayDelivery : (Buffer, Long) -> Unit {
        /** Takes [bytes] to keep: the wire made them for this delivery and never touches them again. */
        fun takeArray(bytes: ByteArray)
    }

    /**
     * Sends what the wire takes of `data[offset until data.size]` without waiting; returns how much that was. Only a
     * socket takes anything here; other wires leave everything to the write pump.
     */
    fun trySend(
        data: ByteArray,
        offset: Int,
    ): Int = 0

    /**
     * Sends what the wire takes of [data] (from its position, which moves past what was sent) without waiting. Only
     * a socket takes anything here.
     */
    fun trySend(data: ByteBuffer) {}

    /** Sends all of [piece], suspending while the wire cannot take more. */
    suspend fun send(piece: Buffer)

    /** Half-close: the peer reads end of stream, reading goes on. */
    suspend fun shutdownOutput()

    /** Everything was sent: ends the connection cleanly (over TLS, close_notify first) and frees the socket. */
    suspend fun close()

    /** True when closing sends and waits for nothing (a plain socket), so that [closeAtOnce] can do it. */
    val closesAtOnce: Boolean get() = false

    /** [close] without suspending, for a wire that [closesAtOnce]. */
    fun closeAtOnce(): Unit = throw UnsupportedOperationException("this wire closes only by close()")

    /** Frees the socket at once, sending nothing more. */
    suspend fun abort()
}

/**
 * Runs a set-up step on a wire that is already open (the TLS handshake, a protocol factory); **if it throws or is
 * cancelled, the wire is aborted** before the error goes on. The one close-on-failure guard of every connect, accept
 * and `startTls`.
 */
internal suspend inline fun <T> Wire.closingOnFailure(step: (Wire) -> T): T =
    try {
        step(this)
    } catch (e: Throwable) {
        withContext(NonCancellable) { runCatching { abort() } }
        throw e
    }
