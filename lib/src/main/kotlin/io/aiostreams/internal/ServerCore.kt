package io.aiostreams.internal

import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import java.io.IOException
import java.net.SocketAddress
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel
import java.util.concurrent.atomic.AtomicInteger

/**
 * A server's lifecycle (CPython's `Server`): accepting on its [listeners], setting up each accepted connection (TLS
 * first, when asked) and handing it to the [opener], the set of live connections that `waitClosed` waits for, and
 * `serveForever`'s bookkeeping.
 */
internal class ServerCore(
    private val listeners: List<LoopChannel<ServerSocketChannel>>,
    private val options: ServeOptions,
    private val opener: ConnectionOpener,
    private val unixSocket: UnixSocketFile? = null,
) {
    /** Turns an accepted wire into a running connection: a stream handler, or a protocol. */
    fun interface ConnectionOpener {
        /** Returns the running connection's transport, or null when it could not be opened (already reported). */
        fun open(
            wire: Wire,
            scope: CoroutineScope,
            report: (Throwable) -> Unit,
        ): StreamTransport?
    }

    private val lock = Any()
    private val acceptScope = CoroutineScope(SupervisorJob() + Loop.accepting.dispatcher)
    private val handlerScope = CoroutineScope(SupervisorJob() + Loop.dispatcher)

    /** The loops accepted connections are spread over, round robin; [Loop.main] alone by default. */
    private val loops = Loop.group(options.loops)
    private val nextLoop = AtomicInteger()

    /** Where the handlers of each loop's connections run: [handlerScope]'s job, on that loop. */
    private val handlerScopes =
        loops.associateWith {
            if (it ===
                Loop.main
            ) {
                handlerScope
            } else {
                CoroutineScope(handlerScope.coroutineContext + it.dispatcher)
            }
        }
    private val clients = LinkedHashSet<StreamTransport>()

    /** Accepted connections not yet in [clients] (opening, or in the TLS handshake): [waitClosed] waits for them too. */
    private val opening = LinkedHashSet<Wire>()
    private var serving = false
    private var closed = false
    private var forever: CompletableDeferred<Unit>? = null
    private val idle = CompletableDeferred<Unit>()

    /** Completes once the closed listening sockets are really closed: a connect after [waitClosed] is refused. */
    @Volatile private var listenersReleased: CompletableDeferred<Unit>? = null

    val addresses: List<SocketAddress> = listeners.map { it.channel.localAddress }

    /** The listening channels, while the server is open. */
    fun sockets(): List<ServerSocketChannel> =
        synchronized(lock) { if (closed) emptyList() else listeners.map { it.channel } }

    fun openAddresses(): List<SocketAddress> = synchronized(lock) { if (closed) emptyList() else addresses }

    fun isServing(): Boolean = synchronized(lock) { serving }

    fun startServing() {
        synchronized(lock) {
            if (serving || closed) return
            serving = true
        }
        val batch = options.backlog.coerceIn(1, MAX_ACCEPT_BATCH)
        for (listener in listeners) Listener.accept(listener, batch, acceptScope, ::accepted)
    }

    private fun accepted(channel: SocketChannel) {
        val raw =
            try {
                val loop = if (loops.size ==
                    1
                ) {
                    Loop.main
                } else {
                    loops[Math.floorMod(nextLoop.getAndIncrement(), loops.size)]
                }
                SocketWire.of(channel, options.keepAlive, loop)
            } catch (e: Exception) {
                // Reset by the peer before it could be set up: dropped, as CPython drops it.
                log.debug("A connection could not be set up", e)
                return
            }
        if (!countOpening(raw)) {
            // Accepted in the instant the server closed: CPython stops accepting at close(), so it is dropped.
            handlerScope.launch(start = CoroutineStart.UNDISPATCHED) { raw.abort() }
            return
        }
        val tls = options.tls
        if (tls == null) {
            // Opened on the connection's own loop: protocols see connection_made() there.
            raw.loop.run { open(raw, raw) }
            return
        }
        handlerScopes.getValue(raw.loop).launch {
            // CPython calls the handler only once the TLS handshake is done; a failed handshake drops the connection.
            val secured =
                try {
                    raw.closingOnFailure { tls.secure(it, serverSide = true) }
                } catch (e: Throwable) {
                    opened(raw, null)
                    if (e is CancellationException) throw e
                    setUpFailed(raw, e)
                    return@launch
                }
            open(raw, secured)
        }
    }

    /**
     * Runs [wire] (accepted as [raw]) through the opener and counts it as a client; drops it when [closeClients] or
     * [abortClients] cut it off on its way here (from the accepting loop, or through its handshake).
     */
    private fun open(
        raw: Wire,
        wire: Wire,
    ) {
        if (synchronized(lock) { raw !in opening }) {
            handlerScope.launch(start = CoroutineStart.UNDISPATCHED) { wire.abort() }
            return
        }
        val transport =
            try {
                opener.open(wire, handlerScopes.getValue(wire.loop), reporter)
            } catch (e: Throwable) {
                opened(raw, null)
                handlerScope.launch(start = CoroutineStart.UNDISPATCHED) { wire.abort() }
                throw e
            }
        opened(raw, transport)
    }

    /**
     * A handshake that failed or timed out is the peer's doing and logged at DEBUG, as CPython logs it; anything else
     * (TLS parameters the engine rejects) is the server's and reported as CPython reports it.
     */
    private fun setUpFailed(
        raw: Wire,
        e: Throwable,
    ) {
        if (e is IOException) {
            log.debug("TLS handshake with {} failed", raw.extra["peername"], e)
        } else {
            report(ReportedFailure("Error on transport creation for incoming connection", e))
        }
    }

    /** Counts a just-accepted connection as opening; false once the server is closed (then it is not counted). */
    private fun countOpening(raw: Wire): Boolean =
        synchronized(lock) {
            if (!closed) opening += raw
            !closed
        }

    /**
     * Moves a connection from opening to [clients] (or drops it when it could not be opened). One cut off by
     * [abortOpening] while it was being opened needs nothing more here: its socket is closed, and a transport over a
     * closed socket loses its connection by itself.
     */
    private fun opened(
        raw: Wire,
        transport: StreamTransport?,
    ) {
        synchronized(lock) {
            opening.remove(raw)
            if (transport != null) clients += transport
        }
        transport?.whenLost(clientLost)
        checkIdle()
    }

    /** A client's connection is lost: one function object for every connection. */
    private val clientLost: (StreamTransport) -> Unit = { transport ->
        synchronized(lock) { clients -= transport }
        checkIdle()
    }

    /** [report] as a function, made once: every connection's handler holds it. */
    private val reporter: (Throwable) -> Unit = ::report

    private fun report(error: Throwable) {
        log.error(error.message ?: "Unhandled exception in client_connected_cb", error.cause ?: error)
        try {
            options.exceptionHandler?.invoke((error as? ReportedFailure)?.cause ?: error)
        } catch (e: Throwable) {
            log.error("The server's exception handler failed", e)
        }
    }

    fun close() {
        val gate =
            synchronized(lock) {
                if (closed) return
                closed = true
                serving = false
                forever
            }
        for (listener in listeners) listener.close()
        listenersReleased = Loop.accepting.afterNextSelect()
        acceptScope.cancel()
        unixSocket?.remove()
        gate?.cancel()
        checkIdle()
    }

    private fun checkIdle() {
        if (synchronized(lock) { closed && opening.isEmpty() && clients.isEmpty() }) idle.complete(Unit)
    }

    suspend fun waitClosed() {
        idle.await()
        listenersReleased?.await()
    }

    /** Closes every live connection; connections still in their TLS handshake are cut off (CPython closes them too). */
    fun closeClients() {
        abortOpening()
        snapshot().forEach { it.close() }
    }

    fun abortClients() {
        abortOpening()
        snapshot().forEach { it.abort() }
    }

    /**
     * Aborts connections accepted but not yet handed to a handler, and forgets them: their handshake fails, or they
     * are dropped where they would have been opened.
     */
    private fun abortOpening() {
        val raws = synchronized(lock) { opening.toList().also { opening.clear() } }
        for (raw in raws) handlerScope.launch(start = CoroutineStart.UNDISPATCHED) { raw.abort() }
        checkIdle()
    }

    private fun snapshot(): List<StreamTransport> = synchronized(lock) { clients.toList() }

    suspend fun serveForever(describe: () -> String): Nothing {
        val gate =
            synchronized(lock) {
                check(forever == null) { "server ${describe()} is already being awaited on serve_forever()" }
                check(!closed) { "server ${describe()} is closed" }
                CompletableDeferred<Unit>().also { forever = it }
            }
        try {
            startServing()
            gate.await()
            error("unreachable: serve_forever's gate never completes normally")
        } catch (e: CancellationException) {
            withContext(NonCancellable) {
                close()
                waitClosed()
            }
            throw e
        } finally {
            synchronized(lock) { forever = null }
        }
    }

    private companion object {
        private val log = Loggers.server

        /** The most connections accepted in one go: Linux's default cap on a backlog (`somaxconn`). */
        private const val MAX_ACCEPT_BATCH = 4096
    }
}
