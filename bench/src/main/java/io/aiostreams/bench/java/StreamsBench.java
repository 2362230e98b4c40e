package io.aiostreams.bench.java;

import io.aiostreams.IncompleteReadError;
import io.aiostreams.future.FutureConnection;
import io.aiostreams.future.FutureServer;
import io.aiostreams.future.FutureStreamReader;
import io.aiostreams.future.FutureStreamWriter;
import io.aiostreams.future.FutureStreams;
import io.aiostreams.future.StreamOptions;
import io.aiostreams.bench.BenchSpec;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.Executor;
import java.util.function.LongFunction;
import java.util.function.Supplier;

/**
 * The benchmark workloads on aiostreams' Java API (the Java twin of the Kotlin {@code bench.StreamsBench}). As the
 * Kotlin harness runs its handlers and its client on the event loop, this one has its callbacks run there: the
 * options' executor is {@code Runnable::run}, so a future that completes after a wait runs its callbacks on the loop,
 * with no hop to another thread (callbacks that never block, as in Netty). Every client is a chain of callbacks, as
 * the Kotlin client is a coroutine on the loop: only the run's end is awaited with {@code join()}.
 */
public final class StreamsBench {
    private static final String PEER = "aiostreams-java";

    /** Callbacks run where the future completes: on the event loop after a wait. */
    private static final Executor LOOP = Runnable::run;

    private static final StreamOptions OPTIONS = new StreamOptions().executor(LOOP);
    private static final byte[] NEWLINE = {'\n'};
    private static final CompletableFuture<Boolean> STOP = CompletableFuture.completedFuture(false);

    private StreamsBench() {}

    /**
     * Runs {@code step} until it yields false. Steps that complete at once loop here, not through nested callbacks,
     * so that millions of them never deepen the stack.
     */
    static CompletableFuture<Void> loop(Supplier<CompletableFuture<Boolean>> step) {
        while (true) {
            CompletableFuture<Boolean> next = step.get();
            if (!next.isDone()) {
                return next.thenCompose(more -> more ? loop(step) : CompletableFuture.completedFuture(null));
            }
            if (!next.join()) {
                return CompletableFuture.completedFuture(null);
            }
        }
    }

    /** Serves {@code workload} on 127.0.0.1:{@code port} until the process is killed. */
    public static void server(String workload, int port) {
        FutureServer server = FutureStreams.startServer(BenchSpec.HOST, port, (reader, writer) -> switch (workload) {
            case "W1" -> serveBulk(reader, writer);
            case "W2" -> serveLines(reader, writer);
            case "W3", "W5" -> servePingPong(reader, writer);
            case "W4" -> serveChurn(reader, writer);
            default -> throw new IllegalArgumentException("unknown workload: " + workload + " (W1 to W5)");
        }, new StreamOptions().backlog(BenchSpec.BACKLOG).executor(LOOP)).join();
        server.serveForever().join();
    }

    private static CompletableFuture<Void> reply(FutureStreamWriter writer, byte[] data) {
        writer.write(data);
        return writer.drain().thenCompose(ignored -> {
            writer.close();
            return writer.waitClosed();
        });
    }

    private static CompletableFuture<Void> serveBulk(FutureStreamReader reader, FutureStreamWriter writer) {
        long[] count = {0};
        return reader.forEachChunk(BenchSpec.CHUNK, data -> count[0] += data.length)
                .thenCompose(ignored -> reply(writer, ByteBuffer.allocate(8).putLong(count[0]).array()));
    }

    private static CompletableFuture<Void> serveLines(FutureStreamReader reader, FutureStreamWriter writer) {
        long[] count = {0};
        return reader.forEachLine(line -> count[0]++)
                .thenCompose(ignored -> reply(writer, (count[0] + "\n").getBytes(StandardCharsets.US_ASCII)));
    }

    private static CompletableFuture<Void> servePingPong(FutureStreamReader reader, FutureStreamWriter writer) {
        return loop(() -> reader.readUntil(NEWLINE).handle((message, error) -> {
            if (error != null) {
                Throwable cause = error instanceof CompletionException ? error.getCause() : error;
                if (cause instanceof IncompleteReadError e && e.getPartial().length == 0) {
                    return STOP;
                }
                throw new CompletionException(cause);
            }
            writer.write(message);
            return writer.drain().thenApply(ignored -> true);
        }).thenCompose(next -> next)).whenComplete((ignored, error) -> writer.close());
    }

    private static CompletableFuture<Void> serveChurn(FutureStreamReader reader, FutureStreamWriter writer) {
        return reader.readLine().thenCompose(line -> reply(writer, line));
    }

    /** Runs {@code workload} once against 127.0.0.1:{@code port} and returns its JSON line. */
    public static String client(String workload, int port, long size) {
        return switch (workload) {
            case "W1" -> bulk(port, size);
            case "W2" -> lines(port, (int) size);
            case "W3" -> pingPong(port, (int) size);
            case "W4" -> churn(port, (int) size);
            case "W5" -> fanIn(port, (int) size);
            default -> throw new IllegalArgumentException("unknown workload: " + workload + " (W1 to W5)");
        };
    }

    private static FutureConnection connect(int port) {
        return FutureStreams.openConnection(BenchSpec.HOST, port, OPTIONS).join();
    }

    /**
     * Writes {@code total} units, {@code per} to a write ({@code piece} makes each write from the units it holds),
     * drains after each write as a chain of callbacks, then writes the end of stream.
     */
    private static CompletableFuture<Void> sendAll(
            FutureStreamWriter writer, long total, int per, LongFunction<byte[]> piece) {
        long[] left = {total};
        return loop(() -> {
            if (left[0] <= 0) {
                return STOP;
            }
            writer.write(piece.apply(Math.min(left[0], per)));
            left[0] -= per;
            return writer.drain().thenApply(ignored -> true);
        }).thenRun(writer::writeEof);
    }

    private static String bulk(int port, long size) {
        byte[] chunk = new byte[BenchSpec.CHUNK];
        Arrays.fill(chunk, (byte) 'b');
        long start = System.nanoTime();
        FutureConnection c = connect(port);
        long count = sendAll(c.getWriter(), size, BenchSpec.CHUNK,
                        bytes -> bytes == BenchSpec.CHUNK ? chunk : Arrays.copyOf(chunk, (int) bytes))
                .thenCompose(ignored -> c.getReader().readExactly(8))
                .thenApply(reply -> ByteBuffer.wrap(reply).getLong()).join();
        double seconds = BenchSpec.secondsSince(start);
        c.getWriter().close();
        BenchSpec.check(count == size, "server counted " + count + " bytes, sent " + size);
        return BenchSpec.bulkJson(PEER, size, seconds);
    }

    private static String lines(int port, int n) {
        byte[] batch = BenchSpec.lines(BenchSpec.LINES_PER_WRITE);
        long start = System.nanoTime();
        FutureConnection c = connect(port);
        long count = sendAll(c.getWriter(), n, BenchSpec.LINES_PER_WRITE,
                        lines -> lines == BenchSpec.LINES_PER_WRITE ? batch : BenchSpec.lines((int) lines))
                .thenCompose(ignored -> c.getReader().readLine())
                .thenApply(line -> Long.parseLong(new String(line, StandardCharsets.US_ASCII).trim())).join();
        double seconds = BenchSpec.secondsSince(start);
        c.getWriter().close();
        BenchSpec.check(count == n, "server counted " + count + " lines, sent " + n);
        return BenchSpec.json(PEER, "W2", "lines/s", n / seconds, Map.of("lines", n, "seconds", seconds));
    }

    private static String pingPong(int port, int n) {
        FutureConnection c = connect(port);
        long[] times = new long[n];
        long start = System.nanoTime();
        pingPongAsync(c, n, times).join();
        double seconds = BenchSpec.secondsSince(start);
        c.getWriter().close();
        c.getWriter().waitClosed().join();
        return BenchSpec.pingPongJson(PEER, seconds, times);
    }

    private static String churn(int port, int n) {
        byte[] ping = "ping\n".getBytes(StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        int[] done = {0};
        loop(() -> {
            if (done[0] == n) {
                return STOP;
            }
            done[0]++;
            return FutureStreams.openConnection(BenchSpec.HOST, port, OPTIONS).thenCompose(c -> {
                c.getWriter().write(ping);
                return c.getReader().readLine().thenCompose(line -> {
                    BenchSpec.check(Arrays.equals(line, ping),
                            "unexpected reply " + new String(line, StandardCharsets.US_ASCII));
                    c.getWriter().close();
                    return c.getWriter().waitClosed();
                });
            }).thenApply(ignored -> true);
        }).join();
        double seconds = BenchSpec.secondsSince(start);
        return BenchSpec.json(PEER, "W4", "conns/s", n / seconds, Map.of("connections", n, "seconds", seconds));
    }

    /** {@code n} round trips as a chain of callbacks; each one's time goes into {@code times} when it is given. */
    private static CompletableFuture<Void> pingPongAsync(FutureConnection c, int n, long[] times) {
        byte[] message = BenchSpec.message();
        int[] done = {0};
        return loop(() -> {
            if (done[0] == n) {
                return STOP;
            }
            long t = System.nanoTime();
            c.getWriter().write(message);
            return c.getWriter().drain()
                    .thenCompose(ignored -> c.getReader().readExactly(message.length))
                    .thenApply(reply -> {
                        if (times != null) {
                            times[done[0]] = System.nanoTime() - t;
                        }
                        done[0]++;
                        BenchSpec.check(Arrays.equals(reply, message), "the echoed message differs");
                        return true;
                    });
        });
    }

    private static String fanIn(int port, int conns) {
        long start = System.nanoTime();
        List<CompletableFuture<FutureConnection>> opening = new ArrayList<>();
        for (int i = 0; i < conns; i++) {
            opening.add(FutureStreams.openConnection(BenchSpec.HOST, port, OPTIONS));
        }
        List<FutureConnection> connections = opening.stream().map(CompletableFuture::join).toList();
        CompletableFuture.allOf(connections.stream()
                .map(c -> pingPongAsync(c, BenchSpec.FANIN_ROUND_TRIPS, null))
                .toArray(CompletableFuture[]::new)).join();
        connections.forEach(c -> c.getWriter().close());
        CompletableFuture.allOf(connections.stream()
                .map(c -> c.getWriter().waitClosed())
                .toArray(CompletableFuture[]::new)).join();
        double seconds = BenchSpec.secondsSince(start);
        return BenchSpec.fanInJson(PEER, conns, seconds);
    }
}
