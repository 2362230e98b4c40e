package io.aiostreams.internal

import io.aiostreams.StreamReader
import io.aiostreams.StreamWriter
import io.ktor.network.selector.Selectable
import io.ktor.network.sockets.ServerSocket
import io.ktor.network.sockets.Socket
import io.ktor.network.sockets.toJavaAddress
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.CompletableDeferred
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import org.slf4j.LoggerFactory
import java.net.StandardSocketOptions
import java.nio.channels.SocketChannel
import java.nio.file.Files
import java.nio.file.Path

/**
 * CPython's `Server` plus the server half of `StreamReaderProtocol`: accept loops, one handler coroutine per
 * connection, the set of live connections that `waitClosed` waits for, and `serveForever`'s bookkeeping.
 */
internal class ServerEngine(
    private val listeners: List<ServerSocket>,
    private val keepAlive: Boolean?,
    private val opener: ConnectionOpener,
    private val exceptionHandler: ((Throwable) -> Unit)?,
    private val unixSocket: UnixSocketFile?,
    private val tls: TlsConfig?,
) {
    /** Turns an accepted endpoint into a running connection: a stream handler, or a protocol. */
    fun interface ConnectionOpener {
        /** Returns the running connection's transport, or null when it could not be opened (already reported). */
        fun open(
            endpoint: Endpoint,
            scope: CoroutineScope,
            report: (Throwable) -> Unit,
        ): StreamTransport?
    }

    private val lock = Any()
    private val acceptScope = CoroutineScope(SupervisorJob() + Dispatchers.Default)
    private val handlerScope = CoroutineScope(SupervisorJob() + Loop.dispatcher)
    private val clients = LinkedHashSet<StreamTransport>()

    /** Accepted connections not yet in [clients] (opening, or in the TLS handshake): [waitClosed] waits for them too. */
    private var opening = 0
    private var serving = false
    private var closed = false
    private var forever: CompletableDeferred<Unit>? = null
    private val idle = CompletableDeferred<Unit>()

    val addresses: List<java.net.SocketAddress> = listeners.map { it.localAddress.toJavaAddress() }

    fun sockets(): List<java.net.SocketAddress> = synchronized(lock) { if (closed) emptyList() else addresses }

    fun isServing(): Boolean = synchronized(lock) { serving }

    fun startServing() {
        synchronized(lock) {
            if (serving || closed) return
            serving = true
        }
        for (listener in listeners) acceptScope.launch { acceptLoop(listener) }
    }

    private suspend fun acceptLoop(listener: ServerSocket) {
        while (true) {
            val socket =
                try {
                    listener.accept()
                } catch (e: CancellationException) {
                    throw e
                } catch (e: Exception) {
                    if (synchronized(lock) { closed }) return
                    log.warn("accept() failed on {}", listener.localAddress, e)
                    continue
                }
            accepted(socket)
        }
    }

    private fun accepted(socket: Socket) {
        if (!countOpening()) {
            // Accepted in the instant the server closed: CPython stops accepting at close(), so it is dropped.
            socket.close()
            return
        }
        val raw =
            try {
                if (keepAlive != null) {
                    ((socket as? Selectable)?.channel as? SocketChannel)?.setOption(
                        StandardSocketOptions.SO_KEEPALIVE,
                        keepAlive,
                    )
                }
                endpointOf(socket, direct = true)
            } catch (e: Exception) {
                // Reset by the peer before it could be set up: dropped, as CPython drops it.
                val peer = runCatching { socket.remoteAddress }.getOrNull()
                log.debug("A connection from {} could not be set up", peer, e)
                socket.close()
                opened(null)
                return
            }
        if (tls == null) {
            serve(raw)
            return
        }
        handlerScope.launch {
            // CPython calls the handler only once the TLS handshake is done; a failed handshake drops the connection.
            val secured =
                try {
                    tls.server(raw)
                } catch (e: Throwable) {
                    opened(null)
                    if (e !is Exception || e is CancellationException) throw e
                    log.debug("TLS handshake with {} failed", raw.extra["peername"], e)
                    return@launch
                }
            serve(secured)
        }
    }

    private fun serve(endpoint: Endpoint) {
        val transport =
            try {
                opener.open(endpoint, handlerScope, ::report)
            } catch (e: Throwable) {
                opened(null)
                throw e
            }
        opened(transport)
    }

    /** Counts a just-accepted connection as [opening]; false once the server is closed (then it is not counted). */
    private fun countOpening(): Boolean =
        synchronized(lock) {
            if (!closed) opening++
            !closed
        }

    /** Moves a connection from [opening] to [clients] (or drops it when it could not be opened). */
    private fun opened(transport: StreamTransport?) {
        synchronized(lock) {
            opening--
            if (transport != null) clients += transport
        }
        transport?.closed?.invokeOnCompletion {
            synchronized(lock) { clients -= transport }
            checkIdle()
        }
        checkIdle()
    }

    private fun report(error: Throwable) {
        log.error(error.message ?: "Unhandled exception in client_connected_cb", error.cause ?: error)
        try {
            exceptionHandler?.invoke((error as? HandlerFailure)?.cause ?: error)
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
        acceptScope.cancel()
        unixSocket?.remove()
        gate?.cancel()
        checkIdle()
    }

    private fun checkIdle() {
        if (synchronized(lock) { closed && opening == 0 && clients.isEmpty() }) idle.complete(Unit)
    }

    suspend fun waitClosed() {
        idle.await()
    }

    fun closeClients() = snapshot().forEach { it.close() }

    fun abortClients() = snapshot().forEach { it.abort() }

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

    companion object {
        private val log = LoggerFactory.getLogger("io.aiostreams.Server")

        /** The streams API's connections: each runs [handler] with its reader and writer (CPython's start_server). */
        fun streams(
            limit: Int,
            handler: suspend (StreamReader, StreamWriter) -> Unit,
        ) = ConnectionOpener { endpoint, scope, report ->
            val connection = connectionOf(endpoint, limit, serverSide = true)
            val transport = connection.writer.transport
            scope.launch {
                try {
                    handler(connection.reader, connection.writer)
                    // A handler that returns is done with its connection: CPython closes it when the writer is collected.
                    transport.close()
                } catch (e: CancellationException) {
                    transport.close()
                    throw e
                } catch (e: Throwable) {
                    report(HandlerFailure("Unhandled exception in client_connected_cb", e))
                    transport.close()
                }
            }
            transport
        }
    }

    /** A failure to report: the log message CPython uses, and the exception. */
    class HandlerFailure(
        message: String,
        cause: Throwable,
    ) : Exception(message, cause)
}

/** A Unix server's socket file: removed on close if it is still the one this server bound (CPython 3.13). */
internal class UnixSocketFile(
    private val path: Path,
) {
    private val inode: Any? = runCatching { Files.getAttribute(path, "unix:ino") }.getOrNull()

    fun remove() {
        runCatching {
            if (inode != null && Files.getAttribute(path, "unix:ino") == inode) Files.deleteIfExists(path)
        }
    }

    companion object {
        /** Removes a socket file a dead server left behind, so that binding can succeed; leaves other files alone. */
        fun removeStale(path: Path) {
            if (Files.exists(path) && !Files.isRegularFile(path) && !Files.isDirectory(path)) {
                Files.deleteIfExists(path)
            }
        }
    }
}
