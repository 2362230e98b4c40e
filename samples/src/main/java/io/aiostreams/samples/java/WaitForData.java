package io.aiostreams.samples.java;

import io.aiostreams.future.FutureConnection;
import io.aiostreams.future.FutureServer;
import io.aiostreams.future.FutureStreams;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * asyncio's wait-for-data example: a connected pair of sockets on loopback; one side sends {@code abc}, the other
 * waits for data with {@code read(100)} and prints it.
 */
public final class WaitForData {
    private WaitForData() {}

    public static void run(PrintStream out) {
        CompletableFuture<Void> sent = new CompletableFuture<>();
        // The "network" side of the pair: sends abc to whoever connects.
        FutureServer network = FutureStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
            writer.write("abc".getBytes(StandardCharsets.US_ASCII));
            return writer.drain().thenRun(() -> sent.complete(null));
        }).join();
        int port = ((InetSocketAddress) network.getAddresses().get(0)).getPort();
        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port).join();
        byte[] data = connection.getReader().read(100).join();
        out.println("Received: " + new String(data, StandardCharsets.US_ASCII));
        connection.getWriter().close();
        sent.join();
        network.close();
        network.waitClosed().join();
    }
}
