package io.aiostreams.testing

import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * Certificates made at test time with the `openssl` command (nothing secret is checked in): a test CA, a server
 * certificate for `localhost` / `127.0.0.1` that it signed, one signed by another (untrusted) CA, an expired one, and
 * a client certificate. Made once per test run, in a temporary folder.
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

    private const val SAN = "subjectAltName=DNS:localhost,IP:127.0.0.1"

    private fun openssl(
        dir: Path,
        vararg args: String,
    ) {
        val process = ProcessBuilder(listOf("openssl") + args).directory(dir.toFile()).redirectErrorStream(true).start()
        val output = process.inputStream.bufferedReader().readText()
        check(process.waitFor(60, TimeUnit.SECONDS) && process.exitValue() == 0) {
            "openssl ${args.joinToString(" ")}: $output"
        }
    }

    private fun ca(
        dir: Path,
        name: String,
    ) = openssl(
        dir,
        "req",
        "-x509",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "$name.key",
        "-out",
        "$name.pem",
        "-days",
        "2",
        "-subj",
        "/CN=aiostreams $name",
    )

    private fun request(
        dir: Path,
        name: String,
        cn: String,
    ) = openssl(
        dir,
        "req",
        "-newkey",
        "rsa:2048",
        "-nodes",
        "-keyout",
        "$name.key",
        "-out",
        "$name.csr",
        "-subj",
        "/CN=$cn",
        "-addext",
        SAN,
    )

    private fun sign(
        dir: Path,
        name: String,
        ca: String,
    ) = openssl(
        dir,
        "x509",
        "-req",
        "-in",
        "$name.csr",
        "-CA",
        "$ca.pem",
        "-CAkey",
        "$ca.key",
        "-CAcreateserial",
        "-out",
        "$name.pem",
        "-days",
        "2",
        "-copy_extensions",
        "copy",
    )

    private fun make(dir: Path) {
        ca(dir, "ca")
        ca(dir, "other-ca")
        request(dir, "server", "localhost")
        sign(dir, "server", "ca")
        request(dir, "other-server", "localhost")
        sign(dir, "other-server", "other-ca")
        request(dir, "client", "aiostreams client")
        sign(dir, "client", "ca")
        // An expired certificate: only `openssl ca` can back-date one.
        request(dir, "expired", "localhost")
        Files.createDirectories(dir.resolve("newcerts"))
        Files.writeString(dir.resolve("index.txt"), "")
        Files.writeString(dir.resolve("serial"), "1000\n")
        Files.writeString(
            dir.resolve("ca.cnf"),
            """
            [ ca ]
            default_ca = test_ca
            [ test_ca ]
            dir = .
            database = ./index.txt
            new_certs_dir = ./newcerts
            serial = ./serial
            default_md = sha256
            policy = any
            copy_extensions = copy
            [ any ]
            commonName = supplied
            """.trimIndent(),
        )
        openssl(
            dir,
            "ca",
            "-batch",
            "-config",
            "ca.cnf",
            "-cert",
            "ca.pem",
            "-keyfile",
            "ca.key",
            "-in",
            "expired.csr",
            "-out",
            "expired.pem",
            "-startdate",
            "200101000000Z",
            "-enddate",
            "200102000000Z",
            "-notext",
        )
    }
}
