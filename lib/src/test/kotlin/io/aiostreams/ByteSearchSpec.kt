package io.aiostreams

import io.aiostreams.testing.FeedShape
import io.aiostreams.testing.fedWith
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope
import kotlinx.coroutines.yield
import kotlin.random.Random

/**
 * A one-byte separator is searched for a word (eight bytes) at a time. These tests put it at every offset in and
 * around a word, among neighbours that differ from it by one bit or by one in value (the bytes a word-wide test could
 * confuse with it), and across the reader's internal segments.
 */
class ByteSearchSpec :
    FunSpec({
        val separators = listOf(0x00, 0x01, 0x0a, 0x7f, 0x80, 0x81, 0xfe, 0xff).map { it.toByte() }

        fun neighbours(separator: Byte): ByteArray {
            val s = separator.toInt() and 0xff
            return listOf(s - 1, s + 1, s xor 0x80, s xor 0x01, 0x00, 0xff, 0x7f, 0x80)
                .map { it and 0xff }
                .filter { it != s }
                .map { it.toByte() }
                .toByteArray()
        }

        fun message(
            separator: Byte,
            at: Int,
            random: Random,
        ): ByteArray {
            val others = neighbours(separator)
            return ByteArray(at + 1 + 9) { i -> if (i == at) separator else others[random.nextInt(others.size)] }
        }

        test("readUntilFindsAOneByteSeparatorOfEveryKindAtEveryOffsetOfAWord") {
            val random = Random(7)
            for (separator in separators) {
                for (at in 0..40) {
                    val data = message(separator, at, random)
                    for (shape in FeedShape.entries) {
                        val got =
                            StreamReader()
                                .fedWith(shape, data, byteArrayOf(separator)) {
                                    readUntil(byteArrayOf(separator)) to read(-1)
                                }.getOrThrow()
                        got.first.contentEquals(data.copyOfRange(0, at + 1)) shouldBe true
                        got.second.contentEquals(data.copyOfRange(at + 1, data.size)) shouldBe true
                    }
                }
            }
        }

        test("readUntilFindsAOneByteSeparatorJustBeforeOnAndJustAfterASegmentBoundary") {
            val random = Random(11)
            // Far enough into a large feed to lie in the second or third of the reader's 8 KiB segments.
            for (at in (8192 - 12..8192 + 12) + (16384 - 3..16384 + 3)) {
                for (separator in listOf(0x0a, 0x80, 0x00).map { it.toByte() }) {
                    val data = message(separator, at, random)
                    for (shape in listOf(FeedShape.WHOLE, FeedShape.RANDOM_CHUNKS)) {
                        val line =
                            StreamReader(limit = 1 shl 16)
                                .fedWith(shape, data, byteArrayOf(separator)) { readUntil(byteArrayOf(separator)) }
                                .getOrThrow()
                        line.size shouldBe at + 1
                        line.last() shouldBe separator
                    }
                }
            }
        }

        test("aWaitingReadLineFindsTheNewlineOfEveryLaterChunkWithoutRescanningOrSkippingAByte") {
            // The waiting read resumes its search where the last one stopped: the newline may come at any offset of
            // any later chunk, the chunks themselves being of every length up to two words.
            val random = Random(13)
            for (round in 0 until 200) {
                val length = 1 + random.nextInt(120)
                val line = ByteArray(length) { if (it == length - 1) 0x0a else neighbours(0x0a)[random.nextInt(7)] }
                val reader = StreamReader()
                val got =
                    coroutineScope {
                        val pending = async { reader.readLine() }
                        var fed = 0
                        while (fed < length) {
                            val n = minOf(length - fed, 1 + random.nextInt(16))
                            reader.feedData(line.copyOfRange(fed, fed + n))
                            fed += n
                            yield()
                        }
                        pending.await()
                    }
                got.contentEquals(line) shouldBe true
            }
        }
    })
