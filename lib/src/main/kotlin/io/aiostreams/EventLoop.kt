package io.aiostreams

import io.aiostreams.internal.Loop
import kotlinx.coroutines.CoroutineDispatcher

/**
 * The event loop: the one thread that runs the selector every socket of this library is registered with, and every
 * coroutine dispatched to [dispatcher] (CPython's running loop).
 *
 * **Server handlers ([startServer], [startUnixServer]) run on it**, as asyncio runs them on its loop: data reaches a
 * handler without a thread switch. **Code on the loop must not block**: a blocking call (a `Thread.sleep`, a JDBC
 * query, a `CompletableFuture.join()`) stalls every connection of the process, exactly as it would stall an asyncio
 * program. Move such work off the loop with `withContext(Dispatchers.IO) { ... }` (asyncio's `run_in_executor`).
 * Client code may run anywhere; running it on the loop too (`runBlocking(EventLoop.dispatcher) { ... }`, asyncio's
 * `asyncio.run(main())`) saves a thread switch per read, which is what latency-bound programs want.
 *
 * The Java API never runs user callbacks on the loop: a `FutureClientHandler` is called on the options' executor or
 * on `Dispatchers.Default`.
 *
 * A server started with `loops = N` (`StreamOptions.loops` in Java) spreads its connections over this loop and
 * `N - 1` more threads like it (`aiostreams-loop-2`, ...): each connection's reads and handler then run on its own
 * loop, not necessarily this one.
 *
 * Servers take connections off their listening sockets on a thread of their own, `aiostreams-accept` (made when the
 * first server listens, shared by all), as Netty's boss loop does, and hand each to its loop at once: a burst of
 * connects is accepted while the loop serves, rather than overflowing the kernel's accept queue. Nothing of a
 * connection, and no user code, runs there.
 *
 * **Python:** `asyncio.get_running_loop()`, as far as running code on it goes; there is one loop per process, made on
 * first use, on a daemon thread named `aiostreams-loop`.
 */
public object EventLoop {
    /** Runs coroutines on the loop's thread; work dispatched from another thread wakes the loop at once. */
    @JvmStatic
    public val dispatcher: CoroutineDispatcher get() = Loop.dispatcher
}
