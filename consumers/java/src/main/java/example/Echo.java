package example;

import io.aiostreams.blocking.BlockingConnection;
import io.aiostreams.blocking.BlockingServer;
import io.aiostreams.blocking.BlockingStreams;
import io.aiostreams.future.FutureConnection;
import io.aiostreams.future.FutureServer;
import io.aiostreams.future.FutureStreams;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;

/** A server and a client on loopback, with futures and with the blocking API; exits 1 if an echo differs. */
public final class Echo {
    private Echo() {}

    public static void main(String[] args) throws Exception {
        FutureServer futures = FutureStreams.startServer("127.0.0.1", 0, (reader, writer) ->
                reader.forEachLine(writer::write).thenCompose(done -> writer.drain())).join();
        FutureConnection c = FutureStreams.openConnection("127.0.0.1", port(futures)).join();
        c.getWriter().write("hello from Java futures\n".getBytes(StandardCharsets.UTF_8));
        String first = new String(c.getReader().readLine().join(), StandardCharsets.UTF_8);
        c.getWriter().close();
        futures.close();

        String second;
        try (BlockingServer blocking = BlockingStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
                byte[] line;
                while ((line = reader.readLine()).length > 0) {
                    writer.write(line);
                    writer.drain();
                }
            });
             BlockingConnection b = BlockingStreams.openConnection("127.0.0.1", port(blocking))) {
            b.getWriter().write("hello from blocking Java\n".getBytes(StandardCharsets.UTF_8));
            second = new String(b.getReader().readLine(), StandardCharsets.UTF_8);
        }
        System.out.print(first + second);
        if (!first.equals("hello from Java futures\n") || !second.equals("hello from blocking Java\n")) {
            System.exit(1);
        }
    }

    private static int port(FutureServer server) {
        return ((InetSocketAddress) server.getAddresses().get(0)).getPort();
    }

    private static int port(BlockingServer server) {
        return ((InetSocketAddress) server.getAddresses().get(0)).getPort();
    }
}
