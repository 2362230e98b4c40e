package io.aiostreams.bench

import java.io.IOException
import java.net.InetSocketAddress
import java.net.StandardSocketOptions
import java.nio.ByteBuffer
import java.nio.channels.SelectionKey
import java.nio.channels.Selector
import java.nio.channels.ServerSocketChannel
import java.nio.channels.SocketChannel

/**
 * The JVM's floor for W1, W2 and W3: no library, no coroutines, one thread per process running a bare NIO selector
 * loop, and only the copies every streams API must make (each read lands in a new heap array, as `read(n)` returns
 * one; each line of W2 is copied into an array of its own, as `readLine()` returns one; each write leaves from a heap
 * array). What it reaches bounds what any JVM event-loop library can reach on the
 * same machine, so the runner shows it beside the peers (`--peers ...,nio`). It is a reference, not a peer to
 * imitate: it frames nothing, buffers nothing and handles one workload shape each.
 */
object NioFloor {
    private const val PEER = "nio"

    private fun supported(workload: String) {
        require(workload in setOf("W1", "W2", "W3")) { "the nio floor implements W1, W2 and W3 only, not $workload" }
    }

    @JvmStatic
    fun server(
        workload: String,
        port: Int,
    ) {
        supported(workload)
        val selector = Selector.open()
        val listener = ServerSocketChannel.open()
        listener.bind(InetSocketAddress(BenchSpec.HOST, port), BenchSpec.BACKLOG)
        listener.configureBlocking(false)
        listener.register(selector, SelectionKey.OP_ACCEPT)
        val buffer = ByteBuffer.allocateDirect(BenchSpec.CHUNK)
        val lineInput = ByteBuffer.allocate(BenchSpec.CHUNK)
        while (true) {
            selector.select()
            val keys = selector.selectedKeys().iterator()
            while (keys.hasNext()) {
                val key = keys.next()
                keys.remove()
                if (key.isAcceptable) {
                    val channel = listener.accept() ?: continue
                    channel.configureBlocking(false)
                    channel.setOption(StandardSocketOptions.TCP_NODELAY, true)
                    channel.register(selector, SelectionKey.OP_READ, if (workload == "W2") Lines() else LongArray(1))
                } else if (key.isReadable) {
                    if (workload == "W2") serveLines(key, lineInput) else serve(workload, key, buffer)
                }
            }
        }
    }

    private fun serve(
        workload: String,
        key: SelectionKey,
        buffer: ByteBuffer,
    ) {
        val channel = key.channel() as SocketChannel
        val count = key.attachment() as LongArray
        try {
            buffer.clear()
            val n = channel.read(buffer)
            if (n < 0) {
                if (workload == "W1") writeAll(channel, ByteBuffer.allocate(Long.SIZE_BYTES).putLong(0, count[0]))
                key.cancel()
                channel.close()
                return
            }
            val bytes = ByteArray(n)
            buffer.flip()
            buffer.get(bytes)
            count[0] += n
            // W3's messages are echoed as they came (a 64-byte message fits one read on loopback).
            if (workload == "W3") writeAll(channel, ByteBuffer.wrap(bytes))
        } catch (e: IOException) {
            // A peer that went away (the runner's probe connection, a killed client): only its connection ends.
            key.cancel()
            channel.close()
        }
    }

    /** A W2 connection: lines counted so far, and the start of a line that the last read cut. */
    private class Lines {
        var count = 0L
        var carry = ByteArray(256)
        var carried = 0
    }

    /** W2: every complete line into an array of its own (what `readLine()` returns), counted; the count at EOF. */
    private fun serveLines(
        key: SelectionKey,
        input: ByteBuffer,
    ) {
        val channel = key.channel() as SocketChannel
        val lines = key.attachment() as Lines
        try {
            input.clear()
            val n = channel.read(input)
            if (n < 0) {
                writeAll(channel, ByteBuffer.wrap("${lines.count}\n".toByteArray()))
                key.cancel()
                channel.close()
                return
            }
            val bytes = input.array()
            var start = 0
            for (i in 0 until n) {
                if (bytes[i] != '\n'.code.toByte()) continue
                val line = ByteArray(lines.carried + i + 1 - start)
                System.arraycopy(lines.carry, 0, line, 0, lines.carried)
                System.arraycopy(bytes, start, line, lines.carried, i + 1 - start)
                lines.carried = 0
                lines.count++
                start = i + 1
            }
            val rest = n - start
            if (lines.carried + rest > lines.carry.size) lines.carry = lines.carry.copyOf(2 * (lines.carried + rest))
            System.arraycopy(bytes, start, lines.carry, lines.carried, rest)
            lines.carried += rest
        } catch (e: IOException) {
            key.cancel()
            channel.close()
        }
    }

    /** Writes all of [data], waiting for the socket to drain where it is full (small replies: it rarely is). */
    private fun writeAll(
        channel: SocketChannel,
        data: ByteBuffer,
    ) {
        while (data.hasRemaining()) {
            if (channel.write(data) == 0) Thread.onSpinWait()
        }
    }

    @JvmStatic
    fun client(
        workload: String,
        port: Int,
        amount: Long,
    ): String {
        supported(workload)
        val selector = Selector.open()
        val channel = SocketChannel.open(InetSocketAddress(BenchSpec.HOST, port))
        channel.setOption(StandardSocketOptions.TCP_NODELAY, true)
        channel.configureBlocking(false)
        val key = channel.register(selector, 0)
        try {
            return when (workload) {
                "W1" -> bulk(channel, selector, key, amount)
                "W2" -> lines(channel, selector, key, amount.toInt())
                else -> pingPong(channel, selector, key, amount.toInt())
            }
        } finally {
            channel.close()
            selector.close()
        }
    }

    private fun await(
        selector: Selector,
        key: SelectionKey,
        ops: Int,
    ) {
        key.interestOps(ops)
        selector.select()
        selector.selectedKeys().clear()
        key.interestOps(0)
    }

    private fun bulk(
        channel: SocketChannel,
        selector: Selector,
        key: SelectionKey,
        size: Long,
    ): String {
        val chunk = ByteArray(BenchSpec.CHUNK) { 'b'.code.toByte() }
        val start = System.nanoTime()
        var left = size
        while (left > 0) {
            val out = ByteBuffer.wrap(chunk, 0, minOf(left, chunk.size.toLong()).toInt())
            left -= out.remaining()
            while (out.hasRemaining()) {
                if (channel.write(out) == 0) await(selector, key, SelectionKey.OP_WRITE)
            }
        }
        channel.shutdownOutput()
        val reply = ByteBuffer.allocate(Long.SIZE_BYTES)
        while (reply.hasRemaining()) {
            val n = channel.read(reply)
            BenchSpec.check(n >= 0, "the server closed before its count")
            if (n == 0) await(selector, key, SelectionKey.OP_READ)
        }
        val seconds = BenchSpec.secondsSince(start)
        val counted = reply.getLong(0)
        BenchSpec.check(counted == size, "server counted $counted bytes, sent $size")
        return BenchSpec.bulkJson(PEER, size, seconds)
    }

    private fun lines(
        channel: SocketChannel,
        selector: Selector,
        key: SelectionKey,
        n: Int,
    ): String {
        val batch = BenchSpec.lines(BenchSpec.LINES_PER_WRITE)
        val start = System.nanoTime()
        var left = n
        while (left > 0) {
            val out = ByteBuffer.wrap(if (left >= BenchSpec.LINES_PER_WRITE) batch else BenchSpec.lines(left))
            left -= BenchSpec.LINES_PER_WRITE
            while (out.hasRemaining()) {
                if (channel.write(out) == 0) await(selector, key, SelectionKey.OP_WRITE)
            }
        }
        channel.shutdownOutput()
        val reply = StringBuilder()
        val input = ByteBuffer.allocate(64)
        while (!reply.endsWith("\n")) {
            input.clear()
            val r = channel.read(input)
            BenchSpec.check(r >= 0, "the server closed before its count")
            if (r == 0) await(selector, key, SelectionKey.OP_READ)
            for (i in 0 until r) reply.append(input.get(i).toInt().toChar())
        }
        val seconds = BenchSpec.secondsSince(start)
        val counted = reply.trim().toString().toLong()
        BenchSpec.check(counted == n.toLong(), "server counted $counted lines, sent $n")
        return BenchSpec.json(PEER, "W2", "lines/s", n / seconds, mapOf("lines" to n, "seconds" to seconds))
    }

    private fun pingPong(
        channel: SocketChannel,
        selector: Selector,
        key: SelectionKey,
        n: Int,
    ): String {
        val message = BenchSpec.message()
        val input = ByteBuffer.allocateDirect(BenchSpec.CHUNK)
        // Registered for reading once and for good, as an event loop's transport keeps its socket.
        key.interestOps(SelectionKey.OP_READ)
        val times = LongArray(n)
        val start = System.nanoTime()
        for (i in 0 until n) {
            val t = System.nanoTime()
            val out = ByteBuffer.wrap(message)
            while (out.hasRemaining()) {
                if (channel.write(out) == 0) await(selector, key, SelectionKey.OP_WRITE)
            }
            var got = 0
            while (got < message.size) {
                input.clear()
                val r = channel.read(input)
                BenchSpec.check(r >= 0, "the server closed after $i round trips")
                if (r == 0) {
                    selector.select()
                    selector.selectedKeys().clear()
                    continue
                }
                val bytes = ByteArray(r)
                input.flip()
                input.get(bytes)
                got += r
            }
            times[i] = System.nanoTime() - t
        }
        return BenchSpec.pingPongJson(PEER, BenchSpec.secondsSince(start), times)
    }
}
