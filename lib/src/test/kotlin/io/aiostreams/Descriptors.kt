package io.aiostreams

import com.sun.management.UnixOperatingSystemMXBean
import kotlinx.coroutines.delay
import java.lang.management.ManagementFactory

/** Open file descriptors of this process, as the JDK counts them (Linux, macOS and other Unix systems). */
fun openDescriptors(): Int {
    val os = ManagementFactory.getOperatingSystemMXBean()
    check(os is UnixOperatingSystemMXBean) { "descriptor counting needs a Unix JDK: ${os.javaClass.name}" }
    return os.openFileDescriptorCount.toInt()
}

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
