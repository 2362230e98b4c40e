package io.aiostreams.testing

import io.aiostreams.StreamReader
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.yield
import kotlin.random.Random

/** How bytes reach a reader: every parsing test runs under each shape. */
enum class FeedShape {
    WHOLE,
    ONE_BYTE_AT_A_TIME,
    SPLIT_INSIDE_SEPARATOR,
    RANDOM_CHUNKS,
    ;

    /** Cuts [data] into the chunks this shape feeds; [separator] tells where "inside the separator" is. */
    fun chunks(
        data: ByteArray,
        separator: ByteArray,
        random: Random = Random(data.contentHashCode()),
    ): List<ByteArray> =
        when (this) {
            WHOLE -> listOf(data)
            ONE_BYTE_AT_A_TIME -> data.map { byteArrayOf(it) }
            RANDOM_CHUNKS -> cut(data, (1 until data.size).filter { random.nextInt(3) == 0 })
            SPLIT_INSIDE_SEPARATOR -> cut(data, cutsInsideSeparators(data, separator))
        }

    private fun cutsInsideSeparators(
        data: ByteArray,
        separator: ByteArray,
    ): List<Int> {
        val cuts = mutableListOf<Int>()
        var i = 0
        while (i <= data.size - separator.size) {
            if (data.copyOfRange(i, i + separator.size).contentEquals(separator)) {
                // One cut after the first byte of the separator (or before a one-byte separator).
                cuts += if (separator.size == 1) i else i + 1
                i += separator.size
            } else {
                i++
            }
        }
        return cuts.filter { it in 1 until data.size }
    }

    private fun cut(
        data: ByteArray,
        cuts: List<Int>,
    ): List<ByteArray> {
        val bounds = listOf(0) + cuts.distinct().sorted() + data.size
        return bounds.zipWithNext { a, b -> data.copyOfRange(a, b) }.filter { it.isNotEmpty() }
    }
}

/**
 * Starts [operation] on [reader], then feeds [data] cut by [shape] (letting the operation run between chunks), then
 * end of stream if [eof]; returns what the operation returned or threw. The operation must be able to finish.
 */
suspend fun <T> StreamReader.fedWith(
    shape: FeedShape,
    data: ByteArray,
    separator: ByteArray = "\n".ascii(),
    eof: Boolean = true,
    operation: suspend StreamReader.() -> T,
): Result<T> =
    coroutineScope {
        val result = async(start = CoroutineStart.UNDISPATCHED) { runCatching { operation() } }
        for (chunk in shape.chunks(data, separator)) {
            feedData(chunk)
            yield()
        }
        if (eof) feedEof()
        result.await()
    }
