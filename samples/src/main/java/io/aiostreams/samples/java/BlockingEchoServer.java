package io.aiostreams.samples.java;

import io.aiostreams.blocking.BlockingServer;
import io.aiostreams.blocking.BlockingStreams;
import io.aiostreams.samples.shared.PyRepr;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.stream.Collectors;

/**
 * asyncio's TCP echo server as blocking Java: reads up to 100 bytes from each client, sends them back, closes. Each
 * connection runs on a thread of its own (a virtual thread on Java 21+).
 */
public final class BlockingEchoServer {
    private BlockingEchoServer() {}

    /** Starts the server and prints {@code Serving on ...}; the caller serves and stops it. */
    public static BlockingServer start(String host, int port, PrintStream out) throws IOException, InterruptedException {
        BlockingServer server = BlockingStreams.startServer(host, port, (reader, writer) -> {
            byte[] data = reader.read(100);
            String message = new String(data, StandardCharsets.UTF_8);
            Object address = writer.getExtraInfo("peername");
            out.println("Received " + PyRepr.str(message) + " from " + PyRepr.address(address));
            out.println("Send: " + PyRepr.str(message));
            writer.write(data);
            writer.drain();
            out.println("Close the connection");
            writer.close();
            writer.waitClosed();
        });
        out.println("Serving on " + server.getAddresses().stream().map(PyRepr::address).collect(Collectors.joining(", ")));
        return server;
    }

    /** Serves until the process is interrupted (Ctrl+C, SIGTERM), then closes the server and its clients. */
    public static void serveUntilStopped(BlockingServer server) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            server.closeClients();
            try {
                server.waitClosed();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }));
        try {
            server.serveForever();
        } catch (InterruptedException | java.util.concurrent.CancellationException stopped) {
            // Closed: the shutdown hook did it.
        }
    }
}
