package io.aiostreams.testing

import kotlinx.serialization.json.JsonArray
import kotlinx.serialization.json.JsonObject
import kotlinx.serialization.json.JsonPrimitive
import kotlinx.serialization.json.buildJsonArray
import kotlinx.serialization.json.buildJsonObject
import kotlinx.serialization.json.put
import kotlin.random.Random

/**
 * Random StreamReader scripts in the conformance format, biased toward the places where readers go wrong: lengths
 * around the limit, separators that overlap themselves, chunks cut inside separators, EOF inside a separator,
 * exceptions while a read waits, and overlapping reads.
 */
class ScriptGenerator(
    private val rng: Random,
    private val tuples: Boolean,
) {
    private val pool = listOf("\n", "\r\n", "ab", "aaa", "abab", "abcab", "\r\n\r\n", "x").map { it.ascii() }
    private val kinds = listOf("ConnectionResetError", "BrokenPipeError", "TimeoutError", "OSError", "InjectedError")

    fun script(id: String): JsonObject {
        val limit = if (rng.nextInt(10) == 0) listOf(32, 64, 100).random(rng) else rng.nextInt(1, 21)
        val seps = List(rng.nextInt(1, 3)) { pool.random(rng) }
        val alphabet = (seps.flatMap { it.toList() } + 'x'.code.toByte() + 'a'.code.toByte()).distinct()
        var eof = false
        val steps =
            buildJsonArray {
                repeat(rng.nextInt(4, 17)) {
                    val roll = rng.nextInt(100)
                    when {
                        roll < 40 && (!eof || rng.nextInt(20) == 0) -> add(feed(limit, seps, alphabet))
                        roll < 45 && !eof -> add(buildJsonObject { put("eof", true) }.also { eof = true })
                        roll < 49 -> add(buildJsonObject { put("exc", kinds.random(rng)) })
                        else -> add(op(limit, seps))
                    }
                }
                if (rng.nextBoolean() && !eof) add(buildJsonObject { put("eof", true) })
            }
        return buildJsonObject {
            put("id", id)
            put("limit", limit)
            put("steps", steps)
        }
    }

    private fun feed(
        limit: Int,
        seps: List<ByteArray>,
        alphabet: List<Byte>,
    ): JsonObject {
        val length = if (rng.nextInt(8) == 0) 0 else rng.nextInt(0, 2 * limit + 4)
        val out = java.io.ByteArrayOutputStream()
        while (out.size() < length) {
            if (rng.nextInt(5) == 0) {
                val sep = seps.random(rng)
                // Sometimes only a prefix of a separator: the stream then goes on, or ends, inside it.
                out.write(sep, 0, if (rng.nextBoolean()) sep.size else rng.nextInt(1, sep.size + 1))
            } else {
                out.write(alphabet.random(rng).toInt())
            }
        }
        return buildJsonObject { put("feed", out.toByteArray().toHex()) }
    }

    private fun op(
        limit: Int,
        seps: List<ByteArray>,
    ): JsonObject {
        val sizes =
            listOf(-1, 0, 1, limit - 1, limit, limit + 1, 2 * limit, 2 * limit + 1, rng.nextInt(1, 3 * limit + 2))
        return buildJsonObject {
            when (rng.nextInt(5)) {
                0 -> {
                    put("op", "read")
                    put("n", sizes.random(rng))
                }

                1 -> {
                    put("op", "readline")
                }

                2 -> {
                    put("op", "readexactly")
                    put("n", sizes.random(rng))
                }

                3 -> {
                    put("op", "readuntil")
                    put("sep", separatorArgument(seps))
                }

                else -> {
                    put("op", if (rng.nextBoolean()) "at_eof" else "readline")
                }
            }
            if (rng.nextInt(8) == 0) put("concurrent", true)
        }
    }

    private fun separatorArgument(seps: List<ByteArray>) =
        when {
            rng.nextInt(30) == 0 -> {
                JsonPrimitive("")
            }

            tuples && rng.nextInt(3) == 0 -> {
                JsonArray(
                    (
                        if (rng.nextInt(20) ==
                            0
                        ) {
                            emptyList()
                        } else {
                            seps + pool.random(rng)
                        }
                    ).map { JsonPrimitive(it.toHex()) },
                )
            }

            else -> {
                JsonPrimitive(seps.random(rng).toHex())
            }
        }
}
