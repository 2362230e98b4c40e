package io.aiostreams.samples.java;

import io.aiostreams.IncompleteReadError;
import io.aiostreams.LimitOverrunError;
import io.aiostreams.future.FutureConnection;
import io.aiostreams.future.FutureServer;
import io.aiostreams.future.FutureStreamReader;
import io.aiostreams.future.FutureStreamWriter;
import io.aiostreams.future.FutureStreams;
import io.aiostreams.future.StreamOptions;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.Locale;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;

/**
 * The main demo, offline: a server and a client in one process on a free loopback port. The server answers a small
 * line protocol; the client shows lines, separators, exact reads, the limit, a half-close and end of stream.
 */
public final class LoopbackDemo {
    private LoopbackDemo() {}

    private static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static String text(byte[] b) {
        return new String(b, StandardCharsets.UTF_8);
    }

    /** The server's loop: one reply per line until end of stream, then goodbye. */
    private static CompletionStage<?> serve(FutureStreamReader reader, FutureStreamWriter writer, PrintStream out) {
        return reader.readLine().thenCompose(line -> {
            if (line.length == 0) {
                out.println("server> client half-closed; saying goodbye");
                writer.write(bytes("goodbye\n"));
                return CompletableFuture.completedFuture(null);
            }
            String command = text(line).stripTrailing();
            String reply;
            if (command.startsWith("UPPER ")) {
                reply = command.substring("UPPER ".length()).toUpperCase(Locale.ROOT) + "\n";
            } else if (command.startsWith("SIZE ")) {
                reply = "#".repeat(Integer.parseInt(command.substring("SIZE ".length())));
            } else if (command.equals("RECORDS")) {
                reply = "alpha;beta;gamma;";
            } else {
                reply = "unknown command\n";
            }
            writer.write(bytes(reply));
            return writer.drain().thenCompose(ignored -> serve(reader, writer, out));
        });
    }

    public static void run(PrintStream out) {
        FutureServer server =
                FutureStreams.startServer("127.0.0.1", 0, (reader, writer) -> serve(reader, writer, out),
                        new StreamOptions().limit(64)).join();
        int port = ((InetSocketAddress) server.getAddresses().get(0)).getPort();
        out.println("server> listening on a free loopback port");

        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port, new StreamOptions().limit(16)).join();
        FutureStreamReader reader = connection.getReader();
        FutureStreamWriter writer = connection.getWriter();
        writer.write(bytes("UPPER hello, streams\n"));
        out.println("client> readLine: " + text(reader.readLine().join()).stripTrailing());
        writer.write(bytes("SIZE 12\n"));
        out.println("client> readExactly(12): " + text(reader.readExactly(12).join()));
        writer.write(bytes("RECORDS\n"));
        for (int i = 0; i < 3; i++) {
            out.println("client> readUntil(;): " + text(reader.readUntil(bytes(";")).join()));
        }
        String longLine = "a line longer than the client's limit of 16";
        writer.write(bytes("UPPER " + longLine + "\n"));
        try {
            reader.readUntil(bytes("\n")).join();
        } catch (CompletionException e) {
            if (!(e.getCause() instanceof LimitOverrunError)) {
                throw e;
            }
            out.println("client> LimitOverrunError: more than 16 bytes before the newline; the data stays buffered");
            out.println("client> readExactly(" + longLine.length() + "): "
                    + text(reader.readExactly(longLine.length() + 1).join()).stripTrailing());
        }
        out.println("client> sending EOF (half-close), still reading");
        writer.writeEof();
        out.println("client> readLine: " + text(reader.readLine().join()).stripTrailing());
        try {
            reader.readExactly(1).join();
        } catch (CompletionException e) {
            IncompleteReadError error = (IncompleteReadError) e.getCause();
            out.println("client> IncompleteReadError at end of stream: " + error.getMessage());
        }
        writer.close();
        writer.waitClosed().join();
        server.close();
        server.waitClosed().join();
        out.println("server> closed");
    }
}
