package io.aiostreams.protocol

import java.nio.ByteBuffer

/**
 * A [Protocol] that receives into buffers it provides instead of arrays made for it: CPython's
 * `asyncio.BufferedProtocol`. For each piece of incoming data, the transport asks for a buffer with [getBuffer],
 * copies as much as fits **starting at the buffer's position (which it advances)**, and reports how much with
 * [bufferUpdated]; it repeats until the piece is delivered. [dataReceived] is never called.
 *
 * The rules of [Protocol] apply: callbacks run on the event loop, one at a time. **A failing [getBuffer] or
 * [bufferUpdated], or a buffer with no room left, is fatal** (`get_buffer() returned an empty buffer`): the
 * connection is aborted and [connectionLost] gets the exception.
 *
 * **Python:** `asyncio.BufferedProtocol`; the buffer is a `java.nio.ByteBuffer` instead of a writable memoryview.
 */
public interface BufferedProtocol : Protocol {
    /**
     * A buffer to receive into, with room between its position and its limit. [sizeHint] is how many bytes wait to be
     * delivered; the buffer may be smaller or larger. **Python:** `get_buffer(sizehint)`.
     */
    public fun getBuffer(sizeHint: Int): ByteBuffer

    /**
     * [nbytes] bytes were copied into the buffer [getBuffer] returned last, ending at its (advanced) position.
     * **Python:** `buffer_updated(nbytes)`.
     */
    public fun bufferUpdated(nbytes: Int)
}
