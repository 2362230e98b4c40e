package io.aiostreams.samples.java;

import io.aiostreams.blocking.BlockingConnection;
import io.aiostreams.blocking.BlockingStreams;
import io.aiostreams.samples.shared.PyRepr;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;

/** The line client of the asyncio tutorial as blocking Java: writes four lines, reads lines back until the last. */
public final class BlockingLineClient {
    private static final byte[] LAST_LINE = "Last line.\n".getBytes(StandardCharsets.US_ASCII);

    private BlockingLineClient() {}

    public static void run(String host, int port, PrintStream out) throws IOException, InterruptedException {
        try (BlockingConnection connection = BlockingStreams.openConnection(host, port)) {
            for (String line : List.of("First line.\n", "Second line.\n", "Third line.\n")) {
                connection.getWriter().write(line.getBytes(StandardCharsets.US_ASCII));
            }
            connection.getWriter().write(LAST_LINE);
            out.println("Lines received");
            while (true) {
                byte[] line = connection.getReader().readLine();
                out.println(PyRepr.bytes(line));
                if (Arrays.equals(line, LAST_LINE) || line.length == 0) {
                    break;
                }
            }
            connection.getWriter().close();
            connection.getWriter().waitClosed();
        }
    }
}
