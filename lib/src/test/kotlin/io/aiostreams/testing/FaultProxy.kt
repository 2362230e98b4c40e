package io.aiostreams.testing

import java.io.IOException
import java.io.InputStream
import java.io.OutputStream
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.AtomicInteger

/**
 * A small TCP proxy on loopback that misbehaves on purpose between two real peers: it forwards each direction
 * [fragment] bytes at a time with [delayMillis] between pieces, and can reset both connections once [resetAfter]
 * bytes went from client to server, or stall after [stallAfter] bytes: it then keeps reading from the client but
 * forwards nothing more, until the client leaves. Each connection's sockets are closed, and forgotten, when both
 * directions are done, so a proxy can serve connections for hours.
 */
class FaultProxy(
    private val target: InetSocketAddress,
    private val fragment: Int = Int.MAX_VALUE,
    private val delayMillis: Long = 0,
    private val resetAfter: Long = Long.MAX_VALUE,
    private val stallAfter: Long = Long.MAX_VALUE,
) : AutoCloseable {
    private val listener = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
    private val sockets = ConcurrentHashMap.newKeySet<Socket>()

    /** Where clients connect. */
    val port: Int get() = listener.localPort

    /** Connections whose sockets are still open. */
    val open: Int get() = sockets.size / 2

    init {
        Thread(::accept, "fault-proxy").apply {
            isDaemon = true
            start()
        }
    }

    private fun accept() {
        while (!listener.isClosed) {
            val client =
                try {
                    listener.accept()
                } catch (_: IOException) {
                    return
                }
            val server =
                try {
                    Socket(target.address, target.port)
                } catch (_: IOException) {
                    client.close()
                    continue
                }
            sockets += client
            sockets += server
            val pumps = AtomicInteger(2)
            val done = {
                if (pumps.decrementAndGet() == 0) {
                    for (s in listOf(client, server)) {
                        runCatching { s.close() }
                        sockets -= s
                    }
                }
            }
            pump(client, server, upstream = true, done)
            pump(server, client, upstream = false, done)
        }
    }

    private fun pump(
        from: Socket,
        to: Socket,
        upstream: Boolean,
        done: () -> Unit,
    ) {
        Thread {
            val buffer = ByteArray(16 * 1024)
            var forwarded = 0L
            try {
                // The other direction may have closed both sockets already (a reset): then this one ends at once.
                val input: InputStream = from.getInputStream()
                val output: OutputStream = to.getOutputStream()
                while (true) {
                    val n = input.read(buffer)
                    if (n < 0) {
                        to.shutdownOutput()
                        return@Thread
                    }
                    var offset = 0
                    while (offset < n) {
                        if (upstream && forwarded >= resetAfter) {
                            for (s in listOf(from, to)) {
                                s.setSoLinger(true, 0)
                                s.close()
                            }
                            return@Thread
                        }
                        if (upstream && forwarded >= stallAfter) break
                        var piece = minOf(fragment, n - offset)
                        if (upstream) piece = minOf(piece.toLong(), minOf(resetAfter, stallAfter) - forwarded).toInt()
                        output.write(buffer, offset, piece)
                        output.flush()
                        offset += piece
                        forwarded += piece
                        if (delayMillis > 0) Thread.sleep(delayMillis)
                    }
                }
            } catch (_: IOException) {
                runCatching { to.close() }
                runCatching { from.close() }
            } catch (_: InterruptedException) {
            } finally {
                done()
            }
        }.apply {
            isDaemon = true
            start()
        }
    }

    override fun close() {
        listener.close()
        for (s in sockets) runCatching { s.close() }
    }
}
