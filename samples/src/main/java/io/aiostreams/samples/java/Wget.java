package io.aiostreams.samples.java;

import io.aiostreams.future.FutureConnection;
import io.aiostreams.future.FutureStreams;
import io.aiostreams.samples.kotlin.HttpFailures;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.concurrent.CompletionException;

/** The asyncio {@code wget} example: {@code GET / HTTP/1.0}, prints each header, then the body. */
public final class Wget {
    private static final byte[] BLANK = "\r\n".getBytes(StandardCharsets.ISO_8859_1);

    private Wget() {}

    public static int run(String host, int port, PrintStream out, PrintStream err) {
        try {
            FutureConnection connection = FutureStreams.openConnection(host, port).join();
            connection.getWriter().write(("GET / HTTP/1.0\r\nHost: " + host + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
            connection.getWriter().drain().join();
            while (true) {
                byte[] line = connection.getReader().readLine().join();
                if (line.length == 0 || Arrays.equals(line, BLANK)) {
                    break;
                }
                out.println(host + " header > " + new String(line, StandardCharsets.ISO_8859_1).stripTrailing());
            }
            out.print(new String(connection.getReader().read().join(), StandardCharsets.ISO_8859_1));
            out.flush();
            connection.getWriter().close();
            return 0;
        } catch (CompletionException e) {
            err.println(HttpFailures.describe("wget", host + ":" + port, e.getCause()));
            return 1;
        }
    }
}
