package io.aiostreams.testing

import kotlinx.coroutines.CoroutineDispatcher
import java.util.ArrayDeque
import kotlin.coroutines.CoroutineContext

/**
 * A single-threaded event loop under the test's control: coroutines run only inside [runUntilIdle], which plays the
 * role of "let asyncio's loop run until nothing can make progress".
 */
class QueueDispatcher : CoroutineDispatcher() {
    private val queue = ArrayDeque<Runnable>()

    override fun dispatch(
        context: CoroutineContext,
        block: Runnable,
    ) {
        queue.addLast(block)
    }

    fun runUntilIdle() {
        while (true) {
            val next = queue.pollFirst() ?: return
            next.run()
        }
    }
}
