package io.aiostreams

import java.nio.file.Files
import java.nio.file.Path
import java.security.KeyFactory
import java.security.KeyStore
import java.security.PrivateKey
import java.security.cert.Certificate
import java.security.cert.CertificateFactory
import java.security.spec.PKCS8EncodedKeySpec
import java.util.Base64
import javax.net.ssl.KeyManagerFactory
import javax.net.ssl.SSLContext
import javax.net.ssl.TrustManagerFactory

/**
 * [SSLContext]s from PEM files, with the JDK alone: the JVM's stand-in for Python's `ssl.SSLContext`.
 *
 * Keys must be unencrypted PKCS#8 (`-----BEGIN PRIVATE KEY-----`, what `openssl genpkey` and OpenSSL 3's `req`
 * write), RSA or EC. Certificates may be several in one file (a chain, or a CA bundle).
 *
 * **Python:** `ssl.create_default_context()`, `load_verify_locations(cafile)`, `load_cert_chain(certfile, keyfile)`.
 */
public object SslContexts {
    /**
     * The JDK's default context: the JDK's trust store, every protocol the JDK enables (TLS 1.3 and 1.2). Given to
     * [openConnection] as `ssl`, it is Python's `ssl=True`.
     */
    @JvmStatic
    @Throws(java.security.NoSuchAlgorithmException::class)
    public fun defaultContext(): SSLContext = SSLContext.getDefault()

    /**
     * A client context that trusts the certificates of [caFile] (and only those), optionally presenting
     * [certChainFile] with [keyFile] to servers that ask for a client certificate.
     *
     * @throws java.io.IOException when a file cannot be read; `java.security.GeneralSecurityException` when one
     *   does not parse.
     */
    @JvmStatic
    @JvmOverloads
    @Throws(java.io.IOException::class, java.security.GeneralSecurityException::class)
    public fun clientContext(
        caFile: Path,
        certChainFile: Path? = null,
        keyFile: Path? = null,
    ): SSLContext {
        require((certChainFile == null) == (keyFile == null)) { "certChainFile and keyFile go together" }
        val context = SSLContext.getInstance("TLS")
        val keys = certChainFile?.let { keyManagers(it, keyFile!!) }
        context.init(keys, trustManagers(caFile), null)
        return context
    }

    /**
     * A server context presenting [certChainFile] (leaf first) with [keyFile]. With [caFile], client certificates
     * are verified against it (ask for them with `SSLParameters.needClientAuth`, passed as `sslParameters`).
     *
     * @throws java.io.IOException when a file cannot be read; `java.security.GeneralSecurityException` when one
     *   does not parse.
     */
    @JvmStatic
    @JvmOverloads
    @Throws(java.io.IOException::class, java.security.GeneralSecurityException::class)
    public fun serverContext(
        certChainFile: Path,
        keyFile: Path,
        caFile: Path? = null,
    ): SSLContext {
        val context = SSLContext.getInstance("TLS")
        context.init(keyManagers(certChainFile, keyFile), caFile?.let { trustManagers(it) }, null)
        return context
    }

    private fun certificates(file: Path): List<Certificate> {
        val certificates = CertificateFactory.getInstance("X.509").generateCertificates(Files.newInputStream(file))
        require(certificates.isNotEmpty()) { "no certificate in $file" }
        return certificates.toList()
    }

    private fun trustManagers(caFile: Path) =
        TrustManagerFactory
            .getInstance(TrustManagerFactory.getDefaultAlgorithm())
            .apply {
                val store = KeyStore.getInstance("PKCS12").apply { load(null, null) }
                certificates(caFile).forEachIndexed { i, c -> store.setCertificateEntry("ca$i", c) }
                init(store)
            }.trustManagers

    private fun keyManagers(
        certChainFile: Path,
        keyFile: Path,
    ) = KeyManagerFactory
        .getInstance(KeyManagerFactory.getDefaultAlgorithm())
        .apply {
            val password = CharArray(0)
            val store = KeyStore.getInstance("PKCS12").apply { load(null, null) }
            store.setKeyEntry("key", privateKey(keyFile), password, certificates(certChainFile).toTypedArray())
            init(store, password)
        }.keyManagers

    private fun privateKey(file: Path): PrivateKey {
        val pem = Files.readString(file)
        require("BEGIN PRIVATE KEY" in pem) { "not an unencrypted PKCS#8 key (BEGIN PRIVATE KEY): $file" }
        val base64 = pem.substringAfter("-----BEGIN PRIVATE KEY-----").substringBefore("-----END PRIVATE KEY-----")
        val spec = PKCS8EncodedKeySpec(Base64.getMimeDecoder().decode(base64))
        val failures = mutableListOf<Exception>()
        for (algorithm in listOf("RSA", "EC", "Ed25519", "RSASSA-PSS")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(spec)
            } catch (e: Exception) {
                failures += e
            }
        }
        throw java.security.spec.InvalidKeySpecException("unsupported key in $file").apply {
            failures.forEach(::addSuppressed)
        }
    }
}
