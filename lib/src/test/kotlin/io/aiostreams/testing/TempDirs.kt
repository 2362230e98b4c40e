package io.aiostreams.testing

import java.nio.file.Files
import java.nio.file.Path
import java.util.Collections

/** Temporary folders for tests (socket files, certificates, server configs), removed with everything in them at exit. */
object TempDirs {
    private val made: MutableList<Path> = Collections.synchronizedList(mutableListOf())

    init {
        Runtime.getRuntime().addShutdownHook(Thread { synchronized(made) { made.forEach(::removeTree) } })
    }

    /** A new folder named after [prefix], gone when the test JVM exits. */
    @JvmStatic
    fun create(prefix: String): Path = Files.createTempDirectory(prefix).also { made.add(it) }

    private fun removeTree(root: Path) {
        runCatching {
            Files.walk(root).use { paths ->
                paths.sorted(Comparator.reverseOrder()).forEach { Files.deleteIfExists(it) }
            }
        }
    }
}
