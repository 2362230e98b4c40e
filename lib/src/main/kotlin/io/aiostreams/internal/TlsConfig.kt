package io.aiostreams.internal

import javax.net.ssl.SNIHostName
import javax.net.ssl.SSLContext
import javax.net.ssl.SSLEngine
import javax.net.ssl.SSLParameters
import kotlin.time.Duration
import kotlin.time.Duration.Companion.seconds

/** The TLS settings of one entry-point call, checked in CPython's order and with CPython's messages. */
internal class TlsConfig(
    val context: SSLContext,
    val serverHostname: String?,
    val parameters: SSLParameters?,
    val handshakeTimeout: Duration,
    val shutdownTimeout: Duration,
    /** False: a TCP end of stream without close_notify is an error where end of stream would be (strict). */
    val suppressRaggedEofs: Boolean = true,
) {
    /**
     * Runs TLS over [raw], as the server when [serverSide], else as a client of [host]:[port] (verifying chain and
     * host name); returns the TLS wire once the handshake is done. [early] are peer bytes already read (`startTls`).
     * **Everything that can fail here, building the engine too (a host name `SNIHostName` rejects, parameters the
     * engine rejects), throws with [raw] still open**: the caller aborts it ([closingOnFailure]).
     */
    suspend fun secure(
        raw: Wire,
        serverSide: Boolean,
        host: String? = null,
        port: Int = 0,
        early: ByteArray = ByteArray(0),
    ): TlsWire {
        val engine = if (serverSide) serverEngine() else clientEngine(serverHostname ?: host, port)
        val tls = TlsWire(raw, engine, context, shutdownTimeout, early, suppressRaggedEofs)
        tls.handshake(handshakeTimeout)
        return tls
    }

    private fun clientEngine(
        name: String?,
        port: Int,
    ): SSLEngine {
        val engine = context.createSSLEngine(name, port)
        engine.useClientMode = true
        val params = parameters ?: context.defaultSSLParameters
        if (!name.isNullOrEmpty()) {
            // Host-name checking as HTTPS does it; "" turns it off, as server_hostname='' does in Python.
            params.endpointIdentificationAlgorithm = "HTTPS"
            if (!isIpLiteral(name)) params.serverNames = listOf(SNIHostName(name))
        }
        engine.sslParameters = params
        return engine
    }

    private fun serverEngine(): SSLEngine {
        val engine = context.createSSLEngine()
        engine.useClientMode = false
        parameters?.let { engine.sslParameters = it }
        return engine
    }

    companion object {
        val DEFAULT_HANDSHAKE_TIMEOUT = 60.seconds
        val DEFAULT_SHUTDOWN_TIMEOUT = 30.seconds

        /** CPython's argument checks for TLS options (`ValueError` there, `IllegalArgumentException` here). */
        fun of(
            ssl: SSLContext?,
            serverHostname: String?,
            parameters: SSLParameters?,
            handshakeTimeout: Duration?,
            shutdownTimeout: Duration?,
            suppressRaggedEofs: Boolean = true,
        ): TlsConfig? {
            if (ssl == null) {
                require(suppressRaggedEofs) { "suppress_ragged_eofs is only meaningful with ssl" }
                require(serverHostname == null) { "server_hostname is only meaningful with ssl" }
                require(handshakeTimeout == null) { "ssl_handshake_timeout is only meaningful with ssl" }
                require(shutdownTimeout == null) { "ssl_shutdown_timeout is only meaningful with ssl" }
                require(parameters == null) { "ssl_parameters is only meaningful with ssl" }
                return null
            }
            if (handshakeTimeout != null) {
                require(handshakeTimeout.isPositive()) {
                    "ssl_handshake_timeout should be a positive number, got ${seconds(handshakeTimeout)}"
                }
            }
            if (shutdownTimeout != null) {
                require(shutdownTimeout.isPositive()) {
                    "ssl_shutdown_timeout should be a positive number, got ${seconds(shutdownTimeout)}"
                }
            }
            return TlsConfig(
                ssl,
                serverHostname,
                parameters,
                handshakeTimeout ?: DEFAULT_HANDSHAKE_TIMEOUT,
                shutdownTimeout ?: DEFAULT_SHUTDOWN_TIMEOUT,
                suppressRaggedEofs,
            )
        }

        private fun seconds(d: Duration): String = (d.inWholeMilliseconds / 1000.0).toString()

        /** SNI carries host names only: an IPv6 literal has a colon, an IPv4 one only digits and dots. */
        private fun isIpLiteral(name: String): Boolean = ':' in name || name.all { it.isDigit() || it == '.' }
    }
}
