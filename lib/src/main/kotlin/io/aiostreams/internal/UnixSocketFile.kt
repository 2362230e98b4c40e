package io.aiostreams.internal

import java.nio.file.Files
import java.nio.file.Path

/** A Unix server's socket file: removed on close if it is still the one this server bound (CPython 3.13). */
internal class UnixSocketFile(
    private val path: Path,
) {
    private val inode: Any? = runCatching { Files.getAttribute(path, "unix:ino") }.getOrNull()

    fun remove() {
        runCatching {
            if (inode != null && Files.getAttribute(path, "unix:ino") == inode) Files.deleteIfExists(path)
        }
    }

    companion object {
        /** Removes a socket file a dead server left behind, so that binding can succeed; leaves other files alone. */
        fun removeStale(path: Path) {
            if (Files.exists(path) && !Files.isRegularFile(path) && !Files.isDirectory(path)) {
                Files.deleteIfExists(path)
            }
        }
    }
}
