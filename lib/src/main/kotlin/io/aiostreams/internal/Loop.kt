package io.aiostreams.internal

import io.ktor.network.selector.InterestSuspensionsMap
import io.ktor.network.selector.SelectInterest
import io.ktor.network.selector.Selectable
import io.ktor.network.selector.SelectorManager
import kotlinx.coroutines.CancellableContinuation
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineDispatcher
import kotlinx.coroutines.CoroutineName
import kotlinx.coroutines.DisposableHandle
import kotlinx.coroutines.ensureActive
import kotlinx.coroutines.suspendCancellableCoroutine
import java.io.IOException
import java.nio.channels.ClosedChannelException
import java.nio.channels.SelectionKey
import java.nio.channels.Selector
import java.nio.channels.spi.SelectorProvider
import java.util.concurrent.atomic.AtomicBoolean
import java.util.function.Consumer
import kotlin.coroutines.CoroutineContext
import kotlin.coroutines.intrinsics.COROUTINE_SUSPENDED
import kotlin.coroutines.intrinsics.suspendCoroutineUninterceptedOrReturn
import kotlin.coroutines.resume
import kotlin.coroutines.resumeWithException

/**
 * An event loop (CPython's `BaseEventLoop._run_once`): one thread that runs the coroutines dispatched to it and polls
 * one NIO [Selector] for the sockets registered with it, as Ktor's [SelectorManager]. Each turn runs the tasks that
 * were ready when it began, then selects: without waiting when more tasks are ready, else until a socket is ready, a
 * timer falls due ([callLater]) or another thread dispatches work ([Selector.wakeup]); the timers due by then run at
 * the next turn.
 *
 * The process has one loop, [main], as asyncio has one per thread: every client, server connection and datagram
 * endpoint lives there, and servers accept on [accepting]. A server started with `loops = N` spreads the connections it accepts over [main] and N - 1 more loops made
 * on first use ([group]) and kept for the process's life: each connection lives on one loop, where its reads, its
 * handler and its callbacks run.
 *
 * An idle loop still selects at least every [POLL_MILLIS]: the JDK frees the descriptor of a channel registered with
 * a selector only when a select drops its key, and a channel closed by code that does not wake the loop (a user
 * closing `getExtraInfo("socket")`, a closer inside Ktor or the JDK) must not hold its descriptor for good.
 *
 * A socket waiting for an event is resumed right inside the turn that saw it; where it runs next is its own
 * dispatcher's choice (the read pumps run on, in the loop; a handler is queued for the same turn's tasks).
 */
internal class Loop private constructor(
    name: String,
) {
    private val nio: Selector = SelectorProvider.provider().openSelector()
    private val lock = Any()
    private var ready = ArrayDeque<Runnable>()
    private var running = ArrayDeque<Runnable>()

    /** Tasks due later ([callLater]), run by the turn after they fall due. */
    private val timers = LoopTimers()

    /** Sockets whose interest changed on another thread: registered by the loop before it next selects. */
    private val interests = ArrayDeque<Selectable>()

    /** Set by the first dispatch from another thread since the loop last woke: one `wakeup()` per turn at most. */
    private val wakeRequested = AtomicBoolean()

    /** Runs coroutines on the loop's thread. */
    val dispatcher: CoroutineDispatcher = LoopDispatcher(name)

    /** The selector every socket registered with this loop shares. */
    val selector: SelectorManager = LoopSelector()

    /** Started once the loop is fully built (the last thing its constructor does): its first turn uses every field. */
    private val thread: Thread = Thread(::loop, name).apply { isDaemon = true }

    /**
     * Completes once the loop has selected after this call: channels closed and cancelled before it have then really
     * released their descriptors (the JDK closes a registered channel only when a select drops its key).
     */
    fun afterNextSelect(): CompletableDeferred<Unit> {
        val done = CompletableDeferred<Unit>()
        // Queued twice: the first task runs before a select, the second after it.
        enqueue(Runnable { enqueue(Runnable { done.complete(Unit) }) })
        return done
    }

    /** True on the loop's own thread. */
    fun inLoop(): Boolean = Thread.currentThread() === thread

    /**
     * Runs [task] on the loop: at once when called there, otherwise at the loop's next turn, after what is queued
     * already. A task run at once overtakes what is queued: where the order of callbacks announced from several
     * threads matters, queue with [soon] (or, as protocols do, run at once only while nothing of theirs is queued).
     */
    inline fun run(crossinline task: () -> Unit) {
        // Inline, so that a task run at once (the usual case) makes no function object.
        if (inLoop()) task() else soon { task() }
    }

    /**
     * Queues [task] behind what is queued already, even on the loop's own thread (CPython's `call_soon`): callbacks
     * announced from several threads then run in the order they were announced.
     */
    fun soon(task: () -> Unit) = enqueue(Runnable(task))

    /**
     * Suspends the caller until a task of the loop resumes it, as a coroutine started on [dispatcher] first runs; a
     * caller whose job is cancelled by then is resumed with its cancellation. A coroutine started undispatched that
     * calls this first is started as if dispatched, without the dispatched wrapper such a start keeps in the
     * coroutine's first frame for its whole life (a connection's handler lives as long as its connection). **For
     * coroutines whose dispatcher is this loop.**
     */
    suspend fun later(): Unit =
        suspendCoroutineUninterceptedOrReturn { cont ->
            enqueue {
                val cancelled =
                    try {
                        cont.context.ensureActive()
                        null
                    } catch (e: CancellationException) {
                        e
                    }
                if (cancelled != null) cont.resumeWithException(cancelled) else cont.resume(Unit)
            }
            COROUTINE_SUSPENDED
        }

    /**
     * Runs [task] on the loop once [delayNanos] have passed (CPython's `call_later`), unless the returned handle is
     * disposed of first. Any thread may call it; a loop asleep past the new due time is woken.
     */
    fun callLater(
        delayNanos: Long,
        task: Runnable,
    ): DisposableHandle {
        val timer = timers.add(delayNanos, task)
        if (!inLoop() && timers.isNext(timer)) wake()
        return timer
    }

    private fun enqueue(task: Runnable) {
        synchronized(lock) { ready.addLast(task) }
        if (!inLoop()) wake()
    }

    private fun wake() {
        if (!wakeRequested.getAndSet(true)) nio.wakeup()
    }

    private fun loop() {
        CURRENT.set(this)
        while (true) {
            try {
                turn()
            } catch (e: Throwable) {
                // A task's own failure; coroutines report theirs themselves. The loop must outlive it.
                val self = Thread.currentThread()
                self.uncaughtExceptionHandler?.uncaughtException(self, e)
            }
        }
    }

    private fun turn() {
        val batch =
            synchronized(lock) {
                val taken = ready
                ready = running
                running = taken
                taken
            }
        while (true) {
            val task = batch.removeFirstOrNull() ?: break
            task.run()
        }
        registerPublished()
        val more = synchronized(lock) { ready.isNotEmpty() || interests.isNotEmpty() }
        // Each ready key goes straight to onReady: no selected-key set to fill, iterate and empty every turn.
        val wait = if (more) 0L else millisUntilNextTimer()
        if (wait == 0L) nio.selectNow(readyKey) else nio.select(readyKey, wait)
        // Any dispatch from now on wakes the next select; its task is queued before it looks at this flag.
        wakeRequested.set(false)
        queueDueTimers()
    }

    /** How long the loop may select: until the next timer falls due (rounded up), at most [POLL_MILLIS]. */
    private fun millisUntilNextTimer(): Long {
        if (timers.isEmpty) return POLL_MILLIS
        // Long.MAX_VALUE when another thread's cancel emptied the heap meanwhile: compared before it is rounded up.
        val nanos = timers.nanosUntilNext(System.nanoTime())
        if (nanos >= POLL_MILLIS * NANOS_PER_MILLI) return POLL_MILLIS
        return (nanos + NANOS_PER_MILLI - 1) / NANOS_PER_MILLI
    }

    /** Queues the timers due now behind the tasks already queued: the next turn runs them. */
    private fun queueDueTimers() {
        if (timers.isEmpty) return
        val now = System.nanoTime()
        while (true) {
            val timer = timers.takeDue(now) ?: return
            synchronized(lock) { ready.addLast(timer) }
        }
    }

    private val readyKey = Consumer<SelectionKey> { onReady(it) }

    /**
     * Makes the selector watch what [selectable] is interested in now: at once on the loop's thread, otherwise before
     * the loop next selects.
     */
    fun update(selectable: Selectable) {
        if (inLoop()) {
            register(selectable)
        } else {
            synchronized(lock) { interests.addLast(selectable) }
            wake()
        }
    }

    private fun registerPublished() {
        while (true) {
            val selectable = synchronized(lock) { interests.removeFirstOrNull() } ?: return
            register(selectable)
        }
    }

    /** Makes the selector watch what [selectable] is interested in now (on the loop's thread only). */
    private fun register(selectable: Selectable) {
        try {
            val channel = selectable.channel
            val ops = selectable.interestedOps
            val key = channel.keyFor(nio)
            if (key == null || !key.isValid) {
                if (ops != 0) channel.register(nio, ops, selectable)
            } else if (key.interestOps() != ops) {
                key.interestOps(ops)
            }
        } catch (e: Throwable) {
            selectable.channel.keyFor(nio)?.cancel()
            failAll(selectable, e)
        }
    }

    private fun onReady(key: SelectionKey) {
        val selectable = key.attachment() as? Selectable
        if (selectable == null) {
            key.cancel()
            return
        }
        try {
            val readyOps = key.readyOps()
            // A callback reader keeps its interest until it removes itself (CPython's add_reader).
            val watched = selectable as? Watched
            val reader = watched?.onReadable
            val kept = if (reader != null) watched.readOps else 0
            // Interest is cleared before waking anyone: a resumed reader may ask for the same interest again at once.
            val interestOps = key.interestOps()
            val left = interestOps and (readyOps and kept.inv()).inv()
            if (left != interestOps) key.interestOps(left)
            if (reader != null && readyOps and kept != 0) reader.run()
            waitsOf(selectable)?.invokeForEachPresent(readyOps) { resume(Unit) }
        } catch (e: Throwable) {
            key.cancel()
            failAll(selectable, e)
        }
    }

    private fun failAll(
        selectable: Selectable,
        cause: Throwable,
    ) = failAll(selectable) { cause }

    /**
     * Resumes every coroutine waiting on [selectable] with the failure [cause] makes, made only if one waits: a
     * closed socket nobody waits on (every connection's normal end) costs no exception and no stack trace.
     */
    private inline fun failAll(
        selectable: Selectable,
        cause: () -> Throwable,
    ) {
        var made: Throwable? = null
        waitsOf(selectable)?.invokeForEachPresent { resumeWithException(made ?: cause().also { made = it }) }
    }

    /** The coroutines waiting on [selectable], without making a map for a channel of ours that never had one. */
    private fun waitsOf(selectable: Selectable): InterestSuspensionsMap? =
        if (selectable is Watched) selectable.waits else selectable.suspensions

    private inner class LoopDispatcher(
        private val name: String,
    ) : CoroutineDispatcher() {
        override fun dispatch(
            context: CoroutineContext,
            block: Runnable,
        ) = enqueue(block)

        override fun toString(): String = name
    }

    /** Ktor's view of the loop: its sockets wait here for readiness. */
    private inner class LoopSelector : SelectorManager {
        override val coroutineContext: CoroutineContext = dispatcher + CoroutineName("aiostreams-selector")
        override val provider: SelectorProvider = nio.provider()

        override suspend fun select(
            selectable: Selectable,
            interest: SelectInterest,
        ) {
            if (selectable.isClosed) throw IOException("Selectable is already closed")
            check(selectable.interestedOps and interest.flag != 0) {
                "select($interest) on a socket not interested in it: ${selectable.interestedOps}"
            }
            suspendCancellableCoroutine { continuation: CancellableContinuation<Unit> ->
                selectable.suspensions.addSuspension(interest, continuation)
                update(selectable)
            }
        }

        override fun notifyClosed(selectable: Selectable) {
            failAll(selectable) { ClosedChannelException() }
            // The descriptor of a registered channel is freed when the selector drops its key: at the next select.
            selectable.channel.keyFor(nio)?.let { key ->
                key.cancel()
                if (!inLoop()) wake()
            }
        }

        /** The loop lives as long as the process. */
        override fun close() {}
    }

    override fun toString(): String = thread.name

    init {
        thread.start()
    }

    companion object {
        /** The longest an idle loop blocks in `select` before it goes round once more. */
        private const val POLL_MILLIS = 100L

        private const val NANOS_PER_MILLI = 1_000_000L

        private val CURRENT = ThreadLocal<Loop>()

        /** The process's loop: clients, listeners, datagram endpoints, and servers' connections by default. */
        val main: Loop = Loop("aiostreams-loop")

        /**
         * Where every server's listening sockets are watched and accepted from, as Netty's boss loop: a burst of
         * connects is taken off the kernel's accept queue (no longer than `somaxconn`) while [main] serves, instead of
         * overflowing it and leaving the peers to retry their SYN a second later. Each connection is handed to its
         * loop at once; nothing of a connection runs here. Made when the first server listens.
         */
        val accepting: Loop by lazy { Loop("aiostreams-accept") }

        /** Loops beyond [main], made by [group] when first needed. */
        private val more = ArrayList<Loop>()

        /** Runs coroutines on [main]. */
        val dispatcher: CoroutineDispatcher get() = main.dispatcher

        /** [main]'s selector. */
        val selector: SelectorManager get() = main.selector

        /** [main]'s `afterNextSelect`. */
        fun afterNextSelect(): CompletableDeferred<Unit> = main.afterNextSelect()

        /** True on the thread of any loop. */
        fun inLoop(): Boolean = CURRENT.get() != null

        /** [main] and the first [size] - 1 other loops, made when first asked for and kept for the process's life. */
        fun group(size: Int): List<Loop> {
            require(size >= 1) { "loops < 1: $size" }
            return synchronized(more) {
                while (more.size < size - 1) more += Loop("aiostreams-loop-${more.size + 2}")
                listOf(main) + more.subList(0, size - 1)
            }
        }
    }
}

/**
 * A channel of this library's own on a loop. It may be read by callback (CPython's `add_reader`): while [onReadable]
 * is set and the channel is interested in reading, the loop calls it on its own thread each time the channel is
 * readable, in place of resuming a coroutine. Coroutines that wait for readiness go in [waits], made at the first.
 */
internal interface Watched {
    val onReadable: Runnable?

    /** The readiness [onReadable] is called for: `OP_READ`, or `OP_ACCEPT` for a listening socket. */
    val readOps: Int

    /** The coroutines waiting for readiness, or null while none ever has (made at the first wait). */
    val waits: InterestSuspensionsMap?
}
