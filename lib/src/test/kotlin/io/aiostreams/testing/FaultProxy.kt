package io.aiostreams.testing

import java.io.IOException
import java.io.InputStream
import java.io.OutputStream
import java.net.InetAddress
import java.net.InetSocketAddress
import java.net.ServerSocket
import java.net.Socket
import java.util.concurrent.CopyOnWriteArrayList

/**
 * A small TCP proxy on loopback that misbehaves on purpose between two real peers: it forwards each direction
 * [fragment] bytes at a time with [delayMillis] between pieces, and can reset both connections once [resetAfter]
 * bytes went from client to server, or stall (stop forwarding) after [stallAfter] bytes.
 */
class FaultProxy(
    private val target: InetSocketAddress,
    private val fragment: Int = Int.MAX_VALUE,
    private val delayMillis: Long = 0,
    private val resetAfter: Long = Long.MAX_VALUE,
    private val stallAfter: Long = Long.MAX_VALUE,
) : AutoCloseable {
    private val listener = ServerSocket(0, 50, InetAddress.getLoopbackAddress())
    private val sockets = CopyOnWriteArrayList<Socket>()

    /** Where clients connect. */
    val port: Int get() = listener.localPort

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
            val server = Socket(target.address, target.port)
            sockets += client
            sockets += server
            pump(client, server, upstream = true)
            pump(server, client, upstream = false)
        }
    }

    private fun pump(
        from: Socket,
        to: Socket,
        upstream: Boolean,
    ) {
        Thread {
            val input: InputStream = from.getInputStream()
            val output: OutputStream = to.getOutputStream()
            val buffer = ByteArray(16 * 1024)
            var forwarded = 0L
            try {
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
                        if (upstream && forwarded >= stallAfter) {
                            Thread.sleep(Long.MAX_VALUE)
                        }
                        var piece = minOf(fragment, n - offset)
                        if (upstream &&
                            resetAfter != Long.MAX_VALUE
                        ) {
                            piece = minOf(piece.toLong(), resetAfter - forwarded).toInt()
                        }
                        if (upstream &&
                            stallAfter != Long.MAX_VALUE
                        ) {
                            piece = minOf(piece.toLong(), stallAfter - forwarded).toInt()
                        }
                        output.write(buffer, offset, piece)
                        output.flush()
                        offset += piece
                        forwarded += piece
                        if (delayMillis > 0) Thread.sleep(delayMillis)
                    }
                }
            } catch (_: IOException) {
                runCatching { to.close() }
            } catch (_: InterruptedException) {
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
