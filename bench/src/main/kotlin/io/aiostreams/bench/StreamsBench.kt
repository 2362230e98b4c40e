package io.aiostreams.bench

import io.aiostreams.EventLoop
import io.aiostreams.IncompleteReadError
import io.aiostreams.SslContexts
import io.aiostreams.StreamReader
import io.aiostreams.StreamWriter
import io.aiostreams.bench.BenchSpec.CHUNK
import io.aiostreams.bench.BenchSpec.FANIN_ROUND_TRIPS
import io.aiostreams.bench.BenchSpec.HOST
import io.aiostreams.bench.BenchSpec.LINES_PER_WRITE
import io.aiostreams.bench.BenchSpec.check
import io.aiostreams.bench.BenchSpec.secondsSince
import io.aiostreams.openConnection
import io.aiostreams.startServer
import kotlinx.coroutines.async
import kotlinx.coroutines.awaitAll
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.runBlocking
import java.io.File
import java.nio.ByteBuffer

/** The benchmark workloads on aiostreams' suspend API (the Kotlin twin; the Java one is `java.StreamsBench`). */
object StreamsBench {
    private const val PEER = "aiostreams"

    /**
     * Serves [workload] on 127.0.0.1:[port] until the process is killed; W6 and W7 over TLS with [cert] and [key];
     * the connections spread over [loops] event loops.
     */
    @JvmStatic
    @JvmOverloads
    fun server(
        workload: String,
        port: Int,
        cert: File? = null,
        key: File? = null,
        loops: Int = 1,
    ): Unit =
        runBlocking {
            val handler: suspend (StreamReader, StreamWriter) -> Unit =
                when (workload) {
                    "W1" -> ::serveBulk
                    "W2" -> ::serveLines
                    "W3", "W5" -> ::servePingPong
                    "W4" -> ::serveChurn
                    "W6" -> ::servePrefixedBulk
                    "W7" -> ::serveHandshake
                    else -> throw IllegalArgumentException("unknown workload: $workload (W1 to W7)")
                }
            val ssl =
                if (workload == "W6" || workload == "W7") {
                    BenchSpec.check(cert != null && key != null, "$workload needs --cert and --key")
                    SslContexts.serverContext(cert!!.toPath(), key!!.toPath())
                } else {
                    null
                }
            startServer(
                HOST,
                port,
                ssl = ssl,
                backlog = BenchSpec.BACKLOG,
                loops = loops,
                handler = handler,
            ).serveForever()
        }

    /** W6: an 8-byte length, then that many bytes (TLS cannot half-close); replies the count, closes. */
    private suspend fun servePrefixedBulk(
        reader: StreamReader,
        writer: StreamWriter,
    ) {
        val expected = ByteBuffer.wrap(reader.readExactly(8)).getLong()
        var count = 0L
        while (count < expected) {
            val data = reader.read(CHUNK)
            if (data.isEmpty()) break
            count += data.size
        }
        writer.write(ByteBuffer.allocate(8).putLong(count).array())
        writer.drain()
        writer.close()
        writer.waitClosed()
    }

    /** W7: the handshake is the work; wait for the client to close. */
    private suspend fun serveHandshake(
        reader: StreamReader,
        writer: StreamWriter,
    ) {
        try {
            reader.read()
        } catch (_: java.io.IOException) {
            // openssl s_time resets each connection once its handshake is done: nothing to report.
        } finally {
            writer.close()
        }
    }

    private suspend fun serveBulk(
        reader: StreamReader,
        writer: StreamWriter,
    ) {
        var count = 0L
        while (true) {
            val data = reader.read(CHUNK)
            if (data.isEmpty()) break
            count += data.size
        }
        writer.write(ByteBuffer.allocate(8).putLong(count).array())
        writer.drain()
        writer.close()
        writer.waitClosed()
    }

    private suspend fun serveLines(
        reader: StreamReader,
        writer: StreamWriter,
    ) {
        var count = 0L
        while (reader.readLine().isNotEmpty()) count++
        writer.write("$count\n".toByteArray())
        writer.drain()
        writer.close()
        writer.waitClosed()
    }

    private suspend fun servePingPong(
        reader: StreamReader,
        writer: StreamWriter,
    ) {
        try {
            while (true) {
                val message =
                    try {
                        reader.readUntil(NEWLINE)
                    } catch (e: IncompleteReadError) {
                        if (e.partial.isNotEmpty()) throw e
                        break
                    }
                writer.write(message)
                writer.drain()
            }
        } finally {
            writer.close()
        }
    }

    private suspend fun serveChurn(
        reader: StreamReader,
        writer: StreamWriter,
    ) {
        writer.write(reader.readLine())
        writer.drain()
        writer.close()
        writer.waitClosed()
    }

    /** Runs [workload] once against 127.0.0.1:[port] on the event loop (`asyncio.run`), and returns its JSON line. */
    @JvmStatic
    @JvmOverloads
    fun client(
        workload: String,
        port: Int,
        size: Long,
        caFile: File? = null,
    ): String =
        runBlocking(EventLoop.dispatcher) {
            when (workload) {
                "W1" -> bulk(port, size)
                "W6" -> tlsBulk(port, size, caFile ?: throw IllegalArgumentException("W6 needs --cafile"))
                "W2" -> lines(port, size.toInt())
                "W3" -> pingPong(port, size.toInt())
                "W4" -> churn(port, size.toInt())
                "W5" -> fanIn(port, size.toInt())
                else -> throw IllegalArgumentException("unknown workload: $workload (W1 to W6)")
            }
        }

    private suspend fun tlsBulk(
        port: Int,
        size: Long,
        caFile: File,
    ): String {
        val chunk = ByteArray(CHUNK) { 'b'.code.toByte() }
        val start = System.nanoTime()
        val (reader, writer) = openConnection(HOST, port, ssl = SslContexts.clientContext(caFile.toPath()))
        writer.write(ByteBuffer.allocate(8).putLong(size).array())
        var left = size
        while (left > 0) {
            writer.write(if (left >= CHUNK) chunk else chunk.copyOf(left.toInt()))
            writer.drain()
            left -= CHUNK
        }
        val count = ByteBuffer.wrap(reader.readExactly(8)).getLong()
        val seconds = secondsSince(start)
        writer.close()
        check(count == size, "server counted $count bytes, sent $size")
        return BenchSpec.bulkJson(PEER, size, seconds, "W6")
    }

    private suspend fun bulk(
        port: Int,
        size: Long,
    ): String {
        val chunk = ByteArray(CHUNK) { 'b'.code.toByte() }
        val start = System.nanoTime()
        val (reader, writer) = openConnection(HOST, port)
        var left = size
        while (left > 0) {
            writer.write(if (left >= CHUNK) chunk else chunk.copyOf(left.toInt()))
            writer.drain()
            left -= CHUNK
        }
        writer.writeEof()
        val count = ByteBuffer.wrap(reader.readExactly(8)).getLong()
        val seconds = secondsSince(start)
        writer.close()
        check(count == size, "server counted $count bytes, sent $size")
        return BenchSpec.bulkJson(PEER, size, seconds)
    }

    private suspend fun lines(
        port: Int,
        n: Int,
    ): String {
        val batch = BenchSpec.lines(LINES_PER_WRITE)
        val start = System.nanoTime()
        val (reader, writer) = openConnection(HOST, port)
        var left = n
        while (left > 0) {
            writer.write(if (left >= LINES_PER_WRITE) batch else BenchSpec.lines(left))
            writer.drain()
            left -= LINES_PER_WRITE
        }
        writer.writeEof()
        val count = reader.readLine().decodeToString().trim().toLong()
        val seconds = secondsSince(start)
        writer.close()
        check(count == n.toLong(), "server counted $count lines, sent $n")
        return BenchSpec.json(PEER, "W2", "lines/s", n / seconds, mapOf("lines" to n, "seconds" to seconds))
    }

    private suspend fun pingPong(
        reader: StreamReader,
        writer: StreamWriter,
        n: Int,
        times: LongArray?,
    ) {
        val message = BenchSpec.message()
        for (i in 0 until n) {
            val t = System.nanoTime()
            writer.write(message)
            writer.drain()
            val reply = reader.readExactly(message.size)
            if (times != null) times[i] = System.nanoTime() - t
            check(reply.contentEquals(message), "the echoed message differs")
        }
    }

    private suspend fun pingPong(
        port: Int,
        n: Int,
    ): String {
        val (reader, writer) = openConnection(HOST, port)
        val times = LongArray(n)
        val start = System.nanoTime()
        pingPong(reader, writer, n, times)
        val seconds = secondsSince(start)
        writer.close()
        writer.waitClosed()
        return BenchSpec.pingPongJson(PEER, seconds, times)
    }

    private suspend fun churn(
        port: Int,
        n: Int,
    ): String {
        val ping = "ping\n".toByteArray()
        val start = System.nanoTime()
        repeat(n) {
            val (reader, writer) = openConnection(HOST, port)
            writer.write(ping)
            val line = reader.readLine()
            check(line.contentEquals(ping), "unexpected reply ${line.decodeToString()}")
            writer.close()
            writer.waitClosed()
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
            val connections = (1..conns).map { async { openConnection(HOST, port) } }.awaitAll()
            connections.map { (r, w) -> async { pingPong(r, w, FANIN_ROUND_TRIPS, null) } }.awaitAll()
            connections.forEach { it.writer.close() }
            connections.forEach { it.writer.waitClosed() }
        }
        val seconds = secondsSince(start)
        return BenchSpec.fanInJson(PEER, conns, seconds)
    }

    private val NEWLINE = byteArrayOf('\n'.code.toByte())
}
