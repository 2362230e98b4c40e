package io.aiostreams.future;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aiostreams.SslContexts;
import io.aiostreams.protocol.DatagramEndpoint;
import io.aiostreams.protocol.DatagramProtocol;
import io.aiostreams.protocol.DatagramTransport;
import io.aiostreams.protocol.Protocol;
import io.aiostreams.protocol.ProtocolConnection;
import io.aiostreams.protocol.Transport;
import io.aiostreams.testing.TempDirs;
import io.aiostreams.testing.TestPki;
import java.io.ByteArrayOutputStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FutureProtocolsTest {
    private static final long WAIT = 20;

    /** A Java protocol: replies "echo:" and the data, like the asyncio tutorial's SimpleEchoProtocol. */
    static final class EchoProtocol implements Protocol {
        private Transport transport;

        @Override
        public void connectionMade(Transport transport) {
            this.transport = transport;
        }

        @Override
        public void dataReceived(byte[] data) {
            transport.write("echo:".getBytes(US_ASCII));
            transport.write(data);
        }
    }

    /** Collects what arrives and records the order of callbacks. */
    static final class Collector implements Protocol {
        final List<String> events = Collections.synchronizedList(new ArrayList<>());
        final ByteArrayOutputStream received = new ByteArrayOutputStream();
        final CompletableFuture<Throwable> lost = new CompletableFuture<>();

        @Override
        public void connectionMade(Transport transport) {
            events.add("made");
        }

        @Override
        public void dataReceived(byte[] data) {
            synchronized (received) {
                received.writeBytes(data);
            }
            if (events.isEmpty() || !events.get(events.size() - 1).equals("data")) {
                events.add("data");
            }
        }

        @Override
        public void connectionLost(Throwable exception) {
            events.add("lost");
            lost.complete(exception);
        }

        String text() {
            synchronized (received) {
                return received.toString(US_ASCII);
            }
        }
    }

    @Test
    void unixProtocolCallsTakeTlsServerOptionsAndTheExecutor() throws Exception {
        String path = TempDirs.create("aiostreams-unix-tls").resolve("echo.sock").toString();
        StreamOptions serverOptions = new StreamOptions()
                .ssl(SslContexts.serverContext(TestPki.getServerCert(), TestPki.getServerKey()))
                .startServing(false);
        FutureServer server =
                FutureProtocols.createUnixServer(EchoProtocol::new, path, serverOptions).get(WAIT, TimeUnit.SECONDS);
        assertFalse(server.isServing());
        // An executor whose thread starts only when told to: nothing the connection resumes on it can finish before
        // the test has attached to its future.
        CountDownLatch gate = new CountDownLatch(1);
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(() -> {
            try {
                gate.await();
            } catch (InterruptedException e) {
                return;
            }
            r.run();
        }, "java-side"));
        try {
            StreamOptions clientOptions = new StreamOptions()
                    .ssl(SslContexts.clientContext(TestPki.getCaCert()))
                    .serverHostname("localhost")
                    .executor(executor);
            CompletableFuture<ProtocolConnection<Collector>> opening =
                    FutureProtocols.createUnixConnection(Collector::new, path, clientOptions);
            // The handshake has to be waited for (the server accepts only from now on), so the future completes on the
            // executor given.
            boolean doneEarly = opening.isDone();
            CompletableFuture<String> completedOn = opening.thenApply(c -> Thread.currentThread().getName());
            gate.countDown();
            server.startServing().get(WAIT, TimeUnit.SECONDS);
            assertTrue(server.isServing());
            // completedOn first: a thread blocked in opening.get() may run opening's dependents itself (the JDK's
            // CompletableFuture helps), which would hide the thread that completed it.
            // (Under the coroutines debug agent a thread's name also names the coroutine it runs.)
            String thread = completedOn.get(WAIT, TimeUnit.SECONDS);
            ProtocolConnection<Collector> connection = opening.get(WAIT, TimeUnit.SECONDS);
            assertFalse(doneEarly);
            assertTrue(thread.startsWith("java-side"), thread);
            assertNotNull(connection.getTransport().getExtraInfo("sslcontext", null));
            connection.getTransport().write("over tls".getBytes(US_ASCII));
            long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
            while (!connection.getProtocol().text().equals("echo:over tls") && System.nanoTime() < deadline) {
                Thread.sleep(10);
            }
            assertEquals("echo:over tls", connection.getProtocol().text());
            connection.getTransport().close();
            connection.getProtocol().lost.get(WAIT, TimeUnit.SECONDS);
        } finally {
            executor.shutdown();
        }
        server.close();
        server.closeClients();
        server.waitClosed().get(WAIT, TimeUnit.SECONDS);
    }

    @Test
    void javaProtocolsServeAndConnect() throws Exception {
        FutureServer server = FutureProtocols.createServer(EchoProtocol::new, "127.0.0.1", 0).get(WAIT, TimeUnit.SECONDS);
        int port = ((InetSocketAddress) server.getAddresses().get(0)).getPort();
        ProtocolConnection<Collector> connection =
                FutureProtocols.createConnection(Collector::new, "127.0.0.1", port).get(WAIT, TimeUnit.SECONDS);
        connection.getTransport().write("hello".getBytes(US_ASCII));
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(WAIT);
        while (!connection.getProtocol().text().equals("echo:hello") && System.nanoTime() < deadline) {
            Thread.sleep(10);
        }
        assertEquals("echo:hello", connection.getProtocol().text());
        connection.getTransport().close();
        assertNull(connection.getProtocol().lost.get(WAIT, TimeUnit.SECONDS));
        assertEquals(List.of("made", "data", "lost"), connection.getProtocol().events);
        server.close();
        server.closeClients();
        server.waitClosed().get(WAIT, TimeUnit.SECONDS);
    }

    @Test
    void javaDatagramProtocolsRoundTrip() throws Exception {
        DatagramEndpoint<DatagramProtocol> server = FutureProtocols.<DatagramProtocol>createDatagramEndpoint(
                () -> new DatagramProtocol() {
                    private DatagramTransport transport;

                    @Override
                    public void connectionMade(DatagramTransport transport) {
                        this.transport = transport;
                    }

                    @Override
                    public void datagramReceived(byte[] data, SocketAddress address) {
                        transport.sendTo(data, address);
                    }
                }, new InetSocketAddress("127.0.0.1", 0)).get(WAIT, TimeUnit.SECONDS);
        InetSocketAddress address = (InetSocketAddress) server.getTransport().getExtraInfo("sockname");
        CompletableFuture<String> reply = new CompletableFuture<>();
        DatagramEndpoint<DatagramProtocol> client = FutureProtocols.<DatagramProtocol>createDatagramEndpoint(
                () -> new DatagramProtocol() {
                    @Override
                    public void datagramReceived(byte[] data, SocketAddress from) {
                        reply.complete(new String(data, US_ASCII));
                    }
                }, null, address).get(WAIT, TimeUnit.SECONDS);
        client.getTransport().sendTo("ping".getBytes(US_ASCII));
        assertEquals("ping", reply.get(WAIT, TimeUnit.SECONDS));
        client.getTransport().close();
        server.getTransport().close();
    }
}
