package io.aiostreams.internal

import kotlinx.io.Buffer
import kotlinx.io.bytestring.ByteString
import kotlinx.io.indexOf

/**
 * A validated set of separators for `readUntil`, ordered by length (stable), as CPython 3.13 orders a tuple.
 *
 * The search returns the match that **ends first**; on equal ends the shorter separator wins, because it comes first
 * in [byLength] and a later one replaces the current best only when it ends strictly earlier.
 */
internal class Separators private constructor(
    private val byLength: Array<ByteString>,
) {
    val minLength: Int = byLength.first().size
    val maxLength: Int = byLength.last().size

    /** Start index of the winning match found by the last successful [search]. */
    var matchStart: Long = -1L
        private set

    /** End index (exclusive) of the winning match found by the last successful [search]. */
    var matchEnd: Long = -1L
        private set

    /** Searches [buffer] from [offset]; returns true and sets [matchStart] / [matchEnd] when a separator is found. */
    fun search(
        buffer: Buffer,
        offset: Long,
    ): Boolean {
        var bestStart = -1L
        var bestEnd = Long.MAX_VALUE
        for (separator in byLength) {
            val start = find(buffer, separator, offset)
            if (start >= 0) {
                val end = start + separator.size
                if (end < bestEnd) {
                    bestEnd = end
                    bestStart = start
                }
            }
        }
        if (bestStart < 0) return false
        matchStart = bestStart
        matchEnd = bestEnd
        return true
    }

    private fun find(
        buffer: Buffer,
        separator: ByteString,
        offset: Long,
    ): Long =
        if (separator.size == 1) {
            buffer.indexOf(separator[0], offset)
        } else {
            buffer.indexOf(separator, offset)
        }

    companion object {
        private val NEWLINE = Separators(arrayOf(ByteString(byteArrayOf('\n'.code.toByte()))))

        /** The separator of `readLine`. */
        fun newline(): Separators = NEWLINE.copy()

        /** One separator; CPython's `readuntil(separator)` with a bytes-like argument. */
        fun of(separator: ByteArray): Separators {
            require(separator.isNotEmpty()) { "Separator should be at least one-byte string" }
            return Separators(arrayOf(ByteString(separator)))
        }

        /** Several separators; CPython 3.13's `readuntil(tuple)`. Checks in CPython's order. */
        fun of(separators: List<ByteArray>): Separators {
            require(separators.isNotEmpty()) { "Separator should contain at least one element" }
            val sorted = separators.map { ByteString(it) }.sortedBy { it.size }.toTypedArray()
            require(sorted[0].size > 0) { "Separator should be at least one-byte string" }
            return Separators(sorted)
        }
    }

    private fun copy(): Separators = Separators(byLength)
}
