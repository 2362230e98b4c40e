package io.aiostreams

import kotlinx.coroutines.delay
import java.io.File

/** Open file descriptors of this process (Linux). */
fun openDescriptors(): Int = File("/proc/self/fd").list()!!.size

/** Waits (up to 20 s) for the descriptor count to come back to [target]; returns the last count seen. */
suspend fun awaitDescriptors(target: Int): Int {
    var now = openDescriptors()
    for (i in 0 until 200) {
        if (now <= target) return now
        System.gc()
        delay(100)
        now = openDescriptors()
    }
    return now
}
