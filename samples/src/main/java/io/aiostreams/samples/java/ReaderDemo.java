package io.aiostreams.samples.java;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.aiostreams.IncompleteReadError;
import io.aiostreams.LimitOverrunError;
import io.aiostreams.StreamReader;
import io.aiostreams.future.FutureStreamReader;
import java.io.PrintStream;
import java.util.Arrays;
import java.util.concurrent.CompletionException;

/** Parses an HTTP/1.0 response that arrives in 7-byte pieces, then shows the end-of-stream and limit rules. */
public final class ReaderDemo {
    private static final String RESPONSE =
            "HTTP/1.0 200 OK\r\nContent-Type: text/plain\r\nContent-Length: 13\r\n\r\nHello, world!tail";

    private ReaderDemo() {}

    public static void run(PrintStream out) throws InterruptedException {
        StreamReader reader = new StreamReader(64);
        FutureStreamReader in = new FutureStreamReader(reader);
        Thread feeder = new Thread(() -> {
            byte[] all = RESPONSE.getBytes(US_ASCII);
            for (int i = 0; i < all.length; i += 7) {
                reader.feedData(Arrays.copyOfRange(all, i, Math.min(all.length, i + 7)));
                Thread.yield();
            }
            reader.feedEof();
        });
        feeder.start();
        out.println("status> " + text(in.readLine().join()).stripTrailing());
        int length = 0;
        while (true) {
            String header = text(in.readUntil("\r\n".getBytes(US_ASCII)).join()).stripTrailing();
            if (header.isEmpty()) {
                break;
            }
            out.println("header> " + header);
            if (header.startsWith("Content-Length:")) {
                length = Integer.parseInt(header.substring(header.indexOf(':') + 1).trim());
            }
        }
        out.println("body> " + text(in.readExactly(length).join()));
        try {
            in.readExactly(10).join();
        } catch (CompletionException e) {
            IncompleteReadError error = (IncompleteReadError) e.getCause();
            out.println("eof> " + error.getMessage() + ": " + text(error.getPartial()));
        }
        out.println("at eof> " + reader.atEof());
        feeder.join();

        StreamReader small = new StreamReader(8);
        FutureStreamReader smallIn = new FutureStreamReader(small);
        small.feedData("0123456789;rest".getBytes(US_ASCII));
        try {
            smallIn.readUntil(";".getBytes(US_ASCII)).join();
        } catch (CompletionException e) {
            LimitOverrunError error = (LimitOverrunError) e.getCause();
            out.println("limit> " + error.getMessage() + " (consumed=" + error.getConsumed() + "); still buffered: "
                    + text(smallIn.read(100).join()));
        }
    }

    private static String text(byte[] bytes) {
        return new String(bytes, US_ASCII);
    }
}
