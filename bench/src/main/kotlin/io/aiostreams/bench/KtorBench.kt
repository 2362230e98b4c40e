package io.aiostreams.bench

import io.aiostreams.bench.BenchSpec.CHUNK
import io.aiostreams.bench.BenchSpec.FANIN_ROUND_TRIPS
import io.aiostreams.bench.BenchSpec.HOST
import io.aiostreams.bench.BenchSpec.LINES_PER_WRITE
import io.aiostreams.bench.BenchSpec.check
import io.aiostreams.bench.BenchSpec.secondsSince
import io.ktor.network.selector.SelectorManager
import io.ktor.network.sockets.Socket
import io.ktor.network.sockets.aSocket
import io.ktor.network.sockets.openReadChannel
import io.ktor.network.sockets.openWriteChannel
import io.ktor.utils.io.ByteReadChannel
import io.ktor.utils.io.ByteWriteChannel
import io.ktor.utils.io.readAvailable
import io.ktor.utils.io.readFully
import io.ktor.utils.io.readLineStrict
import io.ktor.utils.io.readLong
import io.ktor.utils.io.writeFully
import io.ktor.utils.io.writeLong
import io.ktor.utils.io.writeStringUtf8
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.launch
import kotlinx.coroutines.runBlocking

/**
 * The raw ktor-network peer of the benchmark: the same workloads written directly on Ktor's sockets and byte
 * channels (`readAvailable`, `readLineStrict`, `readFully`, `flush`), as a Ktor user would write them.
 */
object KtorBench {
    private const val PEER = "ktor"
    private val selector: SelectorManager by lazy { SelectorManager(Dispatchers.IO) }

    /** One connected socket with its two channels. */
    private class Conn(
        val socket: Socket,
    ) {
        val input: ByteReadChannel = socket.openReadChannel()
        val output: ByteWriteChannel = socket.openWriteChannel(autoFlush = false)

        suspend fun close() {
            socket.close()
            socket.socketContext.join()
        }
    }

    /** Serves [workload] on 127.0.0.1:[port] until the process is killed. */
    @JvmStatic
    fun server(
        workload: String,
        port: Int,
    ): Unit =
        runBlocking {
            val handler: suspend (Conn) -> Unit =
                when (workload) {
                    "W1" -> ::serveBulk
                    "W2" -> ::serveLines
                    "W3", "W5" -> ::servePingPong
                    "W4" -> ::serveChurn
                    else -> throw IllegalArgumentException("unknown workload: $workload (W1 to W5)")
                }
            val listener = aSocket(selector).tcp().bind(HOST, port) { backlogSize = BenchSpec.BACKLOG }
            while (true) {
                val conn = Conn(listener.accept())
                launch(Dispatchers.Default) {
                    try {
                        handler(conn)
                    } finally {
                        conn.close()
                    }
                }
            }
        }

    private suspend fun serveBulk(c: Conn) {
        val buffer = ByteArray(CHUNK)
        var count = 0L
        while (true) {
            val n = c.input.readAvailable(buffer)
            if (n < 0) break
            count += n
        }
        c.output.writeLong(count)
        c.output.flush()
    }

    private suspend fun serveLines(c: Conn) {
        var count = 0L
        while (c.input.readLineStrict() != null) count++
        c.output.writeStringUtf8("$count\n")
        c.output.flush()
    }

    private suspend fun servePingPong(c: Conn) {
        while (true) {
            val line = c.input.readLineStrict() ?: break
            c.output.writeStringUtf8(line)
            c.output.writeStringUtf8("\n")
            c.output.flush()
        }
    }

    private suspend fun serveChurn(c: Conn) {
        val line = c.input.readLineStrict() ?: return
        c.output.writeStringUtf8(line)
        c.output.writeStringUtf8("\n")
        c.output.flush()
    }

    /** Runs [workload] once against 127.0.0.1:[port] and returns its JSON line. */
    @JvmStatic
    fun client(
        workload: String,
        port: Int,
        size: Long,
    ): String =
        runBlocking {
            when (workload) {
                "W1" -> bulk(port, size)
                "W2" -> lines(port, size.toInt())
                "W3" -> pingPong(port, size.toInt())
                "W4" -> churn(port, size.toInt())
                "W5" -> fanIn(port, size.toInt())
                else -> throw IllegalArgumentException("unknown workload: $workload (W1 to W5)")
            }
        }

    private suspend fun connect(port: Int) = Conn(aSocket(selector).tcp().connect(HOST, port) { noDelay = true })

    private suspend fun bulk(
        port: Int,
        size: Long,
    ): String {
        val chunk = ByteArray(CHUNK) { 'b'.code.toByte() }
        val start = System.nanoTime()
        val c = connect(port)
        var left = size
        while (left > 0) {
            c.output.writeFully(chunk, 0, minOf(left, CHUNK.toLong()).toInt())
            c.output.flush()
            left -= CHUNK
        }
        c.output.flushAndClose()
        val count = c.input.readLong()
        val seconds = secondsSince(start)
        c.close()
        check(count == size, "server counted $count bytes, sent $size")
        return BenchSpec.bulkJson(PEER, size, seconds)
    }

    private suspend fun lines(
        port: Int,
        n: Int,
    ): String {
        val batch = BenchSpec.lines(LINES_PER_WRITE)
        val start = System.nanoTime()
        val c = connect(port)
        var left = n
        while (left > 0) {
            c.output.writeFully(batch, 0, minOf(left, LINES_PER_WRITE) * BenchSpec.LINE_LENGTH)
            c.output.flush()
            left -= LINES_PER_WRITE
        }
        c.output.flushAndClose()
        val count = c.input.readLineStrict()?.trim()?.toLong()
        val seconds = secondsSince(start)
        c.close()
        check(count == n.toLong(), "server counted $count lines, sent $n")
        return BenchSpec.json(PEER, "W2", "lines/s", n / seconds, mapOf("lines" to n, "seconds" to seconds))
    }

    private suspend fun pingPong(
        c: Conn,
        n: Int,
        times: LongArray?,
    ) {
        val message = BenchSpec.message()
        val reply = ByteArray(message.size)
        for (i in 0 until n) {
            val t = System.nanoTime()
            c.output.writeFully(message)
            c.output.flush()
            c.input.readFully(reply)
            if (times != null) times[i] = System.nanoTime() - t
            check(reply.contentEquals(message), "the echoed message differs")
        }
    }

    private suspend fun pingPong(
        port: Int,
        n: Int,
    ): String {
        val c = connect(port)
        val times = LongArray(n)
        val start = System.nanoTime()
        pingPong(c, n, times)
        val seconds = secondsSince(start)
        c.close()
        return BenchSpec.pingPongJson(PEER, seconds, times)
    }

    private suspend fun churn(
        port: Int,
        n: Int,
    ): String {
        val ping = "ping\n".toByteArray()
        val start = System.nanoTime()
        repeat(n) {
            val c = connect(port)
            c.output.writeFully(ping)
            c.output.flush()
            val line = c.input.readLineStrict()
            check(line == "ping", "unexpected reply $line")
            c.close()
        }
        val seconds = secondsSince(start)
        return BenchSpec.json(PEER, "W4", "conns/s", n / seconds, mapOf("connections" to n, "seconds" to seconds))
    }

    private suspend fun fanIn(
        port: Int,
        conns: Int,
    ): String {
        val start = System.nanoTime()
        coroutineScope {
            val connections = (1..conns).map { async { connect(port) } }.awaitAll()
            connections.map { async { pingPong(it, FANIN_ROUND_TRIPS, null) } }.awaitAll()
            connections.map { async { it.close() } }.awaitAll()
        }
        val seconds = secondsSince(start)
        return BenchSpec.fanInJson(PEER, conns, seconds)
    }
}
