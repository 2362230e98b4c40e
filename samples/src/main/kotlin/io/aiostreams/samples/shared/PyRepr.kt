package io.aiostreams.samples.shared

import java.net.InetSocketAddress
import java.net.SocketAddress

/** How Python's `print` shows values, so that both twins print the transcripts of the Python originals. */
object PyRepr {
    /** `repr(bytes)`: `b'First line.\n'`. */
    @JvmStatic
    fun bytes(data: ByteArray): String =
        buildString {
            append("b'")
            for (b in data) {
                val c = b.toInt() and 0xff
                when {
                    c == '\\'.code -> append("\\\\")
                    c == '\''.code -> append("\\'")
                    c == '\n'.code -> append("\\n")
                    c == '\r'.code -> append("\\r")
                    c == '\t'.code -> append("\\t")
                    c in 0x20..0x7e -> append(c.toChar())
                    else -> append("\\x").append(String.format("%02x", c))
                }
            }
            append('\'')
        }

    /** `repr(str)` for the simple strings the samples print: `'Hello World!'`. */
    @JvmStatic
    fun str(text: String): String = "'" + text.replace("\\", "\\\\").replace("'", "\\'").replace("\n", "\\n") + "'"

    /** A socket address as Python prints it: `('127.0.0.1', 8888)`, or the path of a Unix socket. */
    @JvmStatic
    fun address(address: Any?): String =
        when (address) {
            is InetSocketAddress -> "(${str(address.address.hostAddress)}, ${address.port})"
            is SocketAddress -> str(address.toString())
            else -> "None"
        }
}
