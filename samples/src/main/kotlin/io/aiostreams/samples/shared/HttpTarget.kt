package io.aiostreams.samples.shared

/**
 * Where an HTTP sample connects: from a URL (`https://host:port/path`) or from a host and an optional port, as the
 * asyncio `wget` example takes them (`http`, port 80, path `/`).
 */
class HttpTarget private constructor(
    val host: String,
    val port: Int,
    val path: String,
    val secure: Boolean,
    /** How errors name it: the URL, or `host:port`. */
    val display: String,
) {
    companion object {
        @JvmStatic
        fun of(
            target: String,
            port: Int?,
        ): HttpTarget {
            if (!target.contains("://")) {
                val p = port ?: 80
                require(p in 1..65535) { "port out of range 1-65535: $p" }
                return HttpTarget(target, p, "/", secure = false, display = "$target:$p")
            }
            require(port == null) { "give the port in the URL, not as a second argument: $target $port" }
            return fromUrl(target)
        }

        /** An http or https [url]; the port defaults to the scheme's, the path to `/`. */
        @JvmStatic
        fun fromUrl(url: String): HttpTarget {
            val uri = Failures.parse(url)
            val secure = uri.scheme == "https"
            val p = if (uri.port != -1) {
                uri.port
            } else if (secure) {
                443
            } else {
                80
            }
            val path = uri.rawPath.ifEmpty { "/" } + (uri.rawQuery?.let { "?$it" } ?: "")
            return HttpTarget(uri.host, p, path, secure, url)
        }
    }
}
