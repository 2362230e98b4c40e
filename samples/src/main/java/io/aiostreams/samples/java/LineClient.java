package io.aiostreams.samples.java;

import io.aiostreams.future.FutureConnection;
import io.aiostreams.future.FutureStreams;
import io.aiostreams.samples.shared.PyRepr;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** The line client of the asyncio tutorial: writes four lines, reads lines back until {@code Last line.}. */
public final class LineClient {
    private static final byte[] LAST_LINE = "Last line.\n".getBytes(StandardCharsets.US_ASCII);

    private LineClient() {}

    public static void run(String host, int port, PrintStream out) {
        FutureConnection connection = FutureStreams.openConnection(host, port).join();
        for (String line : List.of("First line.\n", "Second line.\n", "Third line.\n")) {
            connection.getWriter().write(line.getBytes(StandardCharsets.US_ASCII));
        }
        connection.getWriter().write(LAST_LINE);
        out.println("Lines received");
        while (true) {
            byte[] line = connection.getReader().readLine().join();
            out.println(PyRepr.bytes(line));
            if (Arrays.equals(line, LAST_LINE) || line.length == 0) {
                break;
            }
        }
        connection.getWriter().close();
        connection.getWriter().waitClosed().join();
    }
}
