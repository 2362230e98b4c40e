package io.aiostreams.samples

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldContain
import java.io.ByteArrayOutputStream
import java.io.PrintStream

private fun capture(block: (PrintStream) -> Unit): String {
    val bytes = ByteArrayOutputStream()
    PrintStream(bytes, true, Charsets.UTF_8).use(block)
    return bytes.toString(Charsets.UTF_8)
}

/** Every sample runs in both languages, and the twins print the same thing. */
class SamplesTwinsSpec :
    FunSpec({
        test("demoTwinsPrintTheSameTranscript") {
            val kotlin = capture { io.aiostreams.samples.kotlin.ReaderDemo.run(it) }
            val java = capture { io.aiostreams.samples.java.ReaderDemo.run(it) }
            java shouldBe kotlin
            kotlin shouldContain "body> Hello, world!\n"
            kotlin shouldContain "eof> 4 bytes read on a total of 10 expected bytes: tail\n"
            kotlin shouldContain "limit> Separator is found, but chunk is longer than limit (consumed=10)"
        }

        test("readerBenchTwinsReadEveryLine") {
            val kotlin = capture { io.aiostreams.samples.kotlin.ReaderBench.run(it, 2_000, 1) }
            val java = capture { io.aiostreams.samples.java.ReaderBench.run(it, 2_000, 1) }
            kotlin.lines().filter { it.isNotBlank() }.size shouldBe 2
            // Java adds forEachLine to readLine and readUntil.
            java.lines().filter { it.isNotBlank() }.size shouldBe 3
            java shouldContain "forEachLine"
            for (out in listOf(kotlin, java)) out shouldContain "2,000 lines"
        }

        test("commandLineRejectsBadArgumentsWithUsageErrorCode") {
            Samples.execute("reader-bench", "--lines", "0") shouldBe 2
            Samples.execute("reader-demo", "--lang", "cobol") shouldBe 2
            Samples.execute("reader-demo", "--lang", "blocking") shouldBe 2
            Samples.execute("--help") shouldBe 0
        }
    })
