package io.aiostreams

import io.aiostreams.testing.TestPki
import io.aiostreams.testing.ascii
import io.kotest.core.spec.style.FunSpec
import io.kotest.matchers.shouldBe
import io.ktor.network.sockets.InetSocketAddress
import io.ktor.network.sockets.aSocket
import io.ktor.network.tls.tls
import kotlinx.coroutines.Dispatchers
import kotlinx.coroutines.delay
import kotlinx.coroutines.runInterruptible
import kotlinx.coroutines.withTimeout
import java.io.File
import java.net.Socket
import java.security.KeyStore
import java.security.cert.CertificateFactory
import java.security.cert.X509Certificate
import java.util.concurrent.TimeUnit
import javax.net.ssl.SSLSession
import javax.net.ssl.TrustManagerFactory
import javax.net.ssl.X509TrustManager

/** TLS against real peers started here: `openssl s_server`, CPython's `ssl` module both ways, and Ktor's TLS client. */
class TlsPeersSpec :
    FunSpec({
        val trusting = { SslContexts.clientContext(TestPki.caCert) }

        for (version in listOf("1_3", "1_2")) {
            test("ourClientTalksToOpensslSServerOverTls$version") {
                val port = freePort()
                val openssl =
                    ProcessBuilder(
                        "openssl",
                        "s_server",
                        "-accept",
                        "127.0.0.1:$port",
                        "-cert",
                        TestPki.serverCert.toString(),
                        "-key",
                        TestPki.serverKey.toString(),
                        "-tls$version",
                        "-rev",
                        "-quiet",
                    ).redirectErrorStream(true).start()
                try {
                    // s_server listens once it has loaded its keys: wait for the port to answer.
                    withTimeout(20_000) {
                        while (runCatching { Socket("127.0.0.1", port).close() }.isFailure) delay(50)
                    }
                    val (reader, writer) = openConnection("localhost", port, ssl = trusting())
                    (writer.getExtraInfo("ssl_object") as SSLSession).protocol shouldBe
                        "TLSv" + version.replace('_', '.')
                    writer.write("hello openssl\n".ascii())
                    // -rev answers each line reversed.
                    String(withTimeout(10_000) { reader.readLine() }) shouldBe "lssnepo olleh\n"
                    writer.close()
                    withTimeout(10_000) { writer.waitClosed() }
                } finally {
                    openssl.destroy()
                    openssl.waitFor(10, TimeUnit.SECONDS)
                }
            }
        }

        val script = File(TlsPeersSpec::class.java.getResource("/python/tls_peer.py")!!.toURI())

        test("ourClientTalksToACPythonTlsServer") {
            val python =
                ProcessBuilder(
                    "python3",
                    script.path,
                    "server",
                    TestPki.serverCert.toString(),
                    TestPki.serverKey.toString(),
                )
                    .redirectError(ProcessBuilder.Redirect.INHERIT)
                    .start()
            try {
                val port = runInterruptible(Dispatchers.IO) {
                    python.inputStream.bufferedReader().readLine()
                }.removePrefix("PORT ").trim().toInt()
                val (reader, writer) = openConnection("localhost", port, ssl = trusting())
                for (i in 0 until 100) {
                    writer.write("line $i\n".ascii())
                    writer.drain()
                    String(withTimeout(10_000) { reader.readLine() }) shouldBe "line $i\n"
                }
                writer.close()
                withTimeout(10_000) { writer.waitClosed() }
            } finally {
                python.destroy()
                python.waitFor(10, TimeUnit.SECONDS)
            }
        }

        test("aCPythonServerThatClosesWithoutCloseNotifyEndsTheStreamCleanlyAfterEveryByte") {
            val python =
                ProcessBuilder(
                    "python3",
                    script.path,
                    "dropping",
                    TestPki.serverCert.toString(),
                    TestPki.serverKey.toString(),
                ).redirectError(ProcessBuilder.Redirect.INHERIT).start()
            try {
                val port = runInterruptible(Dispatchers.IO) {
                    python.inputStream.bufferedReader().readLine()
                }.removePrefix("PORT ").trim().toInt()
                val (reader, writer) = openConnection("localhost", port, ssl = trusting())
                writer.write("send it\n".ascii())
                // CPython's asyncio reads the whole body and then b'' here; so do we.
                val body = String(withTimeout(10_000) { reader.read() }.let { first -> first + reader.read(-1) })
                body shouldBe (0 until 1000).joinToString("") { "body line $it\n" }
                reader.read().size shouldBe 0
                reader.exception() shouldBe null
                withTimeout(10_000) { writer.waitClosed() }
            } finally {
                python.destroy()
                python.waitFor(10, TimeUnit.SECONDS)
            }
        }

        test("aCPythonTlsClientTalksToOurServer") {
            val server = tlsEchoServer()
            val python =
                ProcessBuilder("python3", script.path, "client", server.port.toString(), TestPki.caCert.toString())
                    .redirectErrorStream(true)
                    .start()
            val output = runInterruptible(Dispatchers.IO) { python.inputStream.bufferedReader().readText() }
            runInterruptible(Dispatchers.IO) { python.waitFor(60, TimeUnit.SECONDS) } shouldBe true
            output.trim() shouldBe "ok TLSv1.3"
            server.close()
            server.closeClients()
            server.waitClosed()
        }

        test("aKtorTlsClientSocketWrappedInOurStreamsTalksTls12ToOurServer") {
            val server = tlsEchoServer()
            val ca = CertificateFactory.getInstance(
                "X.509",
            ).generateCertificate(TestPki.caCert.toFile().inputStream()) as X509Certificate
            val store = KeyStore.getInstance("PKCS12").apply {
                load(null, null)
                setCertificateEntry("ca", ca)
            }
            val trust =
                TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm()).apply { init(store) }
                    .trustManagers.first() as X509TrustManager
            val raw = aSocket(
                io.aiostreams.internal.Loop.selector,
            ).tcp().connect(InetSocketAddress("127.0.0.1", server.port))
            val secured =
                raw.tls(Dispatchers.IO) {
                    trustManager = trust
                    serverName = "localhost"
                }
            val (reader, writer) = openConnection(secured)
            for (i in 0 until 20) {
                writer.write("ktor line $i\n".ascii())
                writer.drain()
                String(withTimeout(10_000) { reader.readLine() }) shouldBe "ktor line $i\n"
            }
            writer.close()
            withTimeout(10_000) { writer.waitClosed() }
            server.close()
            server.closeClients()
            withTimeout(10_000) { server.waitClosed() }
        }
    })
