package io.aiostreams.bench.soak

import io.aiostreams.Connection
import io.aiostreams.openConnection
import io.aiostreams.testing.FaultProxy
import kotlinx.coroutines.CancellationException
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.delay
import kotlinx.coroutines.launch
import kotlinx.coroutines.withContext
import kotlinx.coroutines.withTimeout
import kotlinx.coroutines.withTimeoutOrNull
import java.io.IOException
import java.net.InetSocketAddress
import java.net.Socket
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.LongAdder
import javax.net.ssl.SSLContext

/**
 * The soak's mix, run against one [SoakServer] until a deadline: 4 pingpong clients (200 round trips per connection),
 * 2 churn clients (a connection per message), a TLS churn client, a bulk client (1 MiB echoed per connection), and a
 * faulty client that takes turns: one-byte fragments with delays and a reset mid-line through a [FaultProxy], a
 * stalled proxy, a connect-and-reset, a half-close, and a TLS client that never speaks (closed at the server's
 * handshake time-out).
 *
 * [completed] counts finished units of work by workload; [errors] counts every unexpected failure, by workload and
 * kind (a fault's expected failure is not one).
 */
class SoakLoad(
    private val plainPort: Int,
    private val tlsPort: Int,
    private val clientTls: SSLContext,
) {
    val completed: MutableMap<String, LongAdder> = ConcurrentHashMap()
    val errors: MutableMap<String, LongAdder> = ConcurrentHashMap()

    private val target = InetSocketAddress(HOST, plainPort)
    private val slow = FaultProxy(target, fragment = 1, delayMillis = 1)
    private val resetting = FaultProxy(target, resetAfter = 10)
    private val stalling = FaultProxy(target, stallAfter = 5)

    /** Runs the mix until [deadline] (a `System.nanoTime()`), then closes the proxies. */
    suspend fun run(deadline: Long) {
        try {
            coroutineScope {
                repeat(4) { launch { loop("pingpong", deadline) { pingpong() } } }
                repeat(2) { launch { loop("churn", deadline) { churn(tls = false) } } }
                launch { loop("tls-churn", deadline) { churn(tls = true) } }
                launch { loop("bulk", deadline) { bulk() } }
                launch {
                    var turn = 0
                    loop("faults", deadline) { fault(turn++ % FAULTS) }
                }
            }
        } finally {
            for (proxy in listOf(slow, resetting, stalling)) proxy.close()
        }
    }

    private suspend fun loop(
        name: String,
        deadline: Long,
        unit: suspend () -> Unit,
    ) {
        while (System.nanoTime() < deadline) {
            try {
                withTimeout(UNIT_TIMEOUT) { unit() }
                completed.computeIfAbsent(name) { LongAdder() }.increment()
            } catch (e: CancellationException) {
                if (e is kotlinx.coroutines.TimeoutCancellationException) error(name, e) else throw e
            } catch (e: Exception) {
                error(name, e)
            }
        }
    }

    private fun error(
        name: String,
        e: Throwable,
    ) {
        errors.computeIfAbsent("$name ${e.javaClass.simpleName}") { LongAdder() }.increment()
    }

    private suspend fun connect(
        port: Int = plainPort,
        tls: Boolean = false,
    ): Connection =
        if (tls) {
            openConnection(HOST, port, ssl = clientTls, serverHostname = "localhost")
        } else {
            openConnection(HOST, port)
        }

    private suspend fun Connection.roundTrip(line: ByteArray) {
        writer.write(line)
        writer.drain()
        val back = reader.readLine()
        if (!back.contentEquals(line)) throw IOException("echo mismatch: ${back.size} bytes for ${line.size}")
    }

    private suspend fun Connection.closeAndWait() {
        writer.close()
        writer.waitClosed()
    }

    private suspend fun pingpong() {
        val conn = connect()
        try {
            val line = "ping ${"p".repeat(57)}\n".toByteArray()
            repeat(200) { conn.roundTrip(line) }
        } finally {
            conn.closeAndWait()
        }
    }

    private suspend fun churn(tls: Boolean) {
        val conn = connect(if (tls) tlsPort else plainPort, tls)
        try {
            conn.roundTrip("hello\n".toByteArray())
        } finally {
            conn.closeAndWait()
        }
    }

    private suspend fun bulk() {
        val conn = connect()
        val line = ByteArray(1024) { if (it == 1023) '\n'.code.toByte() else 'b'.code.toByte() }
        try {
            coroutineScope {
                launch {
                    repeat(1024) {
                        conn.writer.write(line)
                        conn.writer.drain()
                    }
                    conn.writer.writeEof()
                }
                var received = 0L
                while (true) {
                    val chunk = conn.reader.read(65536)
                    if (chunk.isEmpty()) break
                    received += chunk.size
                }
                if (received != 1024L * 1024) throw IOException("bulk echoed $received bytes of ${1024 * 1024}")
            }
        } finally {
            conn.closeAndWait()
        }
    }

    private suspend fun fault(kind: Int) {
        when (kind) {
            // One-byte fragments with 1 ms between them change nothing.
            0 -> {
                val conn = connect(slow.port)
                try {
                    repeat(3) { conn.roundTrip("slow line $it\n".toByteArray()) }
                } finally {
                    conn.closeAndWait()
                }
            }

            // Reset in the middle of a line: the client fails, the server's handler ends.
            1 -> {
                val conn = connect(resetting.port)
                try {
                    conn.writer.write("x".repeat(100).toByteArray() + '\n'.code.toByte())
                    conn.reader.readLine()
                } catch (e: IOException) {
                    // Expected: the proxy reset both connections.
                } finally {
                    conn.writer.abort()
                }
            }

            // A stalled path: nothing comes back; the client gives up and leaves.
            2 -> {
                val conn = connect(stalling.port)
                try {
                    conn.writer.write("stalled line\n".toByteArray())
                    if (withTimeoutOrNull(300) { conn.reader.readLine() } !=
                        null
                    ) {
                        throw IOException("a stalled proxy answered")
                    }
                } finally {
                    conn.closeAndWait()
                }
            }

            // Connect and reset at once.
            3 -> {
                withContext(Dispatchers.IO) {
                    Socket(HOST, plainPort).use { s -> s.setSoLinger(true, 0) }
                }
            }

            // Half-close: every reply still arrives, then the end.
            4 -> {
                val conn = connect()
                try {
                    repeat(5) { conn.writer.write("half $it\n".toByteArray()) }
                    conn.writer.writeEof()
                    repeat(5) {
                        if (!conn.reader.readLine().contentEquals(
                                "half $it\n".toByteArray(),
                            )
                        ) {
                            throw IOException("half-close")
                        }
                    }
                    if (conn.reader.readLine().isNotEmpty()) throw IOException("no end after a half-close")
                } finally {
                    conn.closeAndWait()
                }
            }

            // A TLS client that never speaks is closed at the server's handshake time-out (2 s).
            else -> {
                withContext(Dispatchers.IO) {
                    Socket(HOST, tlsPort).use { s ->
                        s.soTimeout = 5_000
                        val first =
                            try {
                                s.getInputStream().read()
                            } catch (e: java.net.SocketTimeoutException) {
                                throw e
                            } catch (e: IOException) {
                                -1 // Reset: closed too.
                            }
                        if (first >= 0) throw IOException("a silent TLS client got bytes")
                    }
                }
                delay(10)
            }
        }
    }

    private companion object {
        const val HOST = "127.0.0.1"
        const val FAULTS = 6
        const val UNIT_TIMEOUT = 30_000L
    }
}
