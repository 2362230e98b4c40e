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
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * {@code print_http_headers} from the asyncio documentation: sends {@code HEAD <path> HTTP/1.0} and prints every
 * response header line as {@code HTTP header> <line>}. Returns the exit code: 0, or 1 with one line on {@code err}.
 */
public final class HeadTool {
    private HeadTool() {}

    public static int run(String url, Path caFile, Duration timeout, PrintStream out, PrintStream err) {
        CompletableFuture<Void> work = null;
        try {
            work = head(url, caFile, out);
            work.get(timeout.toMillis(), TimeUnit.MILLISECONDS);
            return 0;
        } catch (TimeoutException e) {
            work.cancel(true);
            err.println("samples head: timed out after " + timeout.toMillis() / 1000.0 + " seconds");
            return 1;
        } catch (ExecutionException e) {
            err.println(Failures.describe("head", url, e.getCause()));
            return 1;
        } catch (Exception e) {
            err.println(Failures.describe("head", url, e));
            return 1;
        }
    }

    private static CompletableFuture<Void> head(String url, Path caFile, PrintStream out) throws Exception {
        HttpTarget target = HttpTarget.fromUrl(url);
        StreamOptions options = new StreamOptions();
        if (target.getSecure()) {
            options.ssl(caFile != null ? SslContexts.clientContext(caFile) : SslContexts.defaultContext());
        }
        return FutureStreams.openConnection(target.getHost(), target.getPort(), options).thenCompose(connection -> {
            connection.getWriter().write(("HEAD " + target.getPath() + " HTTP/1.0\r\nHost: " + target.getHost()
                    + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            // Close the socket however the reading ends: at end of headers, on a failure, on a time-out.
            return printLines(connection, out).whenComplete((done, error) -> connection.getWriter().close());
        });
    }

    private static CompletionStage<Void> printLines(FutureConnection connection, PrintStream out) {
        return connection.getReader().readLine().thenCompose(line -> {
            if (line.length == 0) {
                // Ignore the body.
                return CompletableFuture.completedFuture(null);
            }
            String text = PyStr.rstrip(new String(line, StandardCharsets.ISO_8859_1));
            if (!text.isEmpty()) {
                out.println("HTTP header> " + text);
            }
            return printLines(connection, out);
        });
    }
}
