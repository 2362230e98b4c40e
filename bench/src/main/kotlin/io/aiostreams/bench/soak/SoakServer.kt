package io.aiostreams.bench.soak

import com.sun.management.UnixOperatingSystemMXBean
import io.aiostreams.IncompleteReadError
import io.aiostreams.Server
import io.aiostreams.SslContexts
import io.aiostreams.StreamReader
import io.aiostreams.StreamWriter
import io.aiostreams.startServer
import kotlinx.coroutines.awaitCancellation
import kotlinx.coroutines.runBlocking
import java.io.File
import java.lang.management.ManagementFactory
import java.net.InetSocketAddress
import java.nio.file.Path
import java.util.concurrent.ConcurrentHashMap
import java.util.concurrent.atomic.LongAdder
import kotlin.time.Duration.Companion.seconds

/**
 * The soak's server process: a line echo server in plain TCP and in TLS (handshake time-out 2 s), and a stats port
 * that answers `STATS` with one line of `key=value` pairs: open descriptors, RSS, live heap after a full GC, threads,
 * connections served, and how handlers ended, by kind. Prints `READY <plain> <tls> <stats>` when it listens.
 *
 * Usage: `SoakServer CERT KEY`.
 */
object SoakServer {
    private val ended = ConcurrentHashMap<String, LongAdder>()
    private val served = LongAdder()

    @JvmStatic
    fun main(args: Array<String>) {
        require(args.size == 2) { "usage: SoakServer CERT KEY" }
        val tls = SslContexts.serverContext(Path.of(args[0]), Path.of(args[1]))
        runBlocking {
            val reported = { e: Throwable -> count("reported ${e.javaClass.simpleName}") }
            val plain = startServer("127.0.0.1", 0, exceptionHandler = reported, handler = ::echo)
            val secure =
                startServer(
                    "127.0.0.1",
                    0,
                    ssl = tls,
                    sslHandshakeTimeout = 2.seconds,
                    exceptionHandler = reported,
                    handler = ::echo,
                )
            val stats =
                startServer("127.0.0.1", 0) { reader, writer ->
                    if (reader.readLine().decodeToString().trim() ==
                        "STATS"
                    ) {
                        writer.write((stats() + "\n").toByteArray())
                    }
                    writer.close()
                }
            println("READY ${port(plain)} ${port(secure)} ${port(stats)}")
            System.out.flush()
            awaitCancellation()
        }
    }

    /** Echoes lines until end of stream; counts how the connection ended. */
    private suspend fun echo(
        reader: StreamReader,
        writer: StreamWriter,
    ) {
        val kind =
            try {
                while (true) {
                    val line = reader.readLine()
                    if (line.isEmpty()) break
                    writer.write(line)
                    writer.drain()
                }
                "eof"
            } catch (e: IncompleteReadError) {
                "IncompleteReadError"
            } catch (e: Exception) {
                e.javaClass.simpleName
            }
        count(kind)
        served.increment()
        writer.close()
    }

    private fun count(kind: String) = ended.computeIfAbsent(kind) { LongAdder() }.increment()

    private fun port(server: Server) = (server.addresses.first() as InetSocketAddress).port

    /** One sample of the process, as `key=value` pairs; `ended.<kind>` counts handler endings. */
    private fun stats(): String {
        System.gc()
        val heap = ManagementFactory.getMemoryMXBean().heapMemoryUsage.used
        val os = ManagementFactory.getOperatingSystemMXBean()
        val fds = (os as? UnixOperatingSystemMXBean)?.openFileDescriptorCount ?: -1
        val rss =
            File("/proc/self/status")
                .takeIf { it.canRead() }
                ?.readLines()
                ?.firstOrNull { it.startsWith("VmRSS:") }
                ?.split(Regex("\\s+"))
                ?.get(1)
                ?.toLong()
                ?.times(1024) ?: -1
        val threads = ManagementFactory.getThreadMXBean().threadCount
        val kinds = ended.entries.sortedBy {
            it.key
        }.joinToString(" ") { "ended.${it.key.replace(' ', '_')}=${it.value.sum()}" }
        return "fds=$fds rss=$rss heap=$heap threads=$threads served=${served.sum()} $kinds".trim()
    }
}
