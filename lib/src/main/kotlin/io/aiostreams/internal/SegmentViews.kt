package io.aiostreams.internal

import kotlinx.io.Buffer
import kotlinx.io.UnsafeIoApi
import kotlinx.io.unsafe.UnsafeBufferOperations
import kotlinx.io.unsafe.readBulk
import java.nio.ByteBuffer

/**
 * Read-only views of a [Buffer]'s first segments, for the JDK calls that take several buffers at once (a gathering
 * write, a TLS record made of several segments) and so need no copy into one buffer first. The array of views is
 * the thread's own, never a connection's.
 */
internal object SegmentViews {
    /** At most this many segments (8 KiB each) per call. */
    private const val MAX_VIEWS = 16

    private val views: ThreadLocal<Array<ByteBuffer?>> = ThreadLocal.withInitial { arrayOfNulls(MAX_VIEWS) }

    /**
     * Calls [action] with views of the first segments of [buffer] (not empty) and how many there are, then consumes
     * from [buffer] the bytes [action] says it took. [action] must not suspend or keep the views.
     */
    @OptIn(UnsafeIoApi::class)
    inline fun read(
        buffer: Buffer,
        action: (views: Array<ByteBuffer?>, count: Int) -> Long,
    ): Long = UnsafeBufferOperations.readBulk(buffer, views.get(), action)

    /** The bytes left in the first [count] of [views]. */
    fun remaining(
        views: Array<ByteBuffer?>,
        count: Int,
    ): Long {
        var total = 0L
        for (i in 0 until count) total += views[i]!!.remaining()
        return total
    }
}
