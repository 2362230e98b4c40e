package io.aiostreams

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.kotest.matchers.string.shouldNotContain
import org.jetbrains.kotlin.abi.tools.AbiFilters
import org.jetbrains.kotlin.abi.tools.AbiTools
import java.io.File

/**
 * The public surface of the library, as the compiled classes show it, must equal the checked-in `api/aiostreams.api`.
 * A difference means the public API changed: review it, then rewrite the dump with `-Daiostreams.updateApi=true`.
 */
class PublicApiSpec :
    FunSpec({
        test("publicApiMatchesTheCheckedInDump") {
            val classes = File(System.getProperty("aiostreams.classes") ?: "target/classes")
            val dumpFile = File(System.getProperty("aiostreams.apiDump") ?: "api/aiostreams.api")
            val actual = StringBuilder()
            AbiTools.getInstance(PublicApiSpec::class.java.classLoader).printJvmDump(
                actual,
                classes.walkTopDown().filter { it.isFile && it.name.endsWith(".class") }.toList(),
                AbiFilters.EMPTY,
            )
            val dump = actual.toString()
            dump shouldNotContain "io/aiostreams/internal/"
            if (System.getProperty("aiostreams.updateApi") == "true") dumpFile.writeText(dump)
            dump shouldBe dumpFile.readText()
        }
    })
