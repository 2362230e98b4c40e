package io.aiostreams.bench

import io.kotest.assertions.withClue
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.File
import java.util.concurrent.TimeUnit

/**
 * The runner's own bookkeeping (`test_run.py`, Python's unittest, with the peers' processes replaced): a failing peer
 * is left out of its workload while the others go on, and no target is judged against it.
 */
class RunnerSpec :
    FunSpec({
        test("theRunnersOwnTestsPass") {
            val process =
                ProcessBuilder("python3", "-m", "unittest", "-v", "test_run")
                    .directory(File("test_run.py").absoluteFile.parentFile)
                    .redirectErrorStream(true)
                    .start()
            val output = process.inputStream.bufferedReader().readText()
            process.waitFor(60, TimeUnit.SECONDS) shouldBe true
            withClue(output) {
                process.exitValue() shouldBe 0
                output shouldContain "Ran 5 tests"
            }
        }
    })
