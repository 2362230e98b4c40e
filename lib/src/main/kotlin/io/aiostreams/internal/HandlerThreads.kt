package io.aiostreams.internal

import java.lang.invoke.MethodHandles
import java.lang.invoke.MethodType
import java.util.concurrent.Executor
import java.util.concurrent.Executors
import java.util.concurrent.ThreadFactory
import java.util.concurrent.atomic.AtomicInteger

/**
 * Where blocking handlers run by default: a new virtual thread each on Java 21+, found through a method handle so
 * that the library still targets Java 17; on Java 17, a cached pool of daemon threads (a thread per connection).
 */
internal object HandlerThreads {
    private val virtualFactory: ThreadFactory? =
        try {
            val lookup = MethodHandles.publicLookup()
            val builderType = Class.forName("java.lang.Thread\$Builder")
            val ofVirtualType = Class.forName("java.lang.Thread\$Builder\$OfVirtual")
            val builder = lookup.findStatic(Thread::class.java, "ofVirtual", MethodType.methodType(ofVirtualType))
            val name =
                lookup.findVirtual(
                    builderType,
                    "name",
                    MethodType.methodType(builderType, String::class.java, Long::class.javaPrimitiveType),
                )
            val factory = lookup.findVirtual(builderType, "factory", MethodType.methodType(ThreadFactory::class.java))
            factory.invoke(name.invoke(builder.invoke(), "aiostreams-handler-", 0L)) as ThreadFactory
        } catch (_: ReflectiveOperationException) {
            null
        }

    /** Whether handlers get virtual threads here (Java 21+). */
    val virtual: Boolean get() = virtualFactory != null

    val default: Executor by lazy {
        val factory = virtualFactory
        if (factory != null) {
            Executor { task -> factory.newThread(task).start() }
        } else {
            val count = AtomicInteger()
            Executors.newCachedThreadPool { task ->
                Thread(task, "aiostreams-handler-${count.getAndIncrement()}").apply { isDaemon = true }
            }
        }
    }
}
