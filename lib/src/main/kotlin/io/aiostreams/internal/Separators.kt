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

    /** The separator's byte when there is one separator, one byte long (`readLine`'s); else -1. */
    val singleByte: Int = if (byLength.size == 1 && minLength == 1) byLength[0][0].toInt() and 0xff else -1

    /**
     * One `readUntil` call's search: the leading bytes known to hold no separator (never scanned again, CPython's
     * offset rule), and the winning match of the last successful [search].
     */
    class Scan {
        var offset: Long = 0L
        var matchStart: Long = -1L
        var matchEnd: Long = -1L
    }

    /**
     * Searches [buffer] from [scan]'s offset; returns true and sets its `matchStart` / `matchEnd` when a separator is
     * found.
     */
    fun search(
        buffer: Buffer,
        scan: Scan,
    ): Boolean {
        var bestStart = -1L
        var bestEnd = Long.MAX_VALUE
        for (separator in byLength) {
            val start = find(buffer, separator, scan.offset)
            if (start >= 0) {
                val end = start + separator.size
                if (end < bestEnd) {
                    bestEnd = end
                    bestStart = start
                }
            }
        }
        if (bestStart < 0) return false
        scan.matchStart = bestStart
        scan.matchEnd = bestEnd
        return true
    }

    private fun find(
        buffer: Buffer,
        separator: ByteString,
        offset: Long,
    ): Long =
        if (separator.size == 1) {
            ByteFinder.indexOf(buffer, separator[0], offset)
        } else {
            buffer.indexOf(separator, offset)
        }

    companion object {
        /** The one-byte separators asked for so far, by byte value: they hold no state, so calls share them. */
        private val single = arrayOfNulls<Separators>(256)

        private val NEWLINE = single('\n'.code.toByte())

        /** The separator of `readLine`. */
        fun newline(): Separators = NEWLINE

        private fun single(byte: Byte): Separators {
            val index = byte.toInt() and 0xff
            return single[index] ?: Separators(arrayOf(ByteString(byte))).also { single[index] = it }
        }

        /** One separator; CPython's `readuntil(separator)` with a bytes-like argument. */
        fun of(separator: ByteArray): Separators {
            require(separator.isNotEmpty()) { "Separator should be at least one-byte string" }
            if (separator.size == 1) return single(separator[0])
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
}
