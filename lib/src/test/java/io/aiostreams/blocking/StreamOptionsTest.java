package io.aiostreams.blocking;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aiostreams.SslContexts;
import io.aiostreams.future.StreamOptions;
import io.aiostreams.testing.TempDirs;
import io.aiostreams.testing.TestPki;
import java.io.IOException;
import java.net.Inet6Address;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.StandardProtocolFamily;
import java.net.StandardSocketOptions;
import java.nio.channels.ServerSocketChannel;
import java.nio.channels.SocketChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLParameters;
import javax.net.ssl.SSLSession;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Every {@link StreamOptions} setter, from Java, with an effect a test can see. */
@Timeout(60)
class StreamOptionsTest {
    private static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    private static int port(BlockingServer server) {
        return ((InetSocketAddress) server.getAddresses().get(0)).getPort();
    }

    private static void echo(BlockingStreamReader reader, BlockingStreamWriter writer) throws Exception {
        byte[] line;
        while ((line = reader.readLine()).length > 0) {
            writer.write(line);
            writer.drain();
        }
    }

    private static int freePort() throws IOException {
        try (ServerSocketChannel probe = ServerSocketChannel.open().bind(new InetSocketAddress("127.0.0.1", 0))) {
            return ((InetSocketAddress) probe.getLocalAddress()).getPort();
        }
    }

    @Test
    void sslParametersChooseTheProtocolAndTheTimeOutsAreChecked() throws Exception {
        StreamOptions server = new StreamOptions()
                .ssl(SslContexts.serverContext(TestPki.getServerCert(), TestPki.getServerKey()))
                .sslHandshakeTimeout(Duration.ofSeconds(5))
                .sslShutdownTimeout(Duration.ofSeconds(5));
        SSLParameters tls12 = new SSLParameters();
        tls12.setProtocols(new String[] {"TLSv1.2"});
        StreamOptions client = new StreamOptions()
                .ssl(SslContexts.clientContext(TestPki.getCaCert()))
                .sslParameters(tls12)
                .suppressRaggedEofs(false);
        try (BlockingServer tls = BlockingStreams.startServer("127.0.0.1", 0, StreamOptionsTest::echo, server);
                BlockingConnection c = BlockingStreams.openConnection("127.0.0.1", port(tls), client)) {
            SSLSession session = (SSLSession) c.getWriter().getExtraInfo("ssl_object");
            assertEquals("TLSv1.2", session.getProtocol());
        }
        StreamOptions negative = new StreamOptions()
                .ssl(SslContexts.clientContext(TestPki.getCaCert()))
                .sslShutdownTimeout(Duration.ofSeconds(-1));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> BlockingStreams.openConnection("127.0.0.1", 1, negative));
        assertTrue(bad.getMessage().contains("ssl_shutdown_timeout"), bad.getMessage());
    }

    @Test
    void localAddressBindsTheClientsEnd() throws Exception {
        BlockingQueue<Object> peers = new ArrayBlockingQueue<>(1);
        try (BlockingServer server = BlockingStreams.startServer("127.0.0.1", 0,
                (reader, writer) -> peers.add(writer.getExtraInfo("peername")));
                BlockingConnection c = BlockingStreams.openConnection("127.0.0.1", port(server),
                        new StreamOptions().localAddress(new InetSocketAddress("127.0.0.2", 0)))) {
            InetSocketAddress mine = (InetSocketAddress) c.getWriter().getExtraInfo("sockname");
            assertEquals(InetAddress.getByName("127.0.0.2"), mine.getAddress());
            assertEquals(mine, peers.poll(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void familyHappyEyeballsAndInterleaveChooseTheAddressTried() throws Exception {
        try (BlockingServer v6 = BlockingStreams.startServer("::1", 0, StreamOptionsTest::echo);
                BlockingConnection c = BlockingStreams.openConnection("::1", port(v6), new StreamOptions()
                        .family(StandardProtocolFamily.INET6)
                        .happyEyeballsDelay(Duration.ofMillis(250))
                        .interleave(1))) {
            InetSocketAddress peer = (InetSocketAddress) c.getWriter().getExtraInfo("peername");
            assertInstanceOf(Inet6Address.class, peer.getAddress());
            c.getWriter().write(ascii("six\n"));
            assertArrayEquals(ascii("six\n"), c.getReader().readLine());
        }
        assertThrows(java.net.UnknownHostException.class, () -> BlockingStreams.openConnection("::1", 1,
                new StreamOptions().family(StandardProtocolFamily.INET)));
        IllegalArgumentException negative = assertThrows(IllegalArgumentException.class,
                () -> BlockingStreams.openConnection("localhost", 1, new StreamOptions().interleave(-1)));
        assertEquals("interleave < 0: -1", negative.getMessage());
    }

    @Test
    void allErrorsReportsEveryFailedAttempt() throws Exception {
        int refused = freePort();
        IOException all = assertThrows(IOException.class, () -> BlockingStreams.openConnection("127.0.0.1", refused,
                new StreamOptions().allErrors(true)));
        assertEquals("create_connection failed", all.getMessage());
        assertTrue(all.getSuppressed().length >= 1);
    }

    @Test
    void serverSocketOptionsReachTheListeningAndAcceptedSockets() throws Exception {
        BlockingQueue<Boolean> keepAlive = new ArrayBlockingQueue<>(1);
        StreamOptions options = new StreamOptions()
                .backlog(5)
                .reuseAddress(false)
                .reusePort(true)
                .keepAlive(true);
        try (BlockingServer server = BlockingStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
                    SocketChannel accepted = (SocketChannel) writer.getExtraInfo("socket");
                    keepAlive.add(accepted.getOption(StandardSocketOptions.SO_KEEPALIVE));
                }, options);
                BlockingConnection c = BlockingStreams.openConnection("127.0.0.1", port(server))) {
            assertEquals(server.getAddresses().get(0), c.getWriter().getExtraInfo("peername"));
            ServerSocketChannel listening = server.getSockets().get(0);
            assertFalse(listening.getOption(StandardSocketOptions.SO_REUSEADDR));
            assertTrue(listening.getOption(StandardSocketOptions.SO_REUSEPORT));
            assertEquals(Boolean.TRUE, keepAlive.poll(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void cleanupSocketFalseLeavesTheUnixSocketFile() throws Exception {
        Path dir = TempDirs.create("aiostreams-options");
        Path kept = dir.resolve("kept.sock");
        Path removed = dir.resolve("removed.sock");
        BlockingServer keeping = BlockingStreams.startUnixServer(kept.toString(), StreamOptionsTest::echo,
                new StreamOptions().cleanupSocket(false));
        BlockingServer cleaning = BlockingStreams.startUnixServer(removed.toString(), StreamOptionsTest::echo);
        keeping.close();
        cleaning.close();
        keeping.waitClosed();
        cleaning.waitClosed();
        assertTrue(Files.exists(kept));
        assertFalse(Files.exists(removed));
    }

    @Test
    void loopsSpreadTheConnectionsOverMoreEventLoops() throws Exception {
        try (BlockingServer server = BlockingStreams.startServer("127.0.0.1", 0, StreamOptionsTest::echo,
                new StreamOptions().loops(3))) {
            for (int i = 0; i < 4; i++) {
                try (BlockingConnection c = BlockingStreams.openConnection("127.0.0.1", port(server))) {
                    c.getWriter().write(ascii("line " + i + "\n"));
                    assertArrayEquals(ascii("line " + i + "\n"), c.getReader().readLine());
                }
            }
        }
        // No other test asks for a third loop: this server made it. A loop thread running a coroutine is named
        // "aiostreams-loop-3 @coroutine#N" under the coroutines' debug mode.
        assertTrue(Thread.getAllStackTraces().keySet().stream()
                .anyMatch(t -> t.getName().split(" @", 2)[0].equals("aiostreams-loop-3")));
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class, () -> new StreamOptions().loops(0));
        assertEquals("loops < 1: 0", bad.getMessage());
    }

    @Test
    void aLimitBelowOneIsRefusedBeforeAnythingOpens() {
        IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                () -> BlockingStreams.startServer("127.0.0.1", 0, StreamOptionsTest::echo, new StreamOptions().limit(0)));
        assertEquals("Limit cannot be <= 0", bad.getMessage());
    }
}
