@file:JvmName("Streams")

package io.aiostreams

/**
 * The default [StreamReader] limit, 64 KiB: the longest line or separator-delimited chunk a reader accepts, and
 * half the buffered size at which a connected reader stops reading from its socket.
 *
 * **Python:** `asyncio.streams._DEFAULT_LIMIT` (`2 ** 16`).
 */
public const val DEFAULT_LIMIT: Int = 65536
