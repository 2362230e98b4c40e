package io.aiostreams.future

import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.asCoroutineDispatcher
import java.util.concurrent.Executor

/** The scope Java views start their futures in: their own supervisor, on [executor] or `Dispatchers.Default`. */
@JvmSynthetic
internal fun futureScope(executor: Executor?): CoroutineScope =
    CoroutineScope(SupervisorJob() + (executor?.asCoroutineDispatcher() ?: Dispatchers.Default))
