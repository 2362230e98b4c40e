package io.aiostreams.bench.soak

import java.util.Locale

/** Draws the soak's series (descriptors, threads, live heap, RSS) against time as an SVG of four panels. */
object SoakChart {
    private const val WIDTH = 420
    private const val HEIGHT = 220
    private const val PAD = 46

    private class Panel(
        val title: String,
        val value: (SoakSample) -> Double,
    )

    private val panels =
        listOf(
            Panel("open descriptors") { it.fds.toDouble() },
            Panel("threads") { it.threads.toDouble() },
            Panel("live heap after full GC (MiB)") { it.heap / (1024.0 * 1024) },
            Panel("RSS (MiB)") { it.rss / (1024.0 * 1024) },
        )

    fun svg(
        samples: List<SoakSample>,
        warmupSeconds: Double,
        title: String,
    ): String =
        buildString {
            append("""<svg xmlns="http://www.w3.org/2000/svg" width="${2 * WIDTH}" height="${2 * HEIGHT + 30}" """)
            append("""font-family="sans-serif" font-size="11">""").append('\n')
            append("""<rect width="100%" height="100%" fill="white"/>""").append('\n')
            append("""<text x="10" y="18" font-size="13">${escape(title)}</text>""").append('\n')
            val end = samples.maxOfOrNull { it.seconds }?.coerceAtLeast(1.0) ?: 1.0
            for ((i, panel) in panels.withIndex()) {
                val ox = (i % 2) * WIDTH
                val oy = 30 + (i / 2) * HEIGHT
                panel(this, panel, samples, warmupSeconds, end, ox, oy)
            }
            append("</svg>\n")
        }

    private fun panel(
        out: StringBuilder,
        panel: Panel,
        samples: List<SoakSample>,
        warmupSeconds: Double,
        end: Double,
        ox: Int,
        oy: Int,
    ) {
        val values = samples.map(panel.value)
        val top = (values.maxOrNull() ?: 1.0).coerceAtLeast(1.0) * 1.15
        val w = WIDTH - PAD - 12
        val h = HEIGHT - PAD - 20

        fun x(seconds: Double) = ox + PAD + w * seconds / end

        fun y(v: Double) = oy + 20 + h * (1 - v / top)
        with(out) {
            append("""<text x="${ox + PAD}" y="${oy + 12}">${escape(panel.title)}</text>""").append('\n')
            val shade = x(minOf(warmupSeconds, end)) - (ox + PAD)
            append(
                """<rect x="${ox + PAD}" y="${oy + 20}" width="${f(shade)}" height="$h" fill="#eee"/>""",
            ).append('\n')
            append("""<rect x="${ox + PAD}" y="${oy + 20}" width="$w" height="$h" fill="none" stroke="#888"/>""")
            append('\n')
            for (k in 0..4) {
                val v = top * k / 4
                append("""<text x="${ox + PAD - 4}" y="${f(y(v) + 4)}" text-anchor="end">${f(v)}</text>""").append('\n')
                val s = end * k / 4
                append("""<text x="${f(x(s))}" y="${oy + 20 + h + 14}" text-anchor="middle">${f(s / 60)} min</text>""")
                append('\n')
            }
            val points = samples.joinToString(" ") { "${f(x(it.seconds))},${f(y(panel.value(it)))}" }
            append("""<polyline points="$points" fill="none" stroke="#1f77b4" stroke-width="1.5"/>""").append('\n')
        }
    }

    private fun f(v: Double) = String.format(Locale.ROOT, "%.1f", v)

    private fun escape(text: String) = text.replace("&", "&amp;").replace("<", "&lt;")
}
