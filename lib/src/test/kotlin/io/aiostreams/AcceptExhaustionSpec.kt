package io.aiostreams

import io.aiostreams.testing.ExhaustibleServer
import io.aiostreams.testing.TempDirs
import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldNotBeEmpty
import io.kotest.matchers.ints.shouldBeInRange
import io.kotest.matchers.ints.shouldBeLessThan
import io.kotest.matchers.longs.shouldBeLessThan
import io.kotest.matchers.shouldBe
import java.io.File
import java.net.InetSocketAddress
import java.net.Socket
import java.util.Collections
import java.util.concurrent.TimeUnit
import java.util.jar.JarEntry
import java.util.jar.JarFile
import java.util.jar.JarOutputStream
import kotlin.concurrent.thread

/**
 * A server whose process runs out of descriptors pauses accepting for a second at a time instead of spinning, logs
 * one line per pause, and serves again once descriptors are free. The server runs in a child JVM started through
 * `sh -c 'ulimit -n 64; exec java ...'`.
 */
class AcceptExhaustionSpec :
    FunSpec({
        test("anExhaustedListenerPausesQuietlyAndServesAgainOnceDescriptorsAreFree") {
            val child =
                ProcessBuilder(
                    "sh",
                    "-c",
                    "ulimit -n $LIMIT && exec \"$0\" -cp \"$1\" ${ExhaustibleServer::class.java.name}",
                    File(System.getProperty("java.home"), "bin/java").path,
                    childClasspath(),
                ).start()
            val log = Collections.synchronizedList(mutableListOf<String>())
            val stderr = thread { child.errorStream.bufferedReader().forEachLine { log += it } }
            val clients = mutableListOf<Socket>()
            try {
                val banner = child.inputStream.bufferedReader().readLine() ?: error("the child said nothing: $log")
                val (port, fds) = Regex("""port (\d+) fds (\d+)""").find(banner)!!.destructured
                fds.toInt() shouldBeLessThan LIMIT
                // More clients than the child has descriptors left: those beyond its limit wait in the backlog.
                repeat(LIMIT + 16) {
                    clients += Socket().apply { connect(InetSocketAddress("127.0.0.1", port.toInt()), 5_000) }
                }
                Thread.sleep(1_000)
                val cpuBefore = cpuMillis(child)
                Thread.sleep(WINDOW_MILLIS)
                val cpuDuring = cpuMillis(child) - cpuBefore
                // A listener retrying at once would keep a core busy for the whole window.
                cpuDuring shouldBeLessThan WINDOW_MILLIS / 3
                val pauses = log.filter { "out of system resource" in it }
                withClue("the child's log: $log") { pauses.shouldNotBeEmpty() }
                pauses.size shouldBeInRange 1..6
                log.size shouldBeLessThan 40

                clients.forEach { it.close() }
                clients.clear()
                // Descriptors are free again: a new client is served within a pause or two.
                Socket().use { fresh ->
                    fresh.soTimeout = 10_000
                    fresh.connect(InetSocketAddress("127.0.0.1", port.toInt()), 5_000)
                    fresh.getOutputStream().write("again\n".toByteArray())
                    fresh.getInputStream().bufferedReader().readLine() shouldBe "again"
                }
            } finally {
                clients.forEach { it.close() }
                child.outputStream.close()
                if (!child.waitFor(10, TimeUnit.SECONDS)) child.destroyForcibly()
                stderr.join(5_000)
            }
        }
    }) {
    companion object {
        const val LIMIT = 64
        const val WINDOW_MILLIS = 3_000L

        fun cpuMillis(process: Process): Long =
            process.toHandle().info().totalCpuDuration().orElseThrow { IllegalStateException("no CPU time") }.toMillis()

        /**
         * The few jars the server needs, with the compiled classes packed into one more jar, as a user has them: a
         * child with 64 descriptors cannot open every jar of the test class path, nor one file per class it loads
         * late. Surefire may hand the class path over as one jar whose manifest names the rest.
         */
        fun childClasspath(): String {
            val entries =
                System.getProperty("java.class.path").split(File.pathSeparator).flatMap { entry ->
                    val file = File(entry)
                    val manifestPath =
                        if (file.isFile && file.name.endsWith(".jar")) {
                            JarFile(file).use { it.manifest?.mainAttributes?.getValue("Class-Path") }
                        } else {
                            null
                        }
                    if (manifestPath == null) {
                        listOf(file)
                    } else {
                        manifestPath.split(" ").filter { it.isNotBlank() }.map { File(java.net.URI(it)) }
                    }
                }
            val needed = listOf("kotlin-stdlib", "kotlinx-coroutines-core", "ktor-", "kotlinx-io", "slf4j")
            val jars = entries.filter { e -> e.isFile && needed.any { e.name.startsWith(it) } }
            val classes = entries.filter { it.isDirectory && (it.name == "classes" || it.name == "test-classes") }
            return (jars + jarOf(classes)).joinToString(File.pathSeparator) { it.path }
        }

        private fun jarOf(directories: List<File>): File {
            val jar = File(TempDirs.create("aiostreams-exhaustion").toFile(), "aiostreams-under-test.jar")
            val seen = HashSet<String>()
            JarOutputStream(jar.outputStream()).use { out ->
                for (root in directories) {
                    root.walkTopDown().filter {
                        it.isFile && seen.add(it.relativeTo(root).invariantSeparatorsPath)
                    }.forEach { file ->
                        out.putNextEntry(JarEntry(file.relativeTo(root).invariantSeparatorsPath))
                        file.inputStream().use { it.copyTo(out) }
                        out.closeEntry()
                    }
                }
            }
            return jar
        }
    }
}
