package io.aiostreams.bench.java;

import io.aiostreams.IncompleteReadError;
import io.aiostreams.blocking.BlockingConnection;
import io.aiostreams.blocking.BlockingServer;
import io.aiostreams.blocking.BlockingStreamReader;
import io.aiostreams.blocking.BlockingStreamWriter;
import io.aiostreams.blocking.BlockingStreams;
import io.aiostreams.future.StreamOptions;
import io.aiostreams.bench.BenchSpec;
import java.io.IOException;
import java.lang.reflect.Method;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ThreadFactory;

/**
 * The benchmark workloads on aiostreams' blocking API: one thread per connection, virtual on Java 21+ (the server's
 * handlers, and the W5 client's connections), written as plain blocking Java.
 */
public final class BlockingBench {
    private static final String PEER = "aiostreams-blocking";
    private static final byte[] NEWLINE = {'\n'};

    private BlockingBench() {}

    /** Serves {@code workload} on 127.0.0.1:{@code port} until the process is killed. */
    public static void server(String workload, int port) throws Exception {
        BlockingServer server = BlockingStreams.startServer(BenchSpec.HOST, port, (reader, writer) -> {
            switch (workload) {
                case "W1" -> serveBulk(reader, writer);
                case "W2" -> serveLines(reader, writer);
                case "W3", "W5" -> servePingPong(reader, writer);
                case "W4" -> writer.write(reader.readLine());
                default -> throw new IllegalArgumentException("unknown workload: " + workload + " (W1 to W5)");
            }
        }, new StreamOptions().backlog(BenchSpec.BACKLOG));
        server.serveForever();
    }

    private static void serveBulk(BlockingStreamReader reader, BlockingStreamWriter writer) throws Exception {
        long count = 0;
        byte[] data;
        while ((data = reader.read(BenchSpec.CHUNK)).length > 0) {
            count += data.length;
        }
        writer.write(ByteBuffer.allocate(8).putLong(count).array());
    }

    private static void serveLines(BlockingStreamReader reader, BlockingStreamWriter writer) throws Exception {
        long count = 0;
        while (reader.readLine().length > 0) {
            count++;
        }
        writer.write((count + "\n").getBytes(StandardCharsets.US_ASCII));
    }

    private static void servePingPong(BlockingStreamReader reader, BlockingStreamWriter writer) throws Exception {
        while (true) {
            byte[] message;
            try {
                message = reader.readUntil(NEWLINE);
            } catch (IncompleteReadError end) {
                return;
            }
            writer.write(message);
            writer.drain();
        }
    }

    /** Runs {@code workload} once against 127.0.0.1:{@code port} and returns its JSON line. */
    public static String client(String workload, int port, long size) throws Exception {
        return switch (workload) {
            case "W1" -> bulk(port, size);
            case "W2" -> lines(port, (int) size);
            case "W3" -> pingPong(port, (int) size);
            case "W4" -> churn(port, (int) size);
            case "W5" -> fanIn(port, (int) size);
            default -> throw new IllegalArgumentException("unknown workload: " + workload + " (W1 to W5)");
        };
    }

    private static BlockingConnection connect(int port) throws IOException, InterruptedException {
        return BlockingStreams.openConnection(BenchSpec.HOST, port);
    }

    private static String bulk(int port, long size) throws Exception {
        byte[] chunk = new byte[BenchSpec.CHUNK];
        Arrays.fill(chunk, (byte) 'b');
        long start = System.nanoTime();
        try (BlockingConnection c = connect(port)) {
            for (long left = size; left > 0; left -= BenchSpec.CHUNK) {
                c.getWriter().write(left >= BenchSpec.CHUNK ? chunk : Arrays.copyOf(chunk, (int) left));
                c.getWriter().drain();
            }
            c.getWriter().writeEof();
            long count = ByteBuffer.wrap(c.getReader().readExactly(8)).getLong();
            double seconds = BenchSpec.secondsSince(start);
            BenchSpec.check(count == size, "server counted " + count + " bytes, sent " + size);
            return BenchSpec.bulkJson(PEER, size, seconds);
        }
    }

    private static String lines(int port, int n) throws Exception {
        byte[] batch = BenchSpec.lines(BenchSpec.LINES_PER_WRITE);
        long start = System.nanoTime();
        try (BlockingConnection c = connect(port)) {
            for (int left = n; left > 0; left -= BenchSpec.LINES_PER_WRITE) {
                c.getWriter().write(left >= BenchSpec.LINES_PER_WRITE ? batch : BenchSpec.lines(left));
                c.getWriter().drain();
            }
            c.getWriter().writeEof();
            long count = Long.parseLong(new String(c.getReader().readLine(), StandardCharsets.US_ASCII).trim());
            double seconds = BenchSpec.secondsSince(start);
            BenchSpec.check(count == n, "server counted " + count + " lines, sent " + n);
            return BenchSpec.json(PEER, "W2", "lines/s", n / seconds, Map.of("lines", n, "seconds", seconds));
        }
    }

    private static String pingPong(int port, int n) throws Exception {
        byte[] message = BenchSpec.message();
        long[] times = new long[n];
        long start = System.nanoTime();
        try (BlockingConnection c = connect(port)) {
            for (int i = 0; i < n; i++) {
                long t = System.nanoTime();
                c.getWriter().write(message);
                c.getWriter().drain();
                byte[] reply = c.getReader().readExactly(message.length);
                times[i] = System.nanoTime() - t;
                BenchSpec.check(Arrays.equals(reply, message), "the echoed message differs");
            }
            double seconds = BenchSpec.secondsSince(start);
            c.getWriter().close();
            c.getWriter().waitClosed();
            return BenchSpec.pingPongJson(PEER, seconds, times);
        }
    }

    private static String churn(int port, int n) throws Exception {
        byte[] ping = "ping\n".getBytes(StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            try (BlockingConnection c = connect(port)) {
                c.getWriter().write(ping);
                byte[] line = c.getReader().readLine();
                BenchSpec.check(Arrays.equals(line, ping), "unexpected reply " + new String(line, StandardCharsets.US_ASCII));
                c.getWriter().close();
                c.getWriter().waitClosed();
            }
        }
        double seconds = BenchSpec.secondsSince(start);
        return BenchSpec.json(PEER, "W4", "conns/s", n / seconds, Map.of("connections", n, "seconds", seconds));
    }

    /** W5: every connection on a thread of its own, as a blocking program would; virtual threads on Java 21+. */
    private static String fanIn(int port, int conns) throws Exception {
        ThreadFactory threads = threadFactory();
        byte[] message = BenchSpec.message();
        long start = System.nanoTime();
        List<BlockingConnection> connections = new ArrayList<>();
        for (int i = 0; i < conns; i++) {
            connections.add(connect(port));
        }
        List<Thread> running = new ArrayList<>();
        Throwable[] failure = {null};
        for (BlockingConnection c : connections) {
            Thread thread = threads.newThread(() -> {
                try {
                    for (int i = 0; i < BenchSpec.FANIN_ROUND_TRIPS; i++) {
                        c.getWriter().write(message);
                        c.getWriter().drain();
                        BenchSpec.check(Arrays.equals(c.getReader().readExactly(message.length), message),
                                "the echoed message differs");
                    }
                    c.getWriter().close();
                    c.getWriter().waitClosed();
                } catch (Throwable e) {
                    synchronized (failure) {
                        failure[0] = e;
                    }
                }
            });
            thread.start();
            running.add(thread);
        }
        for (Thread thread : running) {
            thread.join();
        }
        if (failure[0] != null) {
            throw new IllegalStateException("a connection failed", failure[0]);
        }
        double seconds = BenchSpec.secondsSince(start);
        return BenchSpec.fanInJson(PEER, conns, seconds);
    }

    /** Virtual threads where the JDK has them (looked up, as this program targets Java 17), else small platform ones. */
    private static ThreadFactory threadFactory() {
        try {
            Method ofVirtual = Thread.class.getMethod("ofVirtual");
            Object builder = ofVirtual.invoke(null);
            return (ThreadFactory) Class.forName("java.lang.Thread$Builder").getMethod("factory").invoke(builder);
        } catch (ReflectiveOperationException java17) {
            return task -> new Thread(null, task, "fanin", 256 * 1024);
        }
    }
}
