package io.aiostreams.internal

import kotlinx.coroutines.CancellationException
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

/**
 * CPython's `create_connection` address handling: try [resolved] in order (or staggered, RFC 8305 "Happy Eyeballs",
 * when [happyEyeballsDelay] is set, interleaving address families as [interleave] says), and report every failure
 * when all fail: as one error ([combined]), or, with [allErrors], every error in one ([everyError]). [attempt] connects one address; the first wire it returns wins, and late winners are aborted.
 */
internal suspend fun tryAddresses(
    resolved: List<InetAddress>,
    happyEyeballsDelay: Duration?,
    interleave: Int?,
    allErrors: Boolean,
    attempt: suspend (InetAddress) -> Wire,
): Wire {
    if (resolved.isEmpty()) throw IOException("getaddrinfo() returned empty list")
    val first = interleave ?: if (happyEyeballsDelay != null) 1 else 0
    val ordered = if (first > 0) interleaveFamilies(resolved, first) else resolved
    val errors = mutableListOf<Throwable>()
    val wire =
        if (happyEyeballsDelay == null || ordered.size == 1) {
            sequential(ordered, attempt, errors)
        } else {
            staggered(ordered, happyEyeballsDelay, attempt, errors)
        }
    return wire ?: throw if (allErrors) everyError(errors) else combined(errors)
}

/** CPython's `all_errors=True`: `ExceptionGroup('create_connection failed', errors)`, here the errors suppressed. */
internal fun everyError(errors: List<Throwable>): IOException =
    IOException("create_connection failed").apply { errors.forEach { addSuppressed(it) } }

private suspend fun sequential(
    addresses: List<InetAddress>,
    attempt: suspend (InetAddress) -> Wire,
    errors: MutableList<Throwable>,
): Wire? {
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
    attempt: suspend (InetAddress) -> Wire,
    errors: MutableList<Throwable>,
): Wire? =
    coroutineScope {
        val results = Channel<Result<Wire>>(Channel.UNLIMITED)
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
        var winner: Wire? = null
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
        // The losers: cancel those still connecting, and abort any that connected after the winner.
        jobs.forEach { it.cancel() }
        withContext(NonCancellable) {
            jobs.joinAll()
            results.close()
            for (late in results) late.getOrNull()?.abort()
        }
        winner
    }

private val NOT_YET = IllegalStateException("no attempt finished yet")

/** RFC 8305 §4: [firstFamilyCount] addresses of the first family, then the families alternate. */
internal fun interleaveFamilies(
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

/** CPython's rule: one failure is re-raised; several different ones become one error naming each. */
internal fun combined(errors: List<Throwable>): Throwable {
    if (errors.isEmpty()) return IOException("create_connection failed")
    val messages = errors.map { it.message ?: it.toString() }
    if (messages.distinct().size == 1) return errors.first()
    return ConnectException("Multiple exceptions: " + messages.joinToString(", ")).apply {
        errors.forEach { addSuppressed(it) }
    }
}
