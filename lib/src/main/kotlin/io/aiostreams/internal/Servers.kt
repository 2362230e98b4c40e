package io.aiostreams.internal

import io.aiostreams.Server
import io.ktor.network.sockets.UnixSocketAddress
import io.ktor.network.sockets.aSocket
import java.nio.file.Paths

/** Binds [host]:[port] and serves each connection with [opener]: `startServer` and `createServer` alike. */
internal suspend fun serveTcp(
    host: String?,
    port: Int,
    backlog: Int,
    reuseAddress: Boolean,
    reusePort: Boolean,
    keepAlive: Boolean?,
    startServing: Boolean,
    tls: TlsConfig?,
    exceptionHandler: ((Throwable) -> Unit)?,
    opener: ServerEngine.ConnectionOpener,
): Server {
    require(port in 0..65535) { "port must be 0-65535: $port" }
    require(backlog > 0) { "backlog <= 0: $backlog" }
    val listeners = bindTcp(host, port, backlog, reuseAddress, reusePort)
    val engine = ServerEngine(listeners, keepAlive, opener, exceptionHandler, null, tls)
    if (startServing) engine.startServing()
    return Server(engine)
}

/** Binds the Unix socket [path] (removing a stale socket file first) and serves each connection with [opener]. */
internal suspend fun serveUnix(
    path: String,
    backlog: Int,
    startServing: Boolean,
    tls: TlsConfig?,
    exceptionHandler: ((Throwable) -> Unit)?,
    opener: ServerEngine.ConnectionOpener,
): Server {
    require(backlog > 0) { "backlog <= 0: $backlog" }
    val file = Paths.get(path)
    UnixSocketFile.removeStale(file)
    val listener = aSocket(Loop.selector).tcp().bind(UnixSocketAddress(path)) { backlogSize = backlog }
    val engine = ServerEngine(listOf(listener), null, opener, exceptionHandler, UnixSocketFile(file), tls)
    if (startServing) engine.startServing()
    return Server(engine)
}
