package io.kotest.provided

import io.kotest.core.config.AbstractProjectConfig
import kotlin.time.Duration
import kotlin.time.Duration.Companion.minutes
import kotlin.time.Duration.Companion.seconds

/** Every test is bounded in time: a hang is a failure, never a stuck build. */
class ProjectConfig : AbstractProjectConfig() {
    override val timeout: Duration = 60.seconds
    override val invocationTimeout: Duration = 2.minutes
}
