package io.aiostreams

import io.aiostreams.testing.ScriptGenerator
import io.aiostreams.testing.ScriptReplay
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.boolean
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import java.io.File
import java.util.concurrent.TimeUnit
import kotlin.random.Random

/**
 * Runs freshly generated scripts through CPython's own StreamReader (a real `python3` process, started here) and
 * through ours, and demands identical results. The seed is printed on failure; `-Daiostreams.seed=N` replays it.
 */
class DifferentialCPythonSpec :
    FunSpec({
        val oracle =
            File(
                DifferentialCPythonSpec::class.java
                    .getResource("/python/streamreader_oracle.py")!!
                    .toURI(),
            )

        fun python(
            input: String,
            vararg args: String,
        ): List<String> {
            val process = ProcessBuilder(
                "python3",
                oracle.path,
                *args,
            ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
            val writer = Thread { process.outputStream.bufferedWriter().use { it.write(input) } }.apply { start() }
            val output = process.inputStream.bufferedReader().readLines()
            writer.join()
            check(process.waitFor(60, TimeUnit.SECONDS)) { "python3 did not finish" }
            process.exitValue() shouldBe 0
            return output
        }

        test("readerMatchesCPythonOnFreshRandomScripts") {
            val tuples = Json.parseToJsonElement(
                python("", "--version").single(),
            ).jsonObject["tuples"]!!.jsonPrimitive.boolean
            val seed = System.getProperty("aiostreams.seed")?.toLong() ?: Random.nextLong()
            val generator = ScriptGenerator(Random(seed), tuples)
            val scripts = List(1500) { generator.script("diff-$seed-$it") }
            val recorded = python(scripts.joinToString("\n", postfix = "\n"))
            recorded.size shouldBe scripts.size
            val mismatches =
                scripts.zip(recorded).flatMap { (script, line) ->
                    val expected = JsonObject(script + Json.parseToJsonElement(line).jsonObject)
                    ScriptReplay.mismatches(expected).map { "seed $seed: $it\n  steps ${script["steps"]}" }
                }
            mismatches.take(5).joinToString("\n") shouldBe ""
        }
    })
