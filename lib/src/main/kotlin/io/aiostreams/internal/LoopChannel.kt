package io.aiostreams.internal

import io.ktor.network.selector.InterestSuspensionsMap
import io.ktor.network.selector.SelectInterest
import io.ktor.network.selector.Selectable
import kotlinx.coroutines.CancellationException
import java.nio.channels.SelectableChannel
import java.nio.channels.ServerSocketChannel
import java.util.concurrent.atomic.AtomicIntegerFieldUpdater

/**
 * A JDK channel this library opened, registered with a [Loop] ([Loop.main] unless a server spreads its connections):
 * the one way a socket, a listener or a connect in progress waits for readiness. The channel is non-blocking from
 * here on.
 */
internal class LoopChannel<C : SelectableChannel>(
    override val channel: C,
    val loop: Loop = Loop.main,
) : Selectable,
    Watched {
    /** The coroutines waiting for readiness; made at the first wait (a socket read by callback may never have one). */
    @Volatile override var waits: InterestSuspensionsMap? = null
        private set

    override val suspensions: InterestSuspensionsMap
        get() = waits ?: synchronized(this) { waits ?: InterestSuspensionsMap().also { waits = it } }

    @Volatile override var onReadable: Runnable? = null
        private set

    /** 1 once closed; an updater's field rather than an `AtomicBoolean`, one object fewer per connection. */
    @Volatile private var closed = 0

    @Volatile private var ops = 0

    override val isClosed: Boolean get() = closed != 0

    override val interestedOps: Int get() = ops

    init {
        channel.configureBlocking(false)
    }

    override fun interestOp(
        interest: SelectInterest,
        state: Boolean,
    ) {
        synchronized(this) { ops = if (state) ops or interest.flag else ops and interest.flag.inv() }
    }

    /**
     * Suspends until the loop sees [interest] ready on the channel. A cancelled wait gives up its slot at once, so that
     * the next wait (after `startTls`, say) can take it.
     */
    suspend fun await(interest: SelectInterest) {
        interestOp(interest, true)
        try {
            loop.selector.select(this, interest)
        } catch (e: CancellationException) {
            suspensions.removeSuspension(interest)
            throw e
        } finally {
            interestOp(interest, false)
        }
    }

    /** What [addReader] watches for: a connection to accept on a listening socket, bytes to read on the others. */
    private val readInterest: SelectInterest
        get() = if (channel is ServerSocketChannel) SelectInterest.ACCEPT else SelectInterest.READ

    override val readOps: Int get() = readInterest.flag

    /**
     * CPython's `add_reader`: from now on the loop calls [callback] on its thread whenever the channel is readable
     * (for a listening socket: whenever a connection waits to be accepted), until [removeReader]. **On the loop's
     * thread only**, and never while a coroutine waits for the same readiness.
     */
    fun addReader(callback: Runnable) {
        onReadable = callback
        interestOp(readInterest, true)
        loop.update(this)
    }

    /** CPython's `remove_reader`: the loop stops watching the channel for reading. On the loop's thread only. */
    fun removeReader() {
        onReadable = null
        interestOp(readInterest, false)
        if (!isClosed) loop.update(this)
    }

    /**
     * Closes the channel and frees its descriptor: the loop drops its key at the next select, and a coroutine still
     * waiting is resumed with a `ClosedChannelException`. A reader by callback ([addReader]) is called once more, as
     * a task of the loop, and its read finds the channel closed. Idempotent.
     */
    override fun close() {
        if (!CLOSED.compareAndSet(this, 0, 1)) return
        runCatching { channel.close() }
        loop.selector.notifyClosed(this)
        ops = 0
        onReadable?.let { reader -> loop.soon { reader.run() } }
    }

    override fun dispose() = close()

    companion object {
        private val CLOSED: AtomicIntegerFieldUpdater<LoopChannel<*>> =
            AtomicIntegerFieldUpdater.newUpdater(LoopChannel::class.java, "closed")

        /** [channel] on [loop]; **closed if it cannot be made non-blocking**. */
        fun <C : SelectableChannel> of(
            channel: C,
            loop: Loop = Loop.main,
        ): LoopChannel<C> =
            try {
                LoopChannel(channel, loop)
            } catch (e: Throwable) {
                runCatching { channel.close() }
                throw e
            }
    }
}
