package io.aiostreams.fuzz

import com.code_intelligence.jazzer.api.FuzzedDataProvider
import com.code_intelligence.jazzer.junit.FuzzTest
import io.aiostreams.IncompleteReadError
import io.aiostreams.LimitOverrunError
import io.aiostreams.StreamReader
import io.aiostreams.internal.ReadTransport
import io.aiostreams.testing.QueueDispatcher
import io.aiostreams.testing.ReaderModel
import io.aiostreams.testing.toHex
import kotlinx.coroutines.CoroutineScope
import kotlinx.coroutines.Job
import kotlinx.coroutines.SupervisorJob
import kotlinx.coroutines.cancel
import kotlinx.coroutines.launch
import org.junit.jupiter.api.Assertions.assertEquals
import java.io.IOException
import kotlin.coroutines.cancellation.CancellationException

/** What both readers offer the program: the real [StreamReader] and the [ReaderModel] each implement it. */
private interface Subject {
    fun feedData(data: ByteArray)

    fun feedEof()

    fun setException(e: Throwable)

    fun atEof(): Boolean

    suspend fun read(n: Int): ByteArray

    suspend fun readLine(): ByteArray

    suspend fun readExactly(n: Int): ByteArray

    suspend fun readUntil(separator: ByteArray): ByteArray

    suspend fun readUntil(separators: List<ByteArray>): ByteArray

    /** Buffer, EOF fed, paused and stored exception: what is left when the program ends. */
    fun finalState(): String
}

private class Real(
    limit: Int,
    flow: MutableList<String>,
) : Subject {
    private val reader = StreamReader(limit)

    init {
        reader.core.setTransport(
            object : ReadTransport {
                override fun pauseReading() {
                    flow += "pause"
                }

                override fun resumeReading() {
                    flow += "resume"
                }
            },
        )
    }

    override fun feedData(data: ByteArray) = reader.feedData(data)

    override fun feedEof() = reader.feedEof()

    override fun setException(e: Throwable) = reader.setException(e)

    override fun atEof() = reader.atEof()

    override suspend fun read(n: Int) = reader.read(n)

    override suspend fun readLine() = reader.readLine()

    override suspend fun readExactly(n: Int) = reader.readExactly(n)

    override suspend fun readUntil(separator: ByteArray) = reader.readUntil(separator)

    override suspend fun readUntil(separators: List<ByteArray>) = reader.readUntil(separators)

    override fun finalState() =
        state(reader.core.peekBuffered(), reader.core.eofFed(), reader.core.isPaused(), reader.exception())
}

private class Model(
    limit: Int,
    flow: MutableList<String>,
) : Subject {
    private val model = ReaderModel(limit) { flow += it }

    override fun feedData(data: ByteArray) = model.feedData(data)

    override fun feedEof() = model.feedEof()

    override fun setException(e: Throwable) = model.setException(e)

    override fun atEof() = model.atEof()

    override suspend fun read(n: Int) = model.read(n)

    override suspend fun readLine() = model.readLine()

    override suspend fun readExactly(n: Int) = model.readExactly(n)

    override suspend fun readUntil(separator: ByteArray) = model.readUntil(listOf(separator))

    override suspend fun readUntil(separators: List<ByteArray>) = model.readUntil(separators)

    override fun finalState() = state(model.buffered, model.eofFed, model.isPaused, model.exception())
}

private fun state(
    buffer: ByteArray,
    eof: Boolean,
    paused: Boolean,
    exception: Throwable?,
) = "buffer=${buffer.toHex()} eof=$eof paused=$paused exception=${exception?.let(::describe)}"

/** A failure as text: its type and message, and the fields of the two reader errors. */
private fun describe(e: Throwable): String =
    when (e) {
        is IncompleteReadError -> "IncompleteReadError(partial=${e.partial.toHex()}, expected=${e.expected})"
        is LimitOverrunError -> "LimitOverrunError(${e.message}, consumed=${e.consumed})"
        else -> "${e.javaClass.name}: ${e.message}"
    }

/** One step of a program. */
private sealed interface Step {
    class Feed(
        val data: ByteArray,
    ) : Step {
        override fun toString() = "feed(${data.toHex()})"
    }

    data object Eof : Step

    data object Fail : Step

    data object AtEof : Step

    /** Cancels the oldest read still waiting. */
    data object Cancel : Step

    class Read(
        val text: String,
        val run: suspend Subject.() -> ByteArray,
    ) : Step {
        override fun toString() = text
    }
}

/** One reader and its loop, running a program's steps and recording every outcome. */
private class Side(
    make: (MutableList<String>) -> Subject,
) {
    val flow = mutableListOf<String>()
    val subject = make(flow)
    val outcomes = sortedMapOf<Int, String>()
    private val loop = QueueDispatcher()
    private val scope = CoroutineScope(SupervisorJob() + loop)
    private val jobs = sortedMapOf<Int, Job>()
    private var failures = 0

    fun apply(
        index: Int,
        step: Step,
    ) {
        when (step) {
            is Step.Feed -> {
                outcomes[index] = attempt { subject.feedData(step.data) }
            }

            Step.Eof -> {
                subject.feedEof()
            }

            Step.Fail -> {
                subject.setException(IOException("injected #${++failures}"))
            }

            Step.AtEof -> {
                outcomes[index] = "at_eof=${subject.atEof()}"
            }

            Step.Cancel -> {
                jobs.entries.firstOrNull { it.value.isActive }?.value?.cancel()
            }

            is Step.Read -> {
                jobs[index] =
                    scope.launch {
                        outcomes[index] =
                            try {
                                "ok ${step.run(subject).toHex()}"
                            } catch (e: CancellationException) {
                                "cancelled"
                            } catch (e: Throwable) {
                                describe(e)
                            }
                    }
            }
        }
        loop.runUntilIdle()
    }

    fun waiting(): Set<Int> = jobs.filterValues { it.isActive }.keys

    fun close() {
        scope.cancel()
        loop.runUntilIdle()
    }

    private fun attempt(block: () -> Unit): String =
        try {
            block()
            "fed"
        } catch (e: IllegalStateException) {
            describe(e)
        }
}

/**
 * Builds a program from the fuzzer's bytes: a limit, a pool of separators (empty ones included, for the argument
 * errors), then feeds made of raw bytes and whole or partial separators, end of stream, failures, cancellations and
 * every read form with sizes around the limit.
 */
private class Program(
    private val data: FuzzedDataProvider,
) {
    val limit = data.consumeInt(1, 40)
    private val pool = List(data.consumeInt(1, 3)) { data.consumeBytes(data.consumeInt(0, 4)) }

    fun steps(): List<Step> {
        val steps = mutableListOf<Step>()
        while (data.remainingBytes() > 0 && steps.size < MAX_STEPS) steps += step()
        return steps
    }

    private fun step(): Step =
        when (data.consumeInt(0, 13)) {
            0, 1, 2, 3 -> Step.Feed(feed())
            4 -> Step.Eof
            5 -> Step.Fail
            6 -> size().let { n -> Step.Read("read($n)") { read(n) } }
            7 -> Step.Read("readLine()") { readLine() }
            8 -> size().let { n -> Step.Read("readExactly($n)") { readExactly(n) } }
            9 -> separator().let { sep -> Step.Read("readUntil(${sep.toHex()})") { readUntil(sep) } }
            10 -> separators().let { seps -> Step.Read("readUntil(${seps.map { it.toHex() }})") { readUntil(seps) } }
            11 -> Step.Cancel
            12 -> Step.AtEof
            else -> Step.Feed(ByteArray(0))
        }

    private fun feed(): ByteArray {
        val out = java.io.ByteArrayOutputStream()
        repeat(data.consumeInt(1, 4)) {
            if (data.consumeBoolean()) {
                out.write(data.consumeBytes(data.consumeInt(0, 2 * limit + 2)))
            } else {
                val sep = separator()
                out.write(sep, 0, data.consumeInt(0, sep.size))
            }
        }
        return out.toByteArray()
    }

    private fun size(): Int =
        when (data.consumeInt(0, 3)) {
            0 -> -1
            1 -> limit + data.consumeInt(-1, 1)
            2 -> 2 * limit + data.consumeInt(-1, 1)
            else -> data.consumeInt(-2, 3 * limit + 2)
        }

    private fun separator(): ByteArray = data.pickValue(pool)

    private fun separators(): List<ByteArray> = List(data.consumeInt(0, 3)) { separator() }

    private companion object {
        const val MAX_STEPS = 64
    }
}

/**
 * The reader against [ReaderModel], CPython's rules written out plainly: on every program the fuzzer makes, both give
 * the same result or failure for every read, complete it at the same step, pause and resume the transport at the same
 * moments, and end in the same state (buffer, end of stream, pause, stored exception); then, after end of stream, a
 * last `read(-1)` drains both to the same bytes.
 */
class ReaderFuzzTest {
    @FuzzTest(maxDuration = "30s")
    fun readerAgreesWithTheModel(data: FuzzedDataProvider) {
        val program = Program(data)
        val steps = program.steps()
        val real = Side { Real(program.limit, it) }
        val model = Side { Model(program.limit, it) }
        val done = mutableListOf<Step>()
        try {
            val all = steps + Step.Eof + Step.Read("read(-1)") { read(-1) }
            for ((index, step) in all.withIndex()) {
                done += step
                real.apply(index, step)
                model.apply(index, step)
                val context = "limit=${program.limit} steps=$done"
                assertEquals(model.outcomes, real.outcomes, context)
                assertEquals(model.flow, real.flow, context)
                assertEquals(model.waiting(), real.waiting(), context)
                assertEquals(model.subject.finalState(), real.subject.finalState(), context)
            }
        } finally {
            real.close()
            model.close()
        }
    }
}
