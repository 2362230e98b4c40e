package io.aiostreams.internal

import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.withContext
import java.net.InetAddress

/**
 * Host names to addresses (asyncio's `getaddrinfo`): a numeric address is parsed where the caller is, as CPython's
 * `_ipaddr_info` spares it the executor; a name is looked up on `Dispatchers.IO`, because the JDK's lookup blocks.
 */
internal object HostNames {
    /** Every address of [host]; **a name that does not resolve throws `UnknownHostException`**. */
    suspend fun resolve(host: String): Array<InetAddress> =
        if (isNumeric(host)) {
            InetAddress.getAllByName(host)
        } else {
            withContext(Dispatchers.IO) { InetAddress.getAllByName(host) }
        }

    /** An IPv4 dotted quad, or an IPv6 address (any text with a colon, bracketed or not): parsed, never looked up. */
    fun isNumeric(host: String): Boolean {
        if (host.indexOf(':') >= 0) return true
        val parts = host.split('.')
        return parts.size == 4 &&
            parts.all { part -> part.length in 1..3 && part.all { it in '0'..'9' } && part.toInt() <= 255 }
    }
}
