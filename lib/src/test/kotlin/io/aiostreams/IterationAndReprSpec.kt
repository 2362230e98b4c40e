package io.aiostreams

import io.aiostreams.testing.ascii
import io.kotest.assertions.throwables.shouldThrow
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldStartWith
import kotlinx.coroutines.CoroutineStart
import kotlinx.coroutines.flow.map
import kotlinx.coroutines.flow.toList
import kotlinx.coroutines.launch

class IterationAndReprSpec :
    FunSpec({
        test("forInIteratesLinesAndStopsAtEof") {
            val reader = StreamReader()
            reader.feedData("a\nb\nlast".ascii())
            reader.feedEof()
            val seen = mutableListOf<String>()
            for (line in reader) seen += String(line)
            seen shouldBe listOf("a\n", "b\n", "last")
        }

        test("linesFlowEmitsEachLineAndPropagatesLimitErrors") {
            val reader = StreamReader(limit = 3)
            reader.feedData("ab\ntoo long\n".ascii())
            reader.feedEof()
            val collected = mutableListOf<String>()
            shouldThrow<IllegalArgumentException> { reader.lines().map { String(it) }.toList(collected) }
            collected shouldBe listOf("ab\n")
        }

        test("toStringFollowsPythonsRepr") {
            StreamReader().toString() shouldBe "<StreamReader>"
            StreamReader(limit = 123).toString() shouldBe "<StreamReader limit=123>"
            val withData = StreamReader()
            withData.feedData("abcd".ascii())
            withData.feedEof()
            withData.toString() shouldBe "<StreamReader 4 bytes eof>"
            val failed = StreamReader()
            failed.setException(RuntimeException())
            failed.toString() shouldBe "<StreamReader exception=java.lang.RuntimeException>"
        }

        test("toStringShowsAPendingWaiter") {
            val reader = StreamReader()
            val job = launch(start = CoroutineStart.UNDISPATCHED) { reader.readLine() }
            reader.toString() shouldStartWith "<StreamReader waiter="
            job.cancel()
        }
    })
