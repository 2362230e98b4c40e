package io.aiostreams

import io.aiostreams.internal.ReadTransport
import io.aiostreams.testing.ascii
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.async
import kotlinx.coroutines.coroutineScope

private class Recording : ReadTransport {
    val calls = mutableListOf<String>()

    override fun pauseReading() {
        calls += "pause"
    }

    override fun resumeReading() {
        calls += "resume"
    }
}

class FlowControlSpec :
    FunSpec({
        test("readingPausesAboveTwiceTheLimitAndResumesAtTheLimit") {
            val reader = StreamReader(limit = 4)
            val transport = Recording()
            reader.core.setTransport(transport)
            reader.feedData("12345678".ascii())
            transport.calls shouldBe emptyList()
            reader.feedData("9".ascii())
            transport.calls shouldBe listOf("pause")
            reader.read(4)
            transport.calls shouldBe listOf("pause")
            reader.read(1)
            transport.calls shouldBe listOf("pause", "resume")
        }

        test("aReadAboutToWaitResumesAPausedTransportFirst") {
            coroutineScope {
                val reader = StreamReader(limit = 1)
                val transport = Recording()
                reader.core.setTransport(transport)
                reader.feedData("abc".ascii())
                val big = async(start = CoroutineStart.UNDISPATCHED) { reader.readExactly(10) }
                transport.calls shouldBe listOf("pause", "resume")
                reader.feedData("defghij".ascii())
                String(big.await()) shouldBe "abcdefghij"
            }
        }

        test("aLimitOverrunDoesNotResumeReading") {
            val reader = StreamReader(limit = 2)
            val transport = Recording()
            reader.core.setTransport(transport)
            reader.feedData("abcdef".ascii())
            (runCatching { reader.readUntil("\n".ascii()) }.exceptionOrNull() is LimitOverrunError) shouldBe true
            transport.calls shouldBe listOf("pause")
        }

        test("aTransportThatCannotPauseIsForgotten") {
            val reader = StreamReader(limit = 1)
            var pauses = 0
            reader.core.setTransport(
                object : ReadTransport {
                    override fun pauseReading() {
                        pauses++
                        throw UnsupportedOperationException()
                    }

                    override fun resumeReading() = error("never resumed")
                },
            )
            reader.feedData("abc".ascii())
            reader.feedData("def".ascii())
            pauses shouldBe 1
            reader.toString() shouldBe "<StreamReader 6 bytes limit=1>"
        }
    })
