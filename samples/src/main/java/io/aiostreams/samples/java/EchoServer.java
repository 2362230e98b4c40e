package io.aiostreams.samples.java;

import io.aiostreams.future.FutureServer;
import io.aiostreams.future.FutureStreams;
import io.aiostreams.samples.shared.PyRepr;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletionException;
import java.util.stream.Collectors;

/** asyncio's TCP echo server: reads up to 100 bytes from each client, sends them back, closes. */
public final class EchoServer {
    private EchoServer() {}

    /** Starts the server and prints {@code Serving on ...}; the caller serves and stops it. */
    public static FutureServer start(String host, int port, PrintStream out) {
        FutureServer server = FutureStreams.startServer(host, port, (reader, writer) ->
                reader.read(100).thenCompose(data -> {
                    String message = new String(data, StandardCharsets.UTF_8);
                    Object address = writer.getExtraInfo("peername");
                    out.println("Received " + PyRepr.str(message) + " from " + PyRepr.address(address));
                    out.println("Send: " + PyRepr.str(message));
                    writer.write(data);
                    return writer.drain();
                }).thenCompose(ignored -> {
                    out.println("Close the connection");
                    writer.close();
                    return writer.waitClosed();
                })).join();
        out.println("Serving on " + server.getAddresses().stream().map(PyRepr::address).collect(Collectors.joining(", ")));
        return server;
    }

    /** Serves until the process is interrupted (Ctrl+C, SIGTERM), then closes the server and its clients. */
    public static void serveUntilStopped(FutureServer server) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            server.close();
            server.closeClients();
            server.waitClosed().join();
        }));
        try {
            server.serveForever().join();
        } catch (CancellationException | CompletionException stopped) {
            // Closed: the shutdown hook did it.
        }
    }
}
