package io.aiostreams.future;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aiostreams.IncompleteReadError;
import io.aiostreams.SslContexts;
import io.aiostreams.testing.TestPki;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;

class FutureStreamsTest {
    private static final long WAIT = 20;

    private static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    /** An echo handler written with futures only: read a line, write it, drain, repeat until end of stream. */
    private static CompletionStage<?> echo(FutureStreamReader reader, FutureStreamWriter writer) {
        return reader.readLine().thenCompose(line -> {
            if (line.length == 0) {
                return CompletableFuture.completedFuture(null);
            }
            writer.write(line);
            return writer.drain().thenCompose(ignored -> echo(reader, writer));
        });
    }

    private static int port(FutureServer server) {
        return ((InetSocketAddress) server.getAddresses().get(0)).getPort();
    }

    @Test
    void channelsYouAlreadyHaveAreServedAndConnected() throws Exception {
        ServerSocketChannel listener = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0));
        FutureServer server = FutureStreams.startServer(listener, FutureStreamsTest::echo, new StreamOptions())
                .get(WAIT, TimeUnit.SECONDS);
        assertEquals(List.of(listener), server.getSockets());
        SocketChannel sock = SocketChannel.open(listener.getLocalAddress());
        FutureConnection connection = FutureStreams.openConnection(sock).get(WAIT, TimeUnit.SECONDS);
        connection.getWriter().write(ascii("mine\n"));
        assertArrayEquals(ascii("mine\n"), connection.getReader().readLine().get(WAIT, TimeUnit.SECONDS));
        connection.getWriter().close();
        server.close();
        server.closeClients();
        server.waitClosed().get(WAIT, TimeUnit.SECONDS);
        assertFalse(listener.isOpen());
    }

    @Test
    void aJavaHandlerThatBlocksOnJoinDoesNotStallOtherConnections() throws Exception {
        // A handler written the blocking way: join() on every read, on an executor with a thread per handler. It
        // runs off the event loop, so the loop keeps delivering data to it and to every other connection.
        ExecutorService threads = Executors.newCachedThreadPool();
        FutureServer server = FutureStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
            while (true) {
                byte[] line = reader.readLine().join();
                if (line.length == 0) {
                    return null;
                }
                writer.write(line);
                writer.drain().join();
            }
        }, new StreamOptions().executor(threads)).get(WAIT, TimeUnit.SECONDS);
        FutureConnection first = FutureStreams.openConnection("127.0.0.1", port(server)).get(WAIT, TimeUnit.SECONDS);
        FutureConnection second = FutureStreams.openConnection("127.0.0.1", port(server)).get(WAIT, TimeUnit.SECONDS);
        for (int i = 0; i < 20; i++) {
            for (FutureConnection c : new FutureConnection[] {first, second}) {
                c.getWriter().write(ascii("blocking " + i + "\n"));
                assertEquals("blocking " + i + "\n",
                        new String(c.getReader().readLine().get(WAIT, TimeUnit.SECONDS), US_ASCII));
            }
        }
        first.getWriter().close();
        second.getWriter().close();
        server.close();
        server.closeClients();
        server.waitClosed().get(WAIT, TimeUnit.SECONDS);
        threads.shutdown();
    }

    @Test
    void anExecutorThatRunsTasksInPlaceRunsHandlersAndCallbacksOnTheEventLoop() throws Exception {
        // Runnable::run: no hop to another thread; the handler, and a read that had to wait, run on the loop.
        StreamOptions options = new StreamOptions().executor(Runnable::run);
        CompletableFuture<String> handlerThread = new CompletableFuture<>();
        CompletableFuture<String> callbackThread = new CompletableFuture<>();
        FutureServer server = FutureStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
            handlerThread.complete(Thread.currentThread().getName());
            return reader.readLine().thenAccept(line -> {
                callbackThread.complete(Thread.currentThread().getName());
                writer.write(line);
            });
        }, options).get(WAIT, TimeUnit.SECONDS);
        FutureConnection connection =
                FutureStreams.openConnection("127.0.0.1", port(server), options).get(WAIT, TimeUnit.SECONDS);
        try {
            CompletableFuture<String> clientThread = connection.getReader().readLine()
                    .thenApply(line -> Thread.currentThread().getName() + " " + new String(line, US_ASCII).trim());
            // The handler waits for a line no one has sent yet: its callback runs once the loop delivers it.
            assertTrue(handlerThread.get(WAIT, TimeUnit.SECONDS).startsWith("aiostreams-loop"));
            connection.getWriter().write(ascii("ping\n"));
            assertTrue(callbackThread.get(WAIT, TimeUnit.SECONDS).startsWith("aiostreams-loop"));
            String client = clientThread.get(WAIT, TimeUnit.SECONDS);
            assertTrue(client.startsWith("aiostreams-loop") && client.endsWith(" ping"), client);
        } finally {
            connection.getWriter().close();
            server.close();
            server.waitClosed().get(WAIT, TimeUnit.SECONDS);
        }
    }

    @Test
    void loopbackEchoWithAJavaHandler() throws Exception {
        FutureServer server = FutureStreams.startServer("127.0.0.1", 0, FutureStreamsTest::echo).get(WAIT, TimeUnit.SECONDS);
        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port(server)).get(WAIT, TimeUnit.SECONDS);
        for (int i = 0; i < 50; i++) {
            connection.getWriter().write(ascii("line " + i + "\n"));
            connection.getWriter().drain().get(WAIT, TimeUnit.SECONDS);
            assertEquals("line " + i + "\n",
                    new String(connection.getReader().readLine().get(WAIT, TimeUnit.SECONDS), US_ASCII));
        }
        connection.getWriter().close();
        connection.getWriter().waitClosed().get(WAIT, TimeUnit.SECONDS);
        server.close();
        server.waitClosed().get(WAIT, TimeUnit.SECONDS);
        assertTrue(server.getSockets().isEmpty());
    }

    @Test
    void readExactlyAtEndOfStreamFailsWithIncompleteReadError() throws Exception {
        FutureServer server = FutureStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
            writer.write(ascii("abc"));
            return writer.drain();
        }).get(WAIT, TimeUnit.SECONDS);
        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port(server)).get(WAIT, TimeUnit.SECONDS);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> connection.getReader().readExactly(10).get(WAIT, TimeUnit.SECONDS));
        IncompleteReadError error = assertInstanceOf(IncompleteReadError.class, e.getCause());
        assertArrayEquals(ascii("abc"), error.getPartial());
        assertEquals(10, error.getExpected());
        connection.getWriter().close();
        server.close();
        server.waitClosed().get(WAIT, TimeUnit.SECONDS);
    }

    @Test
    void waitClosedWaitsForLiveClientsThenCompletes() throws Exception {
        FutureServer server = FutureStreams.startServer("127.0.0.1", 0, FutureStreamsTest::echo).get(WAIT, TimeUnit.SECONDS);
        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port(server)).get(WAIT, TimeUnit.SECONDS);
        connection.getWriter().write(ascii("ping\n"));
        connection.getReader().readLine().get(WAIT, TimeUnit.SECONDS);
        server.close();
        CompletableFuture<Void> closed = server.waitClosed();
        assertThrows(TimeoutException.class, () -> closed.get(300, TimeUnit.MILLISECONDS));
        connection.getWriter().close();
        closed.get(WAIT, TimeUnit.SECONDS);
    }

    @Test
    void cancellingServeForeverClosesTheServer() throws Exception {
        FutureServer server = FutureStreams.startServer("127.0.0.1", 0, FutureStreamsTest::echo).get(WAIT, TimeUnit.SECONDS);
        CompletableFuture<Void> forever = server.serveForever();
        assertFalse(forever.isDone());
        forever.cancel(false);
        server.waitClosed().get(WAIT, TimeUnit.SECONDS);
        assertFalse(server.isServing());
        assertThrows(CancellationException.class, forever::join);
    }

    @Test
    void aFailedHandlerStageClosesItsConnection() throws Exception {
        FutureServer server = FutureStreams.startServer("127.0.0.1", 0,
                (reader, writer) -> reader.readLine().thenApply(line -> {
                    throw new IllegalStateException("handler failed on " + new String(line, US_ASCII).trim());
                })).get(WAIT, TimeUnit.SECONDS);
        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port(server)).get(WAIT, TimeUnit.SECONDS);
        connection.getWriter().write(ascii("boom\n"));
        assertEquals(0, connection.getReader().read().get(WAIT, TimeUnit.SECONDS).length);
        connection.getWriter().close();
        server.close();
        server.waitClosed().get(WAIT, TimeUnit.SECONDS);
    }

    @Test
    void aPlainCallbackKeepsTheConnectionUntilItsWriterCloses() throws Exception {
        ExecutorService executor = Executors.newSingleThreadExecutor();
        try {
            FutureServer server = FutureStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
                writer.write(ascii("hi\n"));
                reader.read().thenRun(writer::close);
                return null;
            }, new StreamOptions().limit(1024).executor(executor)).get(WAIT, TimeUnit.SECONDS);
            FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port(server),
                    new StreamOptions().limit(1024).executor(executor)).get(WAIT, TimeUnit.SECONDS);
            assertEquals("hi\n", new String(connection.getReader().readLine().get(WAIT, TimeUnit.SECONDS), US_ASCII));
            connection.getWriter().writeEof();
            assertEquals(0, connection.getReader().read().get(WAIT, TimeUnit.SECONDS).length);
            connection.getWriter().close();
            server.close();
            server.waitClosed().get(WAIT, TimeUnit.SECONDS);
        } finally {
            executor.shutdownNow();
        }
    }

    @Test
    void aTlsClientVerifiesTheServerAgainstATestCa() throws Exception {
        StreamOptions serverOptions = new StreamOptions()
                .ssl(SslContexts.serverContext(TestPki.getServerCert(), TestPki.getServerKey()));
        FutureServer server = FutureStreams.startServer("127.0.0.1", 0, FutureStreamsTest::echo, serverOptions)
                .get(WAIT, TimeUnit.SECONDS);
        StreamOptions clientOptions = new StreamOptions().ssl(SslContexts.clientContext(TestPki.getCaCert()));
        FutureConnection connection = FutureStreams.openConnection("localhost", port(server), clientOptions)
                .get(WAIT, TimeUnit.SECONDS);
        connection.getWriter().write(ascii("over tls\n"));
        assertEquals("over tls\n", new String(connection.getReader().readLine().get(WAIT, TimeUnit.SECONDS), US_ASCII));
        assertEquals("TLSv1.3", ((SSLSession) connection.getWriter().getExtraInfo("ssl_object")).getProtocol());
        connection.getWriter().close();
        connection.getWriter().waitClosed().get(WAIT, TimeUnit.SECONDS);

        // An untrusting client is refused with the JDK's handshake exception.
        StreamOptions untrusting = new StreamOptions().ssl(SslContexts.clientContext(TestPki.getDir().resolve("other-ca.pem")));
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> FutureStreams.openConnection("localhost", port(server), untrusting).get(WAIT, TimeUnit.SECONDS));
        assertInstanceOf(SSLHandshakeException.class, e.getCause());
        server.close();
        server.closeClients();
        server.waitClosed().get(WAIT, TimeUnit.SECONDS);
    }

    @Test
    void startTlsUpgradesAPlainConnectionFromJava() throws Exception {
        SSLContext serverContext =
                SslContexts.serverContext(TestPki.getServerCert(), TestPki.getServerKey());
        FutureServer server = FutureStreams.startServer("127.0.0.1", 0, (reader, writer) ->
                reader.readLine()
                        .thenCompose(line -> writer.startTls(serverContext))
                        .thenCompose(ignored -> echo(reader, writer))).get(WAIT, TimeUnit.SECONDS);
        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port(server)).get(WAIT, TimeUnit.SECONDS);
        connection.getWriter().write(ascii("STARTTLS\n"));
        StreamOptions tls = new StreamOptions().serverHostname("localhost")
                .sslHandshakeTimeout(java.time.Duration.ofSeconds(10)).suppressRaggedEofs(false);
        connection.getWriter().startTls(SslContexts.clientContext(TestPki.getCaCert()), tls)
                .get(WAIT, TimeUnit.SECONDS);
        connection.getWriter().write(ascii("secret\n"));
        assertEquals("secret\n", new String(connection.getReader().readLine().get(WAIT, TimeUnit.SECONDS), US_ASCII));
        connection.getWriter().close();
        server.close();
        server.waitClosed().get(WAIT, TimeUnit.SECONDS);
    }

    @Test
    void aRefusedConnectionFailsWithConnectException() throws Exception {
        FutureServer server = FutureStreams.startServer("127.0.0.1", 0, FutureStreamsTest::echo).get(WAIT, TimeUnit.SECONDS);
        int port = port(server);
        server.close();
        server.waitClosed().get(WAIT, TimeUnit.SECONDS);
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> FutureStreams.openConnection("127.0.0.1", port).get(WAIT, TimeUnit.SECONDS));
        assertInstanceOf(ConnectException.class, e.getCause());
    }
}
