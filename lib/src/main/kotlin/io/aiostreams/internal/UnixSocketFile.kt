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
        /**
         * Removes a socket file a dead server left behind, so that binding can succeed; leaves every other kind of file
         * alone (CPython checks `S_ISSOCK` the same way).
         */
        fun removeStale(path: Path) {
            val mode = runCatching { Files.getAttribute(path, "unix:mode") as Int }.getOrNull() ?: return
            if (mode and S_IFMT == S_IFSOCK) Files.deleteIfExists(path)
        }

        private const val S_IFMT = 0xF000
        private const val S_IFSOCK = 0xC000
    }
}
