package io.aiostreams.testing

import org.bouncycastle.asn1.x500.X500Name
import org.bouncycastle.asn1.x509.BasicConstraints
import org.bouncycastle.asn1.x509.Extension
import org.bouncycastle.asn1.x509.GeneralName
import org.bouncycastle.asn1.x509.GeneralNames
import org.bouncycastle.asn1.x509.KeyUsage
import org.bouncycastle.cert.X509CertificateHolder
import org.bouncycastle.cert.jcajce.JcaX509ExtensionUtils
import org.bouncycastle.cert.jcajce.JcaX509v3CertificateBuilder
import org.bouncycastle.openssl.jcajce.JcaPEMWriter
import org.bouncycastle.openssl.jcajce.JcaPKCS8Generator
import org.bouncycastle.operator.jcajce.JcaContentSignerBuilder
import java.math.BigInteger
import java.nio.file.Files
import java.nio.file.Path
import java.security.KeyPair
import java.security.KeyPairGenerator
import java.time.Duration
import java.time.Instant
import java.util.Date
import java.util.concurrent.atomic.AtomicLong

/**
 * Certificates made at test time in the JVM with BouncyCastle (nothing secret is checked in, no `openssl` command
 * needed): a test CA, a server certificate for `localhost` / `127.0.0.1` that it signed, one signed by another
 * (untrusted) CA, an expired one, and a client certificate. PEM files (certificates, PKCS#8 keys) that the JDK,
 * CPython, nginx and `openssl s_server` all read. Made once per test run, in a temporary folder.
 */
object TestPki {
    @JvmStatic val dir: Path by lazy { TempDirs.create("aiostreams-pki").also { make(it) } }

    @JvmStatic val caCert: Path get() = dir.resolve("ca.pem")

    @JvmStatic val serverCert: Path get() = dir.resolve("server.pem")

    @JvmStatic val serverKey: Path get() = dir.resolve("server.key")

    @JvmStatic val otherServerCert: Path get() = dir.resolve("other-server.pem")

    @JvmStatic val otherServerKey: Path get() = dir.resolve("other-server.key")

    @JvmStatic val expiredCert: Path get() = dir.resolve("expired.pem")

    @JvmStatic val expiredKey: Path get() = dir.resolve("expired.key")

    @JvmStatic val clientCert: Path get() = dir.resolve("client.pem")

    @JvmStatic val clientKey: Path get() = dir.resolve("client.key")

    private val serials = AtomicLong(1000)

    /** One certificate and its key, as made here. */
    private class Issued(
        val name: X500Name,
        val keys: KeyPair,
        val certificate: X509CertificateHolder,
    )

    private fun rsa(): KeyPair = KeyPairGenerator.getInstance("RSA").apply { initialize(2048) }.generateKeyPair()

    private fun issue(
        subject: String,
        issuer: Issued?,
        authority: Boolean,
        from: Instant = Instant.now().minus(Duration.ofHours(1)),
        until: Instant = Instant.now().plus(Duration.ofDays(2)),
    ): Issued {
        val keys = rsa()
        val name = X500Name("CN=$subject")
        // A self-signed certificate (a CA) is its own issuer.
        val issuerName = issuer?.name ?: name
        val signingKey = issuer?.keys?.private ?: keys.private
        val utils = JcaX509ExtensionUtils()
        val builder =
            JcaX509v3CertificateBuilder(
                issuerName,
                BigInteger.valueOf(serials.getAndIncrement()),
                Date.from(from),
                Date.from(until),
                name,
                keys.public,
            ).addExtension(Extension.subjectKeyIdentifier, false, utils.createSubjectKeyIdentifier(keys.public))
        if (authority) {
            builder
                .addExtension(Extension.basicConstraints, true, BasicConstraints(true))
                .addExtension(Extension.keyUsage, true, KeyUsage(KeyUsage.keyCertSign or KeyUsage.cRLSign))
        } else {
            builder
                .addExtension(Extension.basicConstraints, true, BasicConstraints(false))
                .addExtension(
                    Extension.subjectAlternativeName,
                    false,
                    GeneralNames(
                        arrayOf(
                            GeneralName(GeneralName.dNSName, "localhost"),
                            GeneralName(GeneralName.iPAddress, "127.0.0.1"),
                        ),
                    ),
                )
        }
        if (issuer != null) {
            builder.addExtension(
                Extension.authorityKeyIdentifier,
                false,
                utils.createAuthorityKeyIdentifier(issuer.keys.public),
            )
        }
        val certificate = builder.build(JcaContentSignerBuilder("SHA256withRSA").build(signingKey))
        return Issued(name, keys, certificate)
    }

    private fun write(
        dir: Path,
        name: String,
        issued: Issued,
    ) {
        JcaPEMWriter(Files.newBufferedWriter(dir.resolve("$name.pem"))).use { it.writeObject(issued.certificate) }
        JcaPEMWriter(Files.newBufferedWriter(dir.resolve("$name.key"))).use {
            it.writeObject(JcaPKCS8Generator(issued.keys.private, null))
        }
    }

    private fun make(dir: Path) {
        val ca = issue("aiostreams ca", null, authority = true)
        val otherCa = issue("aiostreams other-ca", null, authority = true)
        write(dir, "ca", ca)
        write(dir, "other-ca", otherCa)
        write(dir, "server", issue("localhost", ca, authority = false))
        write(dir, "other-server", issue("localhost", otherCa, authority = false))
        write(dir, "client", issue("aiostreams client", ca, authority = false))
        val expired =
            issue(
                "localhost",
                ca,
                authority = false,
                from = Instant.parse("2020-01-01T00:00:00Z"),
                until = Instant.parse("2020-01-02T00:00:00Z"),
            )
        write(dir, "expired", expired)
    }
}
