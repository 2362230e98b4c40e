package io.aiostreams.blocking;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aiostreams.IncompleteReadError;
import io.aiostreams.LimitOverrunError;
import io.aiostreams.SslContexts;
import io.aiostreams.StreamReader;
import io.aiostreams.future.StreamOptions;
import io.aiostreams.testing.TempDirs;
import io.aiostreams.testing.TestPki;
import java.io.IOException;
import java.net.ConnectException;
import java.net.InetSocketAddress;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import javax.net.ssl.SSLSession;
import jdk.jfr.Recording;
import jdk.jfr.consumer.RecordedEvent;
import jdk.jfr.consumer.RecordingFile;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The blocking API as a Java 17 or Java 21+ program uses it; the suite runs on both. */
@Timeout(60)
class BlockingStreamsTest {
    private static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    private static int port(BlockingServer server) {
        return ((InetSocketAddress) server.getAddresses().get(0)).getPort();
    }

    /** Echoes lines until end of stream: the handler a blocking server is written as. */
    private static void echo(BlockingStreamReader reader, BlockingStreamWriter writer) throws Exception {
        byte[] line;
        while ((line = reader.readLine()).length > 0) {
            writer.write(line);
            writer.drain();
        }
    }

    private static boolean isVirtual(Thread thread) throws ReflectiveOperationException {
        if (Runtime.version().feature() < 21) {
            return false;
        }
        return (Boolean) Thread.class.getMethod("isVirtual").invoke(thread);
    }

    @Test
    void anEchoServerAndClientWrittenAsBlockingCode() throws Exception {
        try (BlockingServer server = BlockingStreams.startServer("127.0.0.1", 0, BlockingStreamsTest::echo);
                BlockingConnection connection = BlockingStreams.openConnection("127.0.0.1", port(server))) {
            for (int i = 0; i < 100; i++) {
                connection.getWriter().write(ascii("line " + i + "\n"));
                connection.getWriter().drain();
                assertArrayEquals(ascii("line " + i + "\n"), connection.getReader().readLine());
            }
            connection.getWriter().writeEof();
            assertArrayEquals(new byte[0], connection.getReader().readLine());
            assertTrue(connection.getReader().atEof());
        }
    }

    @Test
    void handlersRunOnVirtualThreadsFromJava21AndOnPooledThreadsOnJava17() throws Exception {
        AtomicReference<Thread> seen = new AtomicReference<>();
        try (BlockingServer server = BlockingStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
                    seen.set(Thread.currentThread());
                    writer.write(ascii("hi\n"));
                });
                BlockingConnection connection = BlockingStreams.openConnection("127.0.0.1", port(server))) {
            assertArrayEquals(ascii("hi\n"), connection.getReader().readLine());
            // The handler returned: the server closed the connection.
            assertArrayEquals(new byte[0], connection.getReader().read());
        }
        Thread thread = seen.get();
        assertNotNull(thread);
        assertEquals(Runtime.version().feature() >= 21, isVirtual(thread), thread.toString());
        assertTrue(thread.getName().startsWith("aiostreams-handler-"), thread.getName());
    }

    @Test
    void aSizedExecutorBoundsHowManyHandlersRunAtOnce() throws Exception {
        ExecutorService two = Executors.newFixedThreadPool(2);
        Set<Thread> threads = ConcurrentHashMap.newKeySet();
        StreamOptions options = new StreamOptions().executor(two);
        try (BlockingServer server = BlockingStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
                    threads.add(Thread.currentThread());
                    echo(reader, writer);
                }, options)) {
            List<BlockingConnection> clients = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                clients.add(BlockingStreams.openConnection("127.0.0.1", port(server)));
                clients.get(i).getWriter().write(ascii("c" + i + "\n"));
            }
            assertArrayEquals(ascii("c0\n"), clients.get(0).getReader().readLine());
            assertArrayEquals(ascii("c1\n"), clients.get(1).getReader().readLine());
            // Both threads are busy: the third client waits until one of the first two ends.
            Thread.sleep(300);
            String waiting = clients.get(2).getReader().toString();
            assertFalse(waiting.contains(" bytes"), waiting);
            clients.get(0).close();
            assertArrayEquals(ascii("c2\n"), clients.get(2).getReader().readLine());
            assertEquals(2, threads.size());
            for (BlockingConnection client : clients) {
                client.close();
            }
        } finally {
            two.shutdownNow();
        }
    }

    @Test
    void anInterruptCancelsAWaitingReadAndConsumesNothing() throws Exception {
        StreamReader reader = new StreamReader();
        BlockingStreamReader blocking = new BlockingStreamReader(reader);
        reader.feedData(ascii("partial"));
        AtomicReference<Throwable> failure = new AtomicReference<>();
        Thread thread = new Thread(() -> {
            try {
                blocking.readLine();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        thread.start();
        Thread.sleep(200);
        thread.interrupt();
        thread.join(5000);
        assertInstanceOf(InterruptedException.class, failure.get());
        reader.feedData(ascii(" line\n"));
        assertArrayEquals(ascii("partial line\n"), blocking.readLine());
    }

    @Test
    void anInterruptedReadOnASocketLeavesTheConnectionUsable() throws Exception {
        BlockingQueue<byte[]> toSend = new ArrayBlockingQueue<>(1);
        try (BlockingServer server = BlockingStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
                    writer.write(toSend.take());
                    writer.drain();
                    reader.read();
                });
                BlockingConnection connection = BlockingStreams.openConnection("127.0.0.1", port(server))) {
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread thread = new Thread(() -> {
                try {
                    connection.getReader().readExactly(4);
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            thread.start();
            Thread.sleep(200);
            thread.interrupt();
            thread.join(5000);
            assertInstanceOf(InterruptedException.class, failure.get());
            toSend.put(ascii("data"));
            assertArrayEquals(ascii("data"), connection.getReader().readExactly(4));
        }
    }

    @Test
    void endOfStreamAndTheLimitFailAsInCPython() throws Exception {
        StreamReader reader = new StreamReader(8);
        BlockingStreamReader blocking = new BlockingStreamReader(reader);
        reader.feedData(ascii("0123456789abc|tail"));
        LimitOverrunError overrun = assertThrows(LimitOverrunError.class, () -> blocking.readUntil(ascii("|")));
        assertEquals("Separator is found, but chunk is longer than limit", overrun.getMessage());
        assertArrayEquals(ascii("0123456789"), blocking.readExactly(10));
        assertArrayEquals(ascii("abc|"), blocking.readUntil(List.of(ascii("|"), ascii("||"))));
        reader.feedEof();
        IncompleteReadError incomplete = assertThrows(IncompleteReadError.class, () -> blocking.readExactly(10));
        assertArrayEquals(ascii("tail"), incomplete.getPartial());
        assertEquals(10, incomplete.getExpected());
        assertArrayEquals(new byte[0], blocking.readLine());
        assertTrue(blocking.atEof());
        assertEquals(null, blocking.exception());
    }

    @Test
    void aRefusedConnectionThrowsConnectException() throws Exception {
        int port;
        try (ServerSocketChannel closed = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            port = ((InetSocketAddress) closed.getLocalAddress()).getPort();
        }
        int refused = port;
        assertThrows(ConnectException.class, () -> BlockingStreams.openConnection("127.0.0.1", refused));
    }

    @Test
    void handlerFailuresReachTheExceptionHandlerAndCloseTheConnection() throws Exception {
        BlockingQueue<Throwable> reported = new ArrayBlockingQueue<>(1);
        StreamOptions options = new StreamOptions().exceptionHandler(reported::add);
        try (BlockingServer server = BlockingStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
                    throw new IOException("handler failed");
                }, options);
                BlockingConnection connection = BlockingStreams.openConnection("127.0.0.1", port(server))) {
            assertArrayEquals(new byte[0], connection.getReader().read());
            Throwable failure = reported.poll(10, TimeUnit.SECONDS);
            assertNotNull(failure);
            Throwable cause = failure.getCause() != null ? failure.getCause() : failure;
            assertEquals("handler failed", cause.getMessage());
        }
    }

    @Test
    void tlsUnixAndChannelsYouAlreadyHaveAreOffered() throws Exception {
        StreamOptions serverTls = new StreamOptions()
                .ssl(SslContexts.serverContext(TestPki.getServerCert(), TestPki.getServerKey()));
        StreamOptions clientTls = new StreamOptions().ssl(SslContexts.clientContext(TestPki.getCaCert()));
        String path = TempDirs.create("aiostreams-blocking").resolve("echo.sock").toString();
        try (BlockingServer tls = BlockingStreams.startServer("127.0.0.1", 0, BlockingStreamsTest::echo, serverTls);
                BlockingServer unix = BlockingStreams.startUnixServer(path, BlockingStreamsTest::echo)) {
            assertEquals(1, unix.getSockets().size());
            try (BlockingConnection connection = BlockingStreams.openConnection("127.0.0.1", port(tls), clientTls)) {
                connection.getWriter().write(ascii("secret\n"));
                assertArrayEquals(ascii("secret\n"), connection.getReader().readLine());
                assertInstanceOf(SSLSession.class, connection.getWriter().getExtraInfo("ssl_object"));
            }
            try (BlockingConnection connection = BlockingStreams.openUnixConnection(path)) {
                connection.getWriter().write(ascii("local\n"));
                assertArrayEquals(ascii("local\n"), connection.getReader().readLine());
            }
            SocketChannel sock = SocketChannel.open(new InetSocketAddress("127.0.0.1", port(tls)));
            try (BlockingConnection connection = BlockingStreams.openConnection(sock,
                    new StreamOptions().ssl(SslContexts.clientContext(TestPki.getCaCert())).serverHostname("127.0.0.1"))) {
                connection.getWriter().write(ascii("adopted\n"));
                assertArrayEquals(ascii("adopted\n"), connection.getReader().readLine());
            }
        }
    }

    @Test
    void startTlsUpgradesAPlainConnection() throws Exception {
        StreamOptions serverSide = new StreamOptions()
                .sslHandshakeTimeout(java.time.Duration.ofSeconds(5));
        try (BlockingServer server = BlockingStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
                    assertArrayEquals(ascii("STARTTLS\n"), reader.readLine());
                    writer.write(ascii("GO\n"));
                    writer.drain();
                    writer.startTls(SslContexts.serverContext(TestPki.getServerCert(), TestPki.getServerKey()),
                            serverSide);
                    echo(reader, writer);
                });
                BlockingConnection connection = BlockingStreams.openConnection("127.0.0.1", port(server))) {
            connection.getWriter().write(ascii("STARTTLS\n"));
            assertArrayEquals(ascii("GO\n"), connection.getReader().readLine());
            connection.getWriter().startTls(SslContexts.clientContext(TestPki.getCaCert()),
                    new StreamOptions().serverHostname("localhost").sslHandshakeTimeout(java.time.Duration.ofSeconds(5)));
            connection.getWriter().write(ascii("now secret\n"));
            assertArrayEquals(ascii("now secret\n"), connection.getReader().readLine());
            assertNotNull(connection.getWriter().getExtraInfo("peercert"));
        }
    }

    @Test
    void interruptingServeForeverClosesTheServer() throws Exception {
        BlockingServer server = BlockingStreams.startServer("127.0.0.1", 0, BlockingStreamsTest::echo,
                new StreamOptions().startServing(false));
        assertFalse(server.isServing());
        AtomicReference<Throwable> failure = new AtomicReference<>();
        CountDownLatch started = new CountDownLatch(1);
        Thread thread = new Thread(() -> {
            started.countDown();
            try {
                server.serveForever();
            } catch (Throwable e) {
                failure.set(e);
            }
        });
        thread.start();
        started.await();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!server.isServing() && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertTrue(server.isServing());
        thread.interrupt();
        thread.join(5000);
        assertInstanceOf(InterruptedException.class, failure.get());
        server.waitClosed();
        assertTrue(server.getSockets().isEmpty());
    }

    @Test
    void aBlockedDrainWaitsForTheSlowPeerAndAnInterruptEndsTheWait() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        try (BlockingServer server = BlockingStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
                    release.await();
                    while (reader.read(65536).length > 0) {
                        // discard
                    }
                });
                BlockingConnection connection = BlockingStreams.openConnection("127.0.0.1", port(server))) {
            BlockingStreamWriter writer = connection.getWriter();
            writer.setWriteBufferLimits(65536, null);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            Thread thread = new Thread(() -> {
                try {
                    byte[] chunk = new byte[1 << 20];
                    for (int i = 0; i < 64; i++) {
                        writer.write(chunk);
                        writer.drain();
                    }
                } catch (Throwable e) {
                    failure.set(e);
                }
            });
            thread.start();
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
            while (writer.getWriteBufferSize() <= 65536 && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertTrue(writer.getWriteBufferSize() > 65536);
            Thread.sleep(200);
            assertTrue(thread.isAlive(), "the peer reads nothing: drain must be waiting");
            thread.interrupt();
            thread.join(5000);
            assertInstanceOf(InterruptedException.class, failure.get());
            release.countDown();
            writer.close();
            writer.waitClosed();
        }
    }

    @Test
    void manyBlockedHandlersCostVirtualThreadsOnJava21AndPooledThreadsOnJava17() throws Exception {
        int clients = 300;
        boolean virtual = Runtime.version().feature() >= 21;
        Recording recording = new Recording();
        if (virtual) {
            recording.enable("jdk.VirtualThreadPinned").withThreshold(java.time.Duration.ZERO);
        }
        recording.start();
        CountDownLatch allWaiting = new CountDownLatch(clients);
        List<BlockingConnection> connections = new ArrayList<>();
        int peakThreads;
        try (BlockingServer server = BlockingStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
                    allWaiting.countDown();
                    echo(reader, writer);
                })) {
            for (int i = 0; i < clients; i++) {
                connections.add(BlockingStreams.openConnection("127.0.0.1", port(server)));
            }
            assertTrue(allWaiting.await(30, TimeUnit.SECONDS));
            Thread.sleep(100);
            peakThreads = ManagementFactory.getThreadMXBean().getThreadCount();
            for (int i = clients - 1; i >= 0; i--) {
                connections.get(i).getWriter().write(ascii("n" + i + "\n"));
                assertArrayEquals(ascii("n" + i + "\n"), connections.get(i).getReader().readLine());
                connections.get(i).close();
            }
        } finally {
            recording.stop();
        }
        if (virtual) {
            // Every handler is parked in readLine: no platform thread is held for any of them, and none is pinned.
            assertTrue(peakThreads < 100, "platform threads: " + peakThreads);
            Path dump = Files.createTempFile("aiostreams-pinning", ".jfr");
            recording.dump(dump);
            List<RecordedEvent> pinned = RecordingFile.readAllEvents(dump);
            Files.delete(dump);
            assertEquals(List.of(), pinned);
        } else {
            assertTrue(peakThreads >= clients, "platform threads: " + peakThreads);
        }
        recording.close();
    }
}
