package io.aiostreams.internal

import kotlinx.io.Buffer
import kotlinx.io.UnsafeIoApi
import kotlinx.io.unsafe.UnsafeBufferOperations
import kotlinx.io.unsafe.withData
import java.lang.invoke.MethodHandles
import java.lang.invoke.VarHandle
import java.nio.ByteOrder

/**
 * Finds one byte in a [Buffer] eight bytes at a time: each word of a segment's array is read as one little-endian
 * `Long`, and a word that holds the byte is told apart from one that does not with a few arithmetic steps instead of
 * eight comparisons. This is the search behind every `readLine` and every one-byte `readUntil`.
 */
@OptIn(UnsafeIoApi::class)
internal object ByteFinder {
    private val WORDS: VarHandle = MethodHandles.byteArrayViewVarHandle(LongArray::class.java, ByteOrder.LITTLE_ENDIAN)
    private const val ONES = 0x0101010101010101L
    private const val HIGHS = -0x7f7f7f7f7f7f7f80L // 0x8080808080808080

    /** The index of the first [byte] in [buffer] at or after [from], or -1 when there is none. */
    fun indexOf(
        buffer: Buffer,
        byte: Byte,
        from: Long,
    ): Long {
        if (from >= buffer.size) return -1L
        var found = -1L
        UnsafeBufferOperations.iterate(buffer, from) { context, first, firstStart ->
            var segment = first
            var segmentStart = firstStart
            while (segment != null && found < 0) {
                val base = segmentStart
                context.withData(segment) { bytes, start, end ->
                    val skip = (from - base).coerceAtLeast(0L).toInt()
                    val at = indexOf(bytes, start + skip, end, byte)
                    if (at >= 0) found = base + (at - start)
                    segmentStart = base + (end - start)
                }
                segment = context.next(segment)
            }
        }
        return found
    }

    /** The index of the first [byte] in `bytes[from until to]`, or -1. */
    fun indexOf(
        bytes: ByteArray,
        from: Int,
        to: Int,
        byte: Byte,
    ): Int {
        val pattern = (byte.toLong() and 0xff) * ONES
        var i = from
        while (i <= to - Long.SIZE_BYTES) {
            val word = (WORDS.get(bytes, i) as Long) xor pattern
            // A byte of `word` is zero where the byte was found; the lowest flagged byte is always a true zero,
            // since a borrow only ever runs upwards from one.
            val zeros = (word - ONES) and word.inv() and HIGHS
            if (zeros != 0L) return i + (java.lang.Long.numberOfTrailingZeros(zeros) ushr 3)
            i += Long.SIZE_BYTES
        }
        while (i < to) {
            if (bytes[i] == byte) return i
            i++
        }
        return -1
    }
}
