package io.aiostreams.internal

import io.ktor.network.sockets.InetSocketAddress
import io.ktor.network.sockets.ServerSocket
import io.ktor.network.sockets.aSocket
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.net.BindException
import java.net.InetAddress

/** Binds one listening socket per address of [host] (every interface for `null` / `""`), or none at all. */
internal suspend fun bindTcp(
    host: String?,
    port: Int,
    backlog: Int,
    reuseAddress: Boolean,
    reusePort: Boolean,
): List<ServerSocket> {
    val hosts =
        if (host.isNullOrEmpty()) {
            listOf(null)
        } else {
            withContext(Dispatchers.IO) { InetAddress.getAllByName(host) }.map { it.hostAddress }.distinct()
        }
    val bound = mutableListOf<ServerSocket>()
    try {
        for (address in hosts) bound += bindOne(address, port, backlog, reuseAddress, reusePort)
    } catch (e: Throwable) {
        bound.forEach { it.close() }
        throw e
    }
    return bound
}

private suspend fun bindOne(
    address: String?,
    port: Int,
    backlog: Int,
    reuseAddress: Boolean,
    reusePort: Boolean,
): ServerSocket {
    // Every interface: the IPv6 wildcard is dual-stack on the JDK; fall back to IPv4 where IPv6 is off.
    val tries = if (address == null) listOf("::", "0.0.0.0") else listOf(address)
    var failure: Exception? = null
    for (candidate in tries) {
        try {
            return aSocket(Loop.selector).tcp().bind(InetSocketAddress(candidate, port)) {
                this.reuseAddress = reuseAddress
                this.reusePort = reusePort
                backlogSize = backlog
            }
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            failure = e
        }
    }
    val e = failure!!
    throw BindException("error while attempting to bind on address ('${address ?: ""}', $port): ${e.message}").apply {
        initCause(e)
    }
}
