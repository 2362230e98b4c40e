package io.aiostreams.samples.java;

import io.aiostreams.SslContexts;
import io.aiostreams.future.FutureConnection;
import io.aiostreams.future.FutureStreams;
import io.aiostreams.future.StreamOptions;
import io.aiostreams.samples.shared.Failures;
import io.aiostreams.samples.shared.HttpTarget;
import io.aiostreams.samples.shared.PyStr;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * The asyncio {@code wget} example: {@code GET <path> HTTP/1.0}, prints each header, then streams the body as it
 * arrives, 64 KiB at a time. http and https; {@code timeoutMillis} bounds connecting and every wait for data
 * ({@code orTimeout}, which cancels the read).
 */
public final class Wget {
    private static final int CHUNK = 65536;
    private static final byte[] BLANK = "\r\n".getBytes(StandardCharsets.ISO_8859_1);

    private Wget() {}

    public static int run(String target, Integer port, Path caFile, long timeoutMillis, boolean progress,
            PrintStream out, PrintStream err) {
        HttpTarget where;
        try {
            where = HttpTarget.of(target, port);
        } catch (IllegalArgumentException e) {
            err.println("samples wget: " + e.getMessage());
            return 1;
        }
        try {
            StreamOptions options = new StreamOptions();
            if (where.getSecure()) {
                options.ssl(caFile != null ? SslContexts.clientContext(caFile) : SslContexts.defaultContext());
            }
            FutureConnection connection = within(FutureStreams.openConnection(where.getHost(), where.getPort(), options),
                    timeoutMillis);
            try {
                connection.getWriter().write(("GET " + where.getPath() + " HTTP/1.0\r\nHost: " + where.getHost()
                        + "\r\n\r\n").getBytes(StandardCharsets.ISO_8859_1));
                while (true) {
                    byte[] line = within(connection.getReader().readLine(), timeoutMillis);
                    if (line.length == 0 || Arrays.equals(line, BLANK)) {
                        break;
                    }
                    out.println(where.getHost() + " header > "
                            + PyStr.rstrip(new String(line, StandardCharsets.ISO_8859_1)));
                }
                long received = 0;
                while (true) {
                    byte[] chunk = within(connection.getReader().read(CHUNK), timeoutMillis);
                    if (chunk.length == 0) {
                        break;
                    }
                    out.write(chunk, 0, chunk.length);
                    received += chunk.length;
                    if (progress) {
                        err.print("\r" + received + " bytes");
                    }
                }
                out.flush();
                if (progress) {
                    err.println();
                }
            } finally {
                connection.getWriter().close();
            }
            return 0;
        } catch (CompletionException e) {
            if (e.getCause() instanceof TimeoutException) {
                err.println("samples wget: timed out: no data for " + timeoutMillis / 1000.0 + " seconds");
            } else {
                err.println(Failures.describe("wget", where.getDisplay(), e.getCause()));
            }
            return 1;
        } catch (Exception e) {
            err.println(Failures.describe("wget", where.getDisplay(), e));
            return 1;
        }
    }

    /** Waits for {@code step}, cancelling it when {@code millis} pass first. */
    private static <T> T within(CompletableFuture<T> step, long millis) {
        return step.orTimeout(millis, TimeUnit.MILLISECONDS).join();
    }
}
