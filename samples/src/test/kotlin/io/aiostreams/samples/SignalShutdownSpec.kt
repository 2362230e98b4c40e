package io.aiostreams.samples

import io.aiostreams.openConnection
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.runInterruptible
import kotlinx.coroutines.withTimeout
import java.io.File
import java.util.concurrent.TimeUnit

/** The echo server, in a process of its own, stops on SIGTERM: it closes, closes its clients, and waits for them. */
class SignalShutdownSpec :
    FunSpec({
        for (lang in listOf("kotlin", "java")) {
            test("echoServerStopsCleanlyOnSigterm [$lang]") {
                val java = File(System.getProperty("java.home"), "bin/java").path
                val process =
                    ProcessBuilder(
                        java,
                        "-cp",
                        System.getProperty("java.class.path"),
                        "io.aiostreams.samples.Samples",
                        "echo-server",
                        "--port",
                        "0",
                        "--lang",
                        lang,
                    ).redirectErrorStream(true).start()
                try {
                    val output = process.inputStream.bufferedReader()
                    val banner = runInterruptible(Dispatchers.IO) { output.readLine() }
                    val port = Regex("Serving on \\('127.0.0.1', (\\d+)\\)").find(banner)!!.groupValues[1].toInt()
                    // A client that has connected and not yet sent anything: the shutdown must close it.
                    val (reader, writer) = openConnection("127.0.0.1", port)
                    // Let the server accept it: closing a listening socket resets connections still in its backlog.
                    delay(500)
                    process.destroy()
                    runInterruptible(Dispatchers.IO) { process.waitFor(20, TimeUnit.SECONDS) } shouldBe true
                    // The server closed its client on the way out: the connection ends, it does not hang.
                    val ending = withTimeout(10_000) { runCatching { reader.read() } }
                    (ending.getOrNull()?.size == 0 || ending.exceptionOrNull() is java.io.IOException) shouldBe true
                    writer.close()
                } finally {
                    process.destroyForcibly()
                }
            }
        }
    })
