package io.aiostreams.internal

/**
 * What a [ReaderCore] asks of whatever feeds it: stop and restart delivering data (CPython's
 * `transport.pause_reading()` / `resume_reading()`).
 *
 * Both are called with the reader's lock held: an implementation must only record the request (set a flag, wake a
 * pump) and never call back into the reader from inside. Throwing [UnsupportedOperationException] from
 * [pauseReading] makes the reader forget the transport and stop flow control for good, as CPython does on
 * `NotImplementedError`.
 */
internal interface ReadTransport {
    fun pauseReading()

    fun resumeReading()

    /**
     * Asked **without the reader's lock**, by a read of any kind that found too little buffered and would park: on
     * the transport's loop, reads the socket now if its last read left it full, delivering into the reader as the
     * loop would (bytes, end of stream or failure), instead of parking the read until the loop next selects. [n] is
     * the size of a waiting `read(n)` (the socket read may be its result), 0 for other reads. Does nothing on other
     * threads.
     */
    fun readInline(n: Int) {}

    /**
     * Whether [readInline] would read the socket now. Asked **with the reader's lock held**, so it only looks: a read
     * that would park asks the transport to read only when it says yes, and otherwise parks in the same locked step.
     */
    fun mayReadInline(): Boolean = false
}
