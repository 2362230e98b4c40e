package io.aiostreams;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.aiostreams.blocking.BlockingConnection;
import io.aiostreams.blocking.BlockingServer;
import io.aiostreams.blocking.BlockingStreams;
import io.aiostreams.future.FutureConnection;
import io.aiostreams.future.FutureServer;
import io.aiostreams.future.FutureStreams;
import java.net.InetSocketAddress;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The README's two Java examples, as written there (on a free port instead of 8888). */
@Timeout(30)
class ReadmeJavaExamplesTest {
    private static int port(java.util.List<java.net.SocketAddress> addresses) {
        return ((InetSocketAddress) addresses.get(0)).getPort();
    }

    @Test
    void theBlockingEchoExampleWorksAsWritten() throws Exception {
        try (BlockingServer server = BlockingStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
                byte[] line;
                while ((line = reader.readLine()).length > 0) {
                    writer.write(line);
                    writer.drain();
                }
            });
             BlockingConnection c = BlockingStreams.openConnection("127.0.0.1", port(server.getAddresses()))) {
            c.getWriter().write("hello\n".getBytes());
            assertEquals("hello\n", new String(c.getReader().readLine()));
        }
    }

    @Test
    void theFuturesEchoExampleWorksAsWritten() {
        FutureServer server = FutureStreams.startServer("127.0.0.1", 0, (reader, writer) ->
                reader.forEachLine(line -> writer.write(line))
                      .thenCompose(done -> writer.drain())).join();
        FutureConnection c = FutureStreams.openConnection("127.0.0.1", port(server.getAddresses())).join();
        c.getWriter().write("hello\n".getBytes());
        byte[] line = c.getReader().readLine().orTimeout(5, TimeUnit.SECONDS).join();
        assertEquals("hello\n", new String(line));
        c.getWriter().close();
        server.close();
        server.waitClosed().join();
    }
}
