package io.aiostreams.testing

import io.aiostreams.IncompleteReadError
import io.aiostreams.LimitOverrunError
import io.aiostreams.StreamReader
import io.aiostreams.internal.ReadTransport
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonElement
import kotlinx.serialization.json.JsonNull
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.boolean
import kotlinx.serialization.json.buildJsonArray
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.int
import kotlinx.serialization.json.jsonArray
import kotlinx.serialization.json.jsonObject
import kotlinx.serialization.json.jsonPrimitive
import kotlinx.serialization.json.put
import java.util.IdentityHashMap
import kotlin.coroutines.cancellation.CancellationException

/** The exception kinds a script may store; each `exc` step makes a new instance. */
class InjectedError : Exception()

private fun newInjected(kind: String): Throwable =
    when (kind) {
        "ConnectionResetError" -> java.net.SocketException("Connection reset")
        "BrokenPipeError" -> java.io.IOException("Broken pipe")
        "TimeoutError" -> java.util.concurrent.TimeoutException()
        "OSError" -> java.io.IOException()
        else -> InjectedError()
    }

/**
 * Replays one conformance script (the format of `conformance/README.md`) against our [StreamReader] and returns what
 * was observed in the recorded format: `results`, `flow` and `final`.
 */
class ScriptReplay(
    private val script: JsonObject,
) {
    private val loop = QueueDispatcher()
    private val scope = CoroutineScope(SupervisorJob() + loop)
    private val reader = StreamReader(script["limit"]!!.jsonPrimitive.int)
    private val injected = IdentityHashMap<Throwable, String>()
    private val results = sortedMapOf<Int, JsonObject>()
    private val flow = mutableListOf<JsonArray>()
    private var step = 0

    private inner class Recorder : ReadTransport {
        override fun pauseReading() {
            flow += event("pause")
        }

        override fun resumeReading() {
            flow += event("resume")
        }

        private fun event(what: String) =
            buildJsonArray {
                add(JsonPrimitive(step))
                add(JsonPrimitive(what))
            }

        override fun toString(): String = "<RecordingTransport>"
    }

    fun run(): JsonObject {
        reader.core.setTransport(Recorder())
        val jobs = mutableListOf<Job>()
        val steps = script["steps"]!!.jsonArray
        for ((index, element) in steps.withIndex()) {
            step = index
            val s = element.jsonObject
            when {
                "feed" in s -> {
                    feed(index, s["feed"]!!.jsonPrimitive.content.hexToBytes())
                }

                "eof" in s -> {
                    reader.feedEof()
                }

                "exc" in s -> {
                    val kind = s["exc"]!!.jsonPrimitive.content
                    val error = newInjected(kind)
                    injected[error] = kind
                    reader.setException(error)
                }

                s["op"]!!.jsonPrimitive.content == "at_eof" -> {
                    record(index, index, bool(reader.atEof()))
                }

                else -> {
                    jobs += scope.launch { runOp(index, s) }
                }
            }
            loop.runUntilIdle()
        }
        for ((index, element) in steps.withIndex()) {
            val s = element.jsonObject
            if ("op" in s && index !in results) {
                results[index] = pending(index)
            }
        }
        scope.cancel()
        loop.runUntilIdle()
        return buildJsonObject {
            put("results", JsonArray(results.values.toList()))
            put("flow", JsonArray(flow))
            put(
                "final",
                buildJsonObject {
                    put("buffer", reader.core.peekBuffered().toHex())
                    put("eof", reader.core.eofFed())
                    put("at_eof", reader.atEof())
                    put("exception", reader.exception()?.let { JsonPrimitive(injected[it]) } ?: JsonNull)
                    put("paused", reader.core.isPaused())
                },
            )
        }
    }

    private fun feed(
        index: Int,
        data: ByteArray,
    ) {
        try {
            reader.feedData(data)
        } catch (e: IllegalStateException) {
            record(index, index, error("AssertionError", e.message))
        }
    }

    private suspend fun runOp(
        index: Int,
        s: JsonObject,
    ) {
        val outcome =
            try {
                bytes(
                    when (val op = s["op"]!!.jsonPrimitive.content) {
                        "read" -> {
                            reader.read(s["n"]!!.jsonPrimitive.int)
                        }

                        "readline" -> {
                            reader.readLine()
                        }

                        "readexactly" -> {
                            reader.readExactly(s["n"]!!.jsonPrimitive.int)
                        }

                        "readuntil" -> {
                            when (val sep = s["sep"]!!) {
                                is JsonArray -> reader.readUntil(sep.map { it.jsonPrimitive.content.hexToBytes() })
                                else -> reader.readUntil(sep.jsonPrimitive.content.hexToBytes())
                            }
                        }

                        else -> {
                            error("unknown op $op")
                        }
                    },
                )
            } catch (e: CancellationException) {
                throw e
            } catch (e: Throwable) {
                describe(e)
            }
        record(index, step, outcome)
    }

    private fun describe(e: Throwable): JsonObject {
        injected[e]?.let { return buildJsonObject { put("error", it) } }
        return when (e) {
            is IncompleteReadError -> {
                check(
                    e.message ==
                        "${e.partial.size} bytes read on a total of ${e.expected ?: "undefined"} expected bytes",
                )
                buildJsonObject {
                    put("error", "IncompleteReadError")
                    put("partial", e.partial.toHex())
                    put("expected", e.expected?.let { JsonPrimitive(it) } ?: JsonNull)
                }
            }

            is LimitOverrunError -> {
                buildJsonObject {
                    put("error", "LimitOverrunError")
                    put("consumed", e.consumed)
                    put("message", e.message)
                }
            }

            is IllegalArgumentException -> {
                error("ValueError", e.message)
            }

            is IllegalStateException -> {
                error("RuntimeError", e.message)
            }

            else -> {
                buildJsonObject { put("error", "unexpected ${e::class.qualifiedName}: ${e.message}") }
            }
        }
    }

    private fun record(
        index: Int,
        completedAt: Int,
        result: JsonObject,
    ) {
        results[index] =
            buildJsonObject {
                put("step", index)
                put("completed_at_step", completedAt)
                put("result", result)
            }
    }

    private fun pending(index: Int) =
        buildJsonObject {
            put("step", index)
            put("completed_at_step", JsonNull)
            put("result", JsonNull)
        }

    private fun bytes(b: ByteArray) = buildJsonObject { put("bytes", b.toHex()) }

    private fun bool(b: Boolean) = buildJsonObject { put("bool", b) }

    private fun error(
        kind: String,
        message: String?,
    ) = buildJsonObject {
        put("error", kind)
        put("message", message)
    }

    companion object {
        /** Every difference between [expected] (a recorded script) and what [ScriptReplay] observed, as text. */
        fun mismatches(expected: JsonObject): List<String> {
            val actual = ScriptReplay(expected).run()
            val id = expected["id"]?.jsonPrimitive?.content ?: "?"
            val out = mutableListOf<String>()
            for (key in listOf("results", "flow", "final")) {
                val want: JsonElement = expected[key] ?: continue
                val got = actual[key]
                if (want != got) out += "$id $key: expected $want, got $got"
            }
            return out
        }

        fun JsonElement.isTrue(): Boolean = (this as? JsonPrimitive)?.boolean == true
    }
}
