package io.aiostreams.samples

import io.aiostreams.testing.TempDirs
import io.aiostreams.testing.TestPki
import java.io.File
import java.net.ServerSocket
import java.net.Socket
import java.nio.file.Files
import java.nio.file.Path
import java.util.concurrent.TimeUnit

/**
 * A real nginx on loopback, started and stopped by the tests: plain HTTP on [httpPort], HTTPS on [httpsPort] with the
 * test PKI's `localhost` certificate. Every response carries `X-Test: aiostreams`.
 */
class Nginx : AutoCloseable {
    val httpPort: Int = freePort()
    val httpsPort: Int = freePort()
    private val dir: Path = TempDirs.create("aiostreams-nginx")
    private val process: Process

    init {
        val binary =
            findNginx()
                ?: error(
                    "nginx is not installed: `bash .ci/run` installs it (or `apt-get install nginx`, `brew install nginx`)",
                )
        for (sub in listOf("logs", "tmp")) Files.createDirectories(dir.resolve(sub))
        Files.writeString(
            dir.resolve("nginx.conf"),
            """
            daemon off;
            master_process off;
            worker_processes 1;
            pid $dir/nginx.pid;
            error_log $dir/logs/error.log;
            events { worker_connections 64; }
            http {
                access_log off;
                client_body_temp_path $dir/tmp/body;
                proxy_temp_path $dir/tmp/proxy;
                fastcgi_temp_path $dir/tmp/fastcgi;
                uwsgi_temp_path $dir/tmp/uwsgi;
                scgi_temp_path $dir/tmp/scgi;
                server {
                    listen 127.0.0.1:$httpPort;
                    add_header X-Test aiostreams;
                    location / { return 200 "hello from nginx\n"; }
                }
                server {
                    listen 127.0.0.1:$httpsPort ssl;
                    server_name localhost;
                    ssl_certificate ${TestPki.serverCert};
                    ssl_certificate_key ${TestPki.serverKey};
                    add_header X-Test aiostreams;
                    location / { return 200 "hello over tls\n"; }
                }
            }
            """.trimIndent(),
        )
        process =
            ProcessBuilder(binary, "-p", dir.toString(), "-c", dir.resolve("nginx.conf").toString())
                .redirectErrorStream(true)
                .redirectOutput(dir.resolve("logs/stdout.log").toFile())
                .start()
        val deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(20)
        while (!listening(httpPort) || !listening(httpsPort)) {
            check(process.isAlive) { "nginx exited: " + Files.readString(dir.resolve("logs/stdout.log")) + errorLog() }
            check(System.nanoTime() < deadline) { "nginx did not start listening: " + errorLog() }
            Thread.sleep(50)
        }
    }

    private fun errorLog(): String = runCatching { Files.readString(dir.resolve("logs/error.log")) }.getOrDefault("")

    override fun close() {
        process.destroy()
        process.waitFor(10, TimeUnit.SECONDS)
    }

    private companion object {
        fun freePort(): Int = ServerSocket(0, 1, java.net.InetAddress.getByName("127.0.0.1")).use { it.localPort }

        fun listening(port: Int): Boolean = runCatching { Socket("127.0.0.1", port).close() }.isSuccess
    }
}

/**
 * nginx on `PATH` first, then where Debian (`/usr/sbin`, not on a user's `PATH`) and Homebrew (Apple silicon, Intel)
 * put it.
 */
internal fun findNginx(): String? {
    val onPath = System.getenv("PATH").orEmpty().split(File.pathSeparator).filter {
        it.isNotEmpty()
    }.map { "$it/nginx" }
    val usual = listOf("/usr/sbin/nginx", "/usr/bin/nginx", "/opt/homebrew/bin/nginx", "/usr/local/bin/nginx")
    return (onPath + usual).firstOrNull { File(it).canExecute() }
}
