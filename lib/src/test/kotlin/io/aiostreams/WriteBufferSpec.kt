package io.aiostreams

import io.aiostreams.internal.WriteBuffer
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.nulls.shouldBeNull
import io.kotest.matchers.nulls.shouldNotBeNull
import io.kotest.matchers.shouldBe
import kotlinx.io.readByteArray

/** The write buffer's flow control on its own, no sockets: CPython's `_FlowControlMixin` rules. */
class WriteBufferSpec :
    FunSpec({
        test("defaultMarksAre64KiBAnd16KiB") {
            val buffer = WriteBuffer()
            buffer.high shouldBe 65536
            buffer.low shouldBe 16384
        }

        test("writingPausesOnlyAboveTheHighMarkAndResumesAtTheLowMark") {
            val buffer = WriteBuffer()
            buffer.setLimits(10, 4).shouldBeNull()
            buffer.append(ByteArray(10), 0).shouldBeNull() // exactly high: not above it
            buffer.writingPaused shouldBe false
            buffer.drainGate().shouldBeNull()
            val paused = buffer.append(ByteArray(1), 0).shouldNotBeNull()
            paused.paused shouldBe true
            val gate = buffer.drainGate().shouldNotBeNull()
            buffer.drainGate() shouldBe gate // every drain() waits at the same gate
            // Sending 8 of the 11 leaves 3 <= low: writing resumes and the gate is handed over to be opened.
            buffer.takePiece(8).size shouldBe 8
            buffer.size shouldBe 11
            val resumed = buffer.pieceSent().shouldNotBeNull()
            resumed.paused shouldBe false
            resumed.gate shouldBe gate
            buffer.size shouldBe 3
            buffer.writingPaused shouldBe false
        }

        test("aPieceInFlightCountsAsBufferedUntilSent") {
            val buffer = WriteBuffer()
            buffer.append("abcdef".toByteArray(), 2)
            buffer.isIdle shouldBe false
            val piece = buffer.takePiece(3)
            piece.readByteArray().decodeToString() shouldBe "cde"
            buffer.hasPending shouldBe true
            buffer.size shouldBe 4
            buffer.pieceSent()
            buffer.takePiece(10).size shouldBe 1
            buffer.pieceSent()
            buffer.isIdle shouldBe true
        }

        test("oneMarkGivenMakesTheOtherByCPythonsRule") {
            val buffer = WriteBuffer()
            buffer.setLimits(high = 100, low = null)
            buffer.low shouldBe 25
            buffer.setLimits(high = null, low = 10)
            buffer.high shouldBe 40
            buffer.setLimits(null, null)
            buffer.high shouldBe 65536
            buffer.low shouldBe 16384
        }

        test("invalidMarksAreRejectedWithCPythonsMessageAndChangeNothing") {
            val buffer = WriteBuffer()
            shouldThrow<IllegalArgumentException> { buffer.setLimits(1, 2) }.message shouldBe
                "high (1) must be >= low (2) must be >= 0"
            shouldThrow<IllegalArgumentException> { buffer.setLimits(null, -1) }.message shouldBe
                "high (-4) must be >= low (-1) must be >= 0"
            buffer.high shouldBe 65536
        }

        test("loweringTheHighMarkBelowWhatIsBufferedPausesAtOnceAndRaisingItResumesOnlyWithTheNextSend") {
            val buffer = WriteBuffer()
            buffer.append(ByteArray(100), 0).shouldBeNull()
            buffer.setLimits(50, 10).shouldNotBeNull().paused shouldBe true
            // Raising them again does not resume by itself (CPython only re-checks pausing): the next send does.
            buffer.setLimits(200, 100).shouldBeNull()
            buffer.writingPaused shouldBe true
            buffer.takePiece(10)
            buffer.pieceSent().shouldNotBeNull().paused shouldBe false
        }

        test("clearingDropsEverythingAndHandsOverTheGate") {
            val buffer = WriteBuffer()
            buffer.setLimits(1, 0)
            buffer.append(ByteArray(5), 0)
            val gate = buffer.drainGate().shouldNotBeNull()
            buffer.clear() shouldBe gate
            buffer.size shouldBe 0
            buffer.clear().shouldBeNull()
        }

        test("overTlsTheMarksAre512And128KiBAndWritingPausesAtTheHighMark") {
            val buffer = WriteBuffer(tls = true)
            buffer.high shouldBe 512 * 1024
            buffer.low shouldBe 128 * 1024
            buffer.setLimits(10, 4)
            buffer.append(ByteArray(9), 0).shouldBeNull()
            buffer.append(ByteArray(1), 0).shouldNotBeNull().paused shouldBe true // at 10: CPython's >=
            buffer.setLimits(null, null)
            buffer.high shouldBe 512 * 1024
        }
    })
