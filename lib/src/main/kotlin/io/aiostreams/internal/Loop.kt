package io.aiostreams.internal

import io.ktor.network.selector.InterestSuspensionsMap
import io.ktor.network.selector.SelectInterest
import io.ktor.network.selector.Selectable
import io.ktor.network.selector.SelectorManager
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.launch
import java.nio.ByteBuffer
import java.nio.channels.Pipe
import java.nio.channels.SelectableChannel
import java.util.concurrent.Executors
import java.util.concurrent.atomic.AtomicBoolean
import kotlin.coroutines.CoroutineContext

/**
 * The process's event loop (CPython's one loop per thread): one thread that runs Ktor's selector loop and every
 * coroutine dispatched to it. Server handlers run here, so a socket's data reaches its handler without changing
 * threads; work dispatched from another thread wakes the selector through a pipe.
 *
 * Ktor's loop yields to its dispatcher before every `select`: on this one thread a yield runs what is queued and
 * costs nothing more, where a shared pool (`Dispatchers.IO`) could hand the loop to another thread each time.
 */
internal object Loop {
    @Volatile private var thread: Thread? = null
    private val executor = Executors.newSingleThreadExecutor { task -> loopThread(task) }
    private val pipe: Pipe = Pipe.open()
    private val wakePending = AtomicBoolean()

    /** Runs coroutines on the loop's thread. */
    val dispatcher: CoroutineDispatcher = LoopDispatcher()

    /** The one selector every socket of the process shares. */
    val selector: SelectorManager by lazy { SelectorManager(dispatcher).also(::watchWakeups) }

    private fun loopThread(task: Runnable): Thread =
        Thread(task, "aiostreams-loop").also {
            it.isDaemon = true
            thread = it
        }

    private class LoopDispatcher : CoroutineDispatcher() {
        override fun dispatch(
            context: CoroutineContext,
            block: Runnable,
        ) {
            executor.execute(block)
            if (Thread.currentThread() !== thread) wake()
        }

        override fun toString(): String = "aiostreams-loop"
    }

    /** Makes the selector return from `select`, so that the loop runs what was queued from another thread. */
    private fun wake() {
        if (wakePending.compareAndSet(false, true)) pipe.sink().write(ByteBuffer.wrap(WAKE))
    }

    /**
     * Keeps the wake-up pipe registered for good. It is also what keeps Ktor's loop selecting while no socket waits:
     * a channel closed while registered keeps its descriptor (and, for a socket, its connection) until the next
     * select, and Ktor's loop stops selecting when no interest is left.
     */
    private fun watchWakeups(manager: SelectorManager) {
        val source = pipe.source().apply { configureBlocking(false) }
        val wakeups = PipeSelectable(source)
        manager.launch {
            val drain = ByteBuffer.allocate(64)
            while (true) {
                manager.select(wakeups, SelectInterest.READ)
                // Drain first, then allow the next write: a wake-up written in between is never lost.
                do {
                    drain.clear()
                } while (source.read(drain) > 0)
                wakePending.set(false)
            }
        }
    }

    private val WAKE = byteArrayOf(1)

    /** The wake-up pipe's reading end, as Ktor's selector wants it. */
    private class PipeSelectable(
        override val channel: SelectableChannel,
    ) : Selectable {
        override val suspensions = InterestSuspensionsMap()
        override val isClosed: Boolean get() = false
        override val interestedOps: Int = SelectInterest.READ.flag

        override fun interestOp(
            interest: SelectInterest,
            state: Boolean,
        ) {}

        override fun close() {}

        override fun dispose() {}
    }
}
