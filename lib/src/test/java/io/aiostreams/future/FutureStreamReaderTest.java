package io.aiostreams.future;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aiostreams.IncompleteReadError;
import io.aiostreams.LimitOverrunError;
import io.aiostreams.StreamReader;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class FutureStreamReaderTest {
    private static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    @Test
    void readLineCompletesWhenAnotherThreadFeedsTheLine() throws Exception {
        StreamReader reader = new StreamReader();
        FutureStreamReader view = new FutureStreamReader(reader);
        CompletableFuture<byte[]> line = view.readLine();
        assertFalse(line.isDone());
        new Thread(() -> reader.feedData(ascii("hello\nrest"))).start();
        assertEquals("hello\n", new String(line.get(10, TimeUnit.SECONDS), US_ASCII));
        reader.feedEof();
        assertEquals("rest", new String(view.read().get(10, TimeUnit.SECONDS), US_ASCII));
    }

    @Test
    void readExactlyAtEofFailsWithIncompleteReadErrorAsTheCause() {
        StreamReader reader = new StreamReader();
        reader.feedData(ascii("abc"));
        reader.feedEof();
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> new FutureStreamReader(reader).readExactly(5).get(10, TimeUnit.SECONDS));
        IncompleteReadError error = assertInstanceOf(IncompleteReadError.class, e.getCause());
        assertArrayEquals(ascii("abc"), error.getPartial());
        assertEquals(5, error.getExpected());
        assertEquals("3 bytes read on a total of 5 expected bytes", error.getMessage());
    }

    @Test
    void readUntilLimitErrorLeavesTheDataReadable() throws Exception {
        StreamReader reader = new StreamReader(4);
        FutureStreamReader view = new FutureStreamReader(reader);
        reader.feedData(ascii("abcdefgh;"));
        ExecutionException e = assertThrows(ExecutionException.class,
                () -> view.readUntil(List.of(ascii(";"), ascii("!"))).get(10, TimeUnit.SECONDS));
        LimitOverrunError error = assertInstanceOf(LimitOverrunError.class, e.getCause());
        assertEquals(8, error.getConsumed());
        assertEquals("abcdefgh;", new String(view.read(100).get(10, TimeUnit.SECONDS), US_ASCII));
    }

    @Test
    void cancellingAPendingReadConsumesNothing() throws Exception {
        StreamReader reader = new StreamReader();
        FutureStreamReader view = new FutureStreamReader(reader);
        CompletableFuture<byte[]> pending = view.readUntil(ascii("END"));
        reader.feedData(ascii("partial EN"));
        assertTrue(pending.cancel(false));
        reader.feedData(ascii("D!"));
        byte[] again = view.readUntil(ascii("END")).get(10, TimeUnit.SECONDS);
        assertEquals("partial END", new String(again, US_ASCII));
    }
}
