package io.aiostreams

import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.collections.shouldBeEmpty
import io.kotest.matchers.ints.shouldBeGreaterThan
import io.kotest.matchers.shouldBe
import java.io.File

/**
 * The library's layers point one way: public contract → `internal` engine → Ktor and the JDK. Read from the sources:
 * which file uses which (imports, fully qualified names, and names of the same package), then no cycle among files,
 * and nothing in `internal` that uses a public type beyond the leaf types it must (exceptions it throws, callback
 * interfaces it calls).
 */
class LayeringSpec :
    FunSpec({
        val files = SourceFile.readAll(File(System.getProperty("aiostreams.sources") ?: "src/main/kotlin"))

        test("theSourcesAreRead") {
            files.size shouldBeGreaterThan 30
        }

        test("noFileLevelCycleAnywhereInTheLibrary") {
            val cycles = SourceFile.cycles(files).map { cycle -> cycle.map { it.path }.sorted() }
            cycles.shouldBeEmpty()
        }

        test("theEngineUsesNoPublicTypeButTheLeafTypesItThrowsOrCalls") {
            val allowed =
                setOf(
                    "io.aiostreams.IncompleteReadError",
                    "io.aiostreams.LimitOverrunError",
                    "io.aiostreams.protocol.Protocol",
                    "io.aiostreams.protocol.BufferedProtocol",
                    "io.aiostreams.protocol.Transport",
                    "io.aiostreams.protocol.DatagramProtocol",
                    "io.aiostreams.protocol.DatagramTransport",
                )
            val byName = files.flatMap { f -> f.declared.map { "${f.pkg}.$it" to f } }.toMap()
            val engine = files.filter { it.pkg == "io.aiostreams.internal" }
            val used =
                engine.flatMap { file ->
                    SourceFile.uses(file, files).filter {
                        !it.pkg.endsWith(".internal")
                    }.map { "${file.path} -> ${it.path}" }
                }
            val allowedFiles = allowed.mapNotNull { byName[it]?.path }.toSet()
            used.filter { it.substringAfter(" -> ") !in allowedFiles }.shouldBeEmpty()
            // The allowed leaf types themselves use nothing of the engine, so they close no loop.
            allowedFiles.forEach { path ->
                val file = files.first { it.path == path }
                SourceFile.uses(file, files).filter { it.pkg.endsWith(".internal") } shouldBe emptyList()
            }
        }
    })

/** One Kotlin source file as the layering check sees it: its package, its text without comments, what it declares. */
private class SourceFile(
    val path: String,
    val pkg: String,
    val code: String,
    val declared: Set<String>,
) {
    companion object {
        private val declaration =
            Regex(
                """^(?:@\S+\s+)*(?:(?:public|internal|private)\s+)?""" +
                    """(?:(?:abstract|sealed|open|data|enum|inline|suspend|const|annotation|value|fun)\s+)*""" +
                    """(?:class|interface|object|fun|val|var|typealias)\s+(?:<[^>]*>\s*)?(?:[\w.]+\.)?(\w+)""",
                RegexOption.MULTILINE,
            )
        private val comments = Regex("""/\*[\s\S]*?\*/|//[^\n]*""")
        private val strings = Regex(""""(?:[^"\\\n]|\\.)*"""")
        private val qualified = Regex("""\bio\.aiostreams(?:\.\w+)*""")

        fun readAll(root: File): List<SourceFile> =
            root.walkTopDown().filter { it.isFile && it.extension == "kt" }.map { file ->
                val text = file.readText()
                val code = strings.replace(comments.replace(text, " "), "\"\"")
                val pkg = Regex("""^package\s+([\w.]+)""", RegexOption.MULTILINE).find(code)!!.groupValues[1]
                val declared =
                    declaration.findAll(code).filter { !it.value.trimStart().startsWith("private") }
                        .map { it.groupValues[1] }.toSet()
                SourceFile(file.relativeTo(root).path, pkg, code, declared)
            }.toList()

        /** The files [file] uses: by import or fully qualified name, or by a name its own package declares. */
        fun uses(
            file: SourceFile,
            all: List<SourceFile>,
        ): List<SourceFile> {
            val named = qualified.findAll(file.code).map { it.value }.toSet()
            return all.filter { other ->
                other !== file &&
                    other.declared.any { name ->
                        named.any { it == "${other.pkg}.$name" || it.startsWith("${other.pkg}.$name.") } ||
                            (other.pkg == file.pkg && Regex("""(?<![\w.])$name\b""").containsMatchIn(file.code))
                    }
            }
        }

        /** Strongly connected groups of more than one file (Tarjan). */
        fun cycles(all: List<SourceFile>): List<List<SourceFile>> {
            val edges = all.associateWith { uses(it, all) }
            val index = HashMap<SourceFile, Int>()
            val low = HashMap<SourceFile, Int>()
            val stack = ArrayDeque<SourceFile>()
            val onStack = HashSet<SourceFile>()
            val out = mutableListOf<List<SourceFile>>()
            var next = 0

            fun visit(v: SourceFile) {
                index[v] = next
                low[v] = next
                next++
                stack.addLast(v)
                onStack += v
                for (w in edges.getValue(v)) {
                    if (w !in index) {
                        visit(w)
                        low[v] = minOf(low.getValue(v), low.getValue(w))
                    } else if (w in onStack) {
                        low[v] = minOf(low.getValue(v), index.getValue(w))
                    }
                }
                if (low[v] == index[v]) {
                    val group = mutableListOf<SourceFile>()
                    do {
                        val w = stack.removeLast()
                        onStack -= w
                        group += w
                    } while (w !== v)
                    if (group.size > 1) out += group
                }
            }
            all.forEach { if (it !in index) visit(it) }
            return out
        }
    }
}
