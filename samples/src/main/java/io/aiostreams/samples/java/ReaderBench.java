package io.aiostreams.samples.java;

import io.aiostreams.IncompleteReadError;
import io.aiostreams.StreamReader;
import io.aiostreams.future.FutureStreamReader;
import io.aiostreams.samples.shared.BenchData;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Throughput of the reader alone, through the Java view: lines of 100 bytes fed in 64 KiB chunks, read back with
 * {@code readLine} and with {@code readUntil("\r\n")}, one future per read (reads that can finish from the buffer
 * complete at once; the one read per chunk that waits completes on another thread), and with {@code forEachLine} (one
 * loop for the whole stream, reading on another thread while this one feeds).
 */
public final class ReaderBench {
    private static final int LINE = 100;
    private static final int CHUNK = 64 * 1024;
    private static final int WARM_UP = 5;

    private ReaderBench() {}

    public static void run(PrintStream out, int lines, int rounds) {
        for (boolean crlf : new boolean[] {false, true}) {
            List<byte[]> chunks = BenchData.chunks(lines, LINE, CHUNK, crlf);
            String name = crlf ? "readUntil(\\r\\n)" : "readLine()";
            for (int w = 0; w < WARM_UP; w++) {
                once(chunks, lines, crlf);
            }
            List<Long> times = new ArrayList<>();
            for (int r = 0; r < rounds; r++) {
                times.add(once(chunks, lines, crlf));
            }
            Collections.sort(times);
            out.println(BenchData.report("java", name, lines, LINE, times));
            if (!crlf) {
                for (int w = 0; w < WARM_UP; w++) {
                    forEachLine(chunks, lines);
                }
                List<Long> loops = new ArrayList<>();
                for (int r = 0; r < rounds; r++) {
                    loops.add(forEachLine(chunks, lines));
                }
                Collections.sort(loops);
                out.println(BenchData.report("java", "forEachLine", lines, LINE, loops));
            }
        }
    }

    private static long forEachLine(List<byte[]> chunks, int lines) {
        long started = System.nanoTime();
        StreamReader reader = new StreamReader();
        int[] count = {0};
        CompletableFuture<Void> done = new FutureStreamReader(reader).forEachLine(line -> count[0]++);
        for (byte[] chunk : chunks) {
            reader.feedData(chunk);
        }
        reader.feedEof();
        done.join();
        if (count[0] != lines) {
            throw new IllegalStateException("read " + count[0] + " lines, expected " + lines);
        }
        return System.nanoTime() - started;
    }

    /** Waits for a read; false at end of stream (an empty line, or IncompleteReadError from readUntil). */
    private static boolean line(CompletableFuture<byte[]> read) {
        try {
            return read.join().length > 0;
        } catch (CompletionException e) {
            if (e.getCause() instanceof IncompleteReadError) {
                return false;
            }
            throw e;
        }
    }

    private static long once(List<byte[]> chunks, int lines, boolean crlf) {
        long started = System.nanoTime();
        StreamReader reader = new StreamReader();
        FutureStreamReader in = new FutureStreamReader(reader);
        byte[] separator = "\r\n".getBytes(StandardCharsets.US_ASCII);
        int count = 0;
        CompletableFuture<byte[]> pending = null;
        for (int i = 0; i <= chunks.size(); i++) {
            if (i < chunks.size()) {
                reader.feedData(chunks.get(i));
            } else {
                reader.feedEof();
            }
            if (pending != null) {
                // The read was waiting: this feed woke it, and it completes on another thread.
                if (!line(pending)) {
                    break;
                }
                count++;
            }
            // Reads that can finish from the buffer complete before they return.
            while ((pending = crlf ? in.readUntil(separator) : in.readLine()).isDone()) {
                if (!line(pending)) {
                    break;
                }
                count++;
            }
        }
        if (count != lines) {
            throw new IllegalStateException("read " + count + " lines, expected " + lines);
        }
        return System.nanoTime() - started;
    }
}
