package io.aiostreams.future;

import static java.nio.charset.StandardCharsets.US_ASCII;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.aiostreams.IncompleteReadError;
import io.aiostreams.StreamReader;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CancellationException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Flow;
import java.util.concurrent.SubmissionPublisher;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** Consuming and producing whole streams from Java: iteration, Flow, time-outs and cancellation. */
@Timeout(60)
class FutureIterationTest {
    private static final long WAIT = 20;

    private static byte[] ascii(String s) {
        return s.getBytes(US_ASCII);
    }

    private static int port(FutureServer server) {
        return ((InetSocketAddress) server.getAddresses().get(0)).getPort();
    }

    /** A server that sends {@code count} numbered lines and closes. */
    private static FutureServer lineServer(int count) {
        return FutureStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
            for (int i = 0; i < count; i++) {
                writer.write(ascii("line " + i + "\n"));
            }
            return writer.drain();
        }).join();
    }

    @Test
    void aReadThatTheBufferCanServeReturnsACompletedFuture() {
        StreamReader reader = new StreamReader();
        FutureStreamReader futures = new FutureStreamReader(reader);
        reader.feedData(ascii("one\ntwo\nthree"));
        CompletableFuture<byte[]> line = futures.readLine();
        assertTrue(line.isDone());
        assertArrayEquals(ascii("one\n"), line.join());
        assertArrayEquals(ascii("tw"), futures.readExactly(2).join());
        assertArrayEquals(ascii("o\n"), futures.readUntil(ascii("\n")).join());
        CompletableFuture<byte[]> waiting = futures.readLine();
        assertFalse(waiting.isDone());
        reader.feedEof();
        assertArrayEquals(ascii("three"), waiting.join());
        assertTrue(futures.atEof());
        CompletableFuture<byte[]> failed = futures.readExactly(1);
        assertTrue(failed.isCompletedExceptionally());
        CompletionException wrapped = assertThrows(CompletionException.class, failed::join);
        assertInstanceOf(IncompleteReadError.class, wrapped.getCause());
    }

    @Test
    void forEachLineVisitsEveryLineInOrderAndCompletesAtEndOfStream() throws Exception {
        FutureServer server = lineServer(10_000);
        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port(server)).get(WAIT, TimeUnit.SECONDS);
        List<String> lines = new ArrayList<>();
        connection.getReader().forEachLine(line -> lines.add(new String(line, US_ASCII)))
                .get(WAIT, TimeUnit.SECONDS);
        assertEquals(10_000, lines.size());
        assertEquals("line 0\n", lines.get(0));
        assertEquals("line 9999\n", lines.get(9999));
        assertTrue(connection.getReader().atEof());
        connection.getWriter().close();
        server.close();
        server.waitClosed().get(WAIT, TimeUnit.SECONDS);
    }

    @Test
    void forEachChunkDeliversEveryByteInChunksNoLargerThanAsked() throws Exception {
        FutureServer server = lineServer(5_000);
        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port(server)).get(WAIT, TimeUnit.SECONDS);
        StringBuilder all = new StringBuilder();
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        connection.getReader().forEachChunk(1000, chunk -> {
            sizes.add(chunk.length);
            all.append(new String(chunk, US_ASCII));
        }).get(WAIT, TimeUnit.SECONDS);
        assertTrue(sizes.stream().allMatch(size -> size > 0 && size <= 1000), sizes.toString());
        assertTrue(all.toString().startsWith("line 0\nline 1\n"));
        assertTrue(all.toString().endsWith("line 4999\n"));
        ExecutionException bad = assertThrows(ExecutionException.class,
                () -> connection.getReader().forEachChunk(0, chunk -> { }).get());
        assertEquals("n <= 0: 0", bad.getCause().getMessage());
        connection.getWriter().close();
        server.close();
    }

    @Test
    void anActionThatThrowsFailsTheLoopAndStopsReading() {
        StreamReader reader = new StreamReader();
        reader.feedData(ascii("a\nb\nc\n"));
        IllegalStateException boom = new IllegalStateException("boom");
        CompletableFuture<Void> loop = new FutureStreamReader(reader).forEachLine(line -> {
            if (line[0] == 'b') {
                throw boom;
            }
        });
        CompletionException failure = assertThrows(CompletionException.class, loop::join);
        assertSame(boom, failure.getCause());
        assertArrayEquals(ascii("c\n"), new FutureStreamReader(reader).readLine().join());
    }

    @Test
    void cancellingForEachLineLeavesTheAwaitedLineUnread() {
        StreamReader reader = new StreamReader();
        FutureStreamReader futures = new FutureStreamReader(reader);
        reader.feedData(ascii("first\nsec"));
        List<String> seen = new ArrayList<>();
        CompletableFuture<Void> loop = futures.forEachLine(line -> seen.add(new String(line, US_ASCII)));
        assertEquals(List.of("first\n"), seen);
        assertTrue(loop.cancel(true));
        reader.feedData(ascii("ond\n"));
        assertArrayEquals(ascii("second\n"), futures.readLine().join());
    }

    @Test
    void orTimeoutCancelsTheReadSoNothingIsConsumedAndTheNextReadMayWait() throws Exception {
        StreamReader reader = new StreamReader();
        FutureStreamReader futures = new FutureStreamReader(reader);
        reader.feedData(ascii("par"));
        ExecutionException timedOut = assertThrows(ExecutionException.class,
                () -> futures.readLine().orTimeout(100, TimeUnit.MILLISECONDS).get(WAIT, TimeUnit.SECONDS));
        assertInstanceOf(TimeoutException.class, timedOut.getCause());
        CompletableFuture<byte[]> next = futures.readLine();
        reader.feedData(ascii("tial\n"));
        assertArrayEquals(ascii("partial\n"), next.get(WAIT, TimeUnit.SECONDS));
    }

    @Test
    void aReadStartedByTheThreadThatTimedOutThePreviousOneMayWaitAtOnce() throws Exception {
        // orTimeout's timer thread wakes the caller's get() before the callback that cancels the timed-out read:
        // dependents run last-registered first. A dependent registered here runs in that same window, every time.
        StreamReader reader = new StreamReader();
        FutureStreamReader futures = new FutureStreamReader(reader);
        reader.feedData(ascii("par"));
        CompletableFuture<byte[]> first = futures.readLine();
        AtomicReference<CompletableFuture<byte[]>> next = new AtomicReference<>();
        first.whenComplete((line, failure) -> next.set(futures.readLine()));
        assertTrue(first.completeExceptionally(new TimeoutException()));
        assertFalse(next.get().isDone(), "the next read waits for its line instead of failing");
        reader.feedData(ascii("tial\n"));
        assertArrayEquals(ascii("partial\n"), next.get().get(WAIT, TimeUnit.SECONDS));
    }

    @Test
    void aLineLoopStartedByTheThreadThatTimedOutAReadGetsThatReadsLine() throws Exception {
        StreamReader reader = new StreamReader();
        FutureStreamReader futures = new FutureStreamReader(reader);
        reader.feedData(ascii("par"));
        CompletableFuture<byte[]> first = futures.readLine();
        List<String> lines = new CopyOnWriteArrayList<>();
        AtomicReference<CompletableFuture<Void>> loop = new AtomicReference<>();
        first.whenComplete((line, failure) ->
                loop.set(futures.forEachLine(l -> lines.add(new String(l, US_ASCII)))));
        assertTrue(first.completeExceptionally(new TimeoutException()));
        reader.feedData(ascii("tial\nrest"));
        reader.feedEof();
        assertNull(loop.get().get(WAIT, TimeUnit.SECONDS));
        assertEquals(List.of("partial\n", "rest"), lines);
    }

    @Test
    void aSecondReadWhileTheFirstStillWaitsFailsAndLeavesTheFirstWaiting() throws Exception {
        StreamReader reader = new StreamReader();
        FutureStreamReader futures = new FutureStreamReader(reader);
        CompletableFuture<byte[]> first = futures.readLine();
        ExecutionException second = assertThrows(ExecutionException.class,
                () -> futures.readLine().get(WAIT, TimeUnit.SECONDS));
        assertInstanceOf(IllegalStateException.class, second.getCause());
        reader.feedData(ascii("one\n"));
        assertArrayEquals(ascii("one\n"), first.get(WAIT, TimeUnit.SECONDS));
    }

    @Test
    void cancelTrueCancelsAWaitingReadExactlyAndConsumesNothing() throws Exception {
        StreamReader reader = new StreamReader();
        FutureStreamReader futures = new FutureStreamReader(reader);
        reader.feedData(ascii("ab"));
        CompletableFuture<byte[]> read = futures.readExactly(4);
        assertTrue(read.cancel(true));
        assertThrows(CancellationException.class, read::join);
        reader.feedData(ascii("cd"));
        assertArrayEquals(ascii("abcd"), futures.readExactly(4).get(WAIT, TimeUnit.SECONDS));
    }

    @Test
    void aFailedReaderIsSeenThroughExceptionAndFailsEveryRead() {
        StreamReader reader = new StreamReader();
        FutureStreamReader futures = new FutureStreamReader(reader);
        IOException lost = new IOException("lost");
        reader.feedData(ascii("buffered\n"));
        reader.setException(lost);
        assertSame(lost, futures.exception());
        CompletionException failure = assertThrows(CompletionException.class, () -> futures.readLine().join());
        assertSame(lost, failure.getCause());
        assertFalse(futures.atEof());
    }

    @Test
    void theLinesPublisherReadsOnlyWhatIsRequestedSoTheSenderIsHeldBack() throws Exception {
        // The server writes far more than the socket buffers hold; with one line requested, its drain must wait.
        AtomicReference<FutureStreamWriter> serverWriter = new AtomicReference<>();
        CompletableFuture<Void> sent = new CompletableFuture<>();
        FutureServer server = FutureStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
            serverWriter.set(writer);
            byte[] line = ascii("x".repeat(1000) + "\n");
            for (int i = 0; i < 20_000; i++) {
                writer.write(line);
            }
            return writer.drain().whenComplete((ok, e) -> sent.complete(null));
        }).join();
        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port(server)).get(WAIT, TimeUnit.SECONDS);
        List<byte[]> received = new CopyOnWriteArrayList<>();
        CountDownLatch first = new CountDownLatch(1);
        CountDownLatch done = new CountDownLatch(1);
        AtomicReference<Flow.Subscription> subscription = new AtomicReference<>();
        connection.getReader().lines().subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription.set(s);
                s.request(1);
            }

            @Override
            public void onNext(byte[] item) {
                received.add(item);
                first.countDown();
            }

            @Override
            public void onError(Throwable throwable) {
                done.countDown();
            }

            @Override
            public void onComplete() {
                done.countDown();
            }
        });
        assertTrue(first.await(WAIT, TimeUnit.SECONDS));
        // Time for a second line to arrive, were the publisher to read more than was requested.
        Thread.sleep(300);
        assertEquals(1, received.size());
        assertFalse(sent.isDone(), "the sender's drain must wait while nothing is requested");
        assertTrue(serverWriter.get().getWriteBufferSize() > 0);
        subscription.get().request(Long.MAX_VALUE);
        assertTrue(done.await(WAIT, TimeUnit.SECONDS));
        assertEquals(20_000, received.size());
        sent.get(WAIT, TimeUnit.SECONDS);
        connection.getWriter().close();
        server.close();
    }

    @Test
    void cancellingInsideOnNextStopsTheLinesEvenWhenMoreIsRequestedAndLeavesTheRestUnread() {
        StreamReader reader = new StreamReader();
        reader.feedData(ascii("a\nb\nc\n"));
        reader.feedEof();
        // A direct executor runs the publisher on this thread, so the order of the calls below is fixed.
        FutureStreamReader futures = new FutureStreamReader(reader, Runnable::run);
        List<String> signals = new ArrayList<>();
        futures.lines().subscribe(new Flow.Subscriber<>() {
            private Flow.Subscription subscription;

            @Override
            public void onSubscribe(Flow.Subscription s) {
                subscription = s;
                s.request(1);
            }

            @Override
            public void onNext(byte[] item) {
                signals.add(new String(item, US_ASCII));
                subscription.cancel();
                subscription.request(5);
            }

            @Override
            public void onError(Throwable throwable) {
                signals.add("error " + throwable);
            }

            @Override
            public void onComplete() {
                signals.add("complete");
            }
        });
        assertEquals(List.of("a\n"), signals);
        assertArrayEquals(ascii("b\n"), futures.readLine().join());
    }

    @Test
    void aSecondSubscriberWhileOneIsActiveGetsOnError() throws Exception {
        StreamReader reader = new StreamReader();
        FutureStreamReader futures = new FutureStreamReader(reader);
        Flow.Publisher<byte[]> lines = futures.lines();
        assertSame(lines, futures.lines());
        lines.subscribe(new SubmissionPublisherSink());
        CompletableFuture<Throwable> second = new CompletableFuture<>();
        lines.subscribe(new Flow.Subscriber<>() {
            @Override
            public void onSubscribe(Flow.Subscription subscription) { }

            @Override
            public void onNext(byte[] item) { }

            @Override
            public void onError(Throwable throwable) {
                second.complete(throwable);
            }

            @Override
            public void onComplete() { }
        });
        assertInstanceOf(IllegalStateException.class, second.get(WAIT, TimeUnit.SECONDS));
    }

    /** A subscriber that requests nothing, holding a subscription open. */
    private static final class SubmissionPublisherSink implements Flow.Subscriber<byte[]> {
        @Override
        public void onSubscribe(Flow.Subscription subscription) { }

        @Override
        public void onNext(byte[] item) { }

        @Override
        public void onError(Throwable throwable) { }

        @Override
        public void onComplete() { }
    }

    @Test
    void aWriteSubscriberSendsEveryItemOfAPublisherThenCompletes() throws Exception {
        FutureServer server = FutureStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
            List<byte[]> lines = new ArrayList<>();
            return reader.forEachLine(lines::add).thenCompose(ignored -> {
                writer.write(ascii(lines.size() + " lines, last " + new String(lines.get(lines.size() - 1), US_ASCII)));
                return writer.drain();
            });
        }).join();
        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port(server)).get(WAIT, TimeUnit.SECONDS);
        WriteSubscriber subscriber = connection.getWriter().subscriber();
        try (SubmissionPublisher<byte[]> publisher = new SubmissionPublisher<>()) {
            publisher.subscribe(subscriber);
            for (int i = 0; i < 50_000; i++) {
                publisher.submit(ascii("item " + i + "\n"));
            }
        }
        assertNull(subscriber.completion().get(WAIT, TimeUnit.SECONDS));
        connection.getWriter().writeEof();
        assertArrayEquals(ascii("50000 lines, last item 49999\n"), connection.getReader().read().get(WAIT, TimeUnit.SECONDS));
        connection.getWriter().close();
        server.close();
    }

    @Test
    void aPublishersErrorFailsTheWriteSubscribersCompletion() throws Exception {
        FutureServer server = lineServer(0);
        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port(server)).get(WAIT, TimeUnit.SECONDS);
        WriteSubscriber subscriber = connection.getWriter().subscriber();
        IOException broken = new IOException("source broke");
        SubmissionPublisher<byte[]> publisher = new SubmissionPublisher<>();
        publisher.subscribe(subscriber);
        publisher.submit(ascii("one\n"));
        publisher.closeExceptionally(broken);
        ExecutionException failure = assertThrows(ExecutionException.class,
                () -> subscriber.completion().get(WAIT, TimeUnit.SECONDS));
        assertSame(broken, failure.getCause());
        connection.getWriter().close();
        server.close();
    }
}
