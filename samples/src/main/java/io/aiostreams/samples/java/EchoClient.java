package io.aiostreams.samples.java;

import io.aiostreams.future.FutureConnection;
import io.aiostreams.future.FutureStreams;
import io.aiostreams.samples.shared.PyRepr;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;

/** asyncio's TCP echo client: sends one message, prints what comes back. */
public final class EchoClient {
    private EchoClient() {}

    public static void run(String host, int port, String message, PrintStream out) {
        FutureConnection connection = FutureStreams.openConnection(host, port).join();
        out.println("Send: " + PyRepr.str(message));
        connection.getWriter().write(message.getBytes(StandardCharsets.UTF_8));
        connection.getWriter().drain().join();
        byte[] data = connection.getReader().read(100).join();
        out.println("Received: " + PyRepr.str(new String(data, StandardCharsets.UTF_8)));
        out.println("Close the connection");
        connection.getWriter().close();
        connection.getWriter().waitClosed().join();
    }
}
