package io.aiostreams

import io.aiostreams.testing.ScriptReplay
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import kotlinx.serialization.json.Json
import kotlinx.serialization.json.jsonObject
import java.io.File

/** Replays every script CPython's own StreamReader recorded and demands the same results, step for step. */
class ConformanceVectorsSpec :
    FunSpec({
        val folder = File(System.getProperty("aiostreams.conformance") ?: "src/test/resources/conformance")

        for (name in listOf("vectors-handwritten.jsonl", "vectors-dev.jsonl")) {
            test("everyRecordedScriptReplaysIdentically [$name]") {
                val lines = File(folder, name).readLines().filter { it.isNotBlank() }
                lines.size shouldBeGreaterThan 0
                val mismatches =
                    lines.flatMap { ScriptReplay.mismatches(Json.parseToJsonElement(it).jsonObject) }
                mismatches.take(20).joinToString("\n") shouldBe ""
            }
        }
    })
