package io.aiostreams.samples.shared

/** Python's `str` methods where Java's and Kotlin's differ, so that both twins print what the Python original prints. */
object PyStr {
    /**
     * `str.rstrip()`: removes trailing characters for which Python's `str.isspace()` holds. That is Kotlin's
     * [Char.isWhitespace] plus U+0085 (NEL); Java's `stripTrailing()` keeps U+00A0 and U+0085, Kotlin's `trimEnd()`
     * keeps U+0085.
     */
    @JvmStatic
    fun rstrip(text: String): String = text.trimEnd { it.isWhitespace() || it == '\u0085' }
}
