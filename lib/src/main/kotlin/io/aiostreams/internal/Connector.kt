package io.aiostreams.internal

import io.ktor.network.sockets.InetSocketAddress
import io.ktor.network.sockets.aSocket
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.Job
import kotlinx.coroutines.NonCancellable
import kotlinx.coroutines.channels.Channel
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.joinAll
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeoutOrNull
import java.io.IOException
import java.net.ConnectException
import java.net.InetAddress
import kotlin.time.Duration
import java.net.InetSocketAddress as JavaInetSocketAddress

/**
 * CPython's `create_connection` address handling on top of Ktor: resolve every address of [host], try them in order
 * (or staggered, RFC 8305 "Happy Eyeballs", when [happyEyeballsDelay] is set), and report every failure when all fail.
 */
internal suspend fun connectTcp(
    host: String,
    port: Int,
    localAddress: JavaInetSocketAddress?,
    happyEyeballsDelay: Duration?,
    interleave: Int?,
    keepAlive: Boolean?,
): Endpoint {
    val resolved = withContext(Dispatchers.IO) { InetAddress.getAllByName(host) }.toList()
    return connectAddresses(resolved, port, localAddress, happyEyeballsDelay, interleave, keepAlive)
}

/** Tries [resolved] as CPython's `create_connection` tries the results of `getaddrinfo`. */
internal suspend fun connectAddresses(
    resolved: List<InetAddress>,
    port: Int,
    localAddress: JavaInetSocketAddress?,
    happyEyeballsDelay: Duration?,
    interleave: Int?,
    keepAlive: Boolean?,
): Endpoint {
    if (resolved.isEmpty()) throw IOException("getaddrinfo() returned empty list")
    val candidates =
        localAddress?.address?.let { local -> resolved.filter { it.javaClass == local.javaClass } }?.ifEmpty { null }
            ?: resolved
    val first = interleave ?: if (happyEyeballsDelay != null) 1 else 0
    val ordered = if (first > 0) interleaveFamilies(candidates, first) else candidates
    val errors = mutableListOf<Throwable>()
    val attempt: suspend (InetAddress) -> Endpoint = { address -> connectOne(address, port, localAddress, keepAlive) }
    val socket =
        if (happyEyeballsDelay == null || ordered.size == 1) {
            sequential(ordered, attempt, errors)
        } else {
            staggered(ordered, happyEyeballsDelay, attempt, errors)
        }
    return socket ?: throw combined(errors)
}

private suspend fun sequential(
    addresses: List<InetAddress>,
    attempt: suspend (InetAddress) -> Endpoint,
    errors: MutableList<Throwable>,
): Endpoint? {
    for (address in addresses) {
        try {
            return attempt(address)
        } catch (e: CancellationException) {
            throw e
        } catch (e: Exception) {
            errors += e
        }
    }
    return null
}

/** RFC 8305: start the next attempt when the previous one fails or after [delay]; the first to connect wins. */
private suspend fun staggered(
    addresses: List<InetAddress>,
    delay: Duration,
    attempt: suspend (InetAddress) -> Endpoint,
    errors: MutableList<Throwable>,
): Endpoint? =
    coroutineScope {
        val results = Channel<Result<Endpoint>>(Channel.UNLIMITED)
        val jobs = mutableListOf<Job>()
        var started = 0
        var finished = 0

        fun startNext() {
            val address = addresses[started++]
            jobs +=
                launch {
                    val result =
                        try {
                            Result.success(attempt(address))
                        } catch (e: CancellationException) {
                            throw e
                        } catch (e: Exception) {
                            Result.failure(e)
                        }
                    results.send(result)
                }
        }

        startNext()
        var winner: Endpoint? = null
        while (winner == null && finished < addresses.size) {
            val result =
                if (started < addresses.size) {
                    withTimeoutOrNull(delay) { results.receive() } ?: Result.failure(NOT_YET)
                } else {
                    results.receive()
                }
            if (result.exceptionOrNull() === NOT_YET) {
                startNext()
                continue
            }
            finished++
            result.onSuccess { winner = it }.onFailure {
                errors += it
                if (started < addresses.size) startNext()
            }
        }
        // The losers: cancel those still connecting, and close any that connected after the winner.
        jobs.forEach { it.cancel() }
        withContext(NonCancellable) { jobs.joinAll() }
        results.close()
        for (late in results) late.getOrNull()?.close(abort = true)
        winner
    }

private val NOT_YET = IllegalStateException("no attempt finished yet")

private fun interleaveFamilies(
    addresses: List<InetAddress>,
    firstFamilyCount: Int,
): List<InetAddress> {
    val byFamily = addresses.groupBy { it.javaClass }.values.toList()
    if (byFamily.size < 2) return addresses
    val first = byFamily[0]
    val rest = byFamily.drop(1).flatten()
    val out = ArrayList<InetAddress>(addresses.size)
    out += first.take(firstFamilyCount - 1)
    val a = first.drop(firstFamilyCount - 1)
    for (i in 0 until maxOf(a.size, rest.size)) {
        a.getOrNull(i)?.let { out += it }
        rest.getOrNull(i)?.let { out += it }
    }
    return out
}

private suspend fun connectOne(
    address: InetAddress,
    port: Int,
    localAddress: JavaInetSocketAddress?,
    keepAlive: Boolean?,
): Endpoint {
    if (localAddress == null) {
        val socket =
            aSocket(Loop.selector).tcp().connect(InetSocketAddress(address.hostAddress, port)) {
                noDelay = true
                if (keepAlive != null) this.keepAlive = keepAlive
            }
        return endpointOf(socket, direct = true)
    }
    // Ktor's builder cannot bind a local address: connect a JDK channel ourselves (see BoundSocket).
    return BoundSocket.connect(address, port, localAddress, keepAlive)
}

/** CPython's rule: one failure is re-raised; several different ones become one error naming each. */
internal fun combined(errors: List<Throwable>): Throwable {
    if (errors.isEmpty()) return IOException("create_connection failed")
    val messages = errors.map { it.message ?: it.toString() }
    if (messages.distinct().size == 1) return errors.first()
    return ConnectException("Multiple exceptions: " + messages.joinToString(", ")).apply {
        errors.forEach { addSuppressed(it) }
    }
}
