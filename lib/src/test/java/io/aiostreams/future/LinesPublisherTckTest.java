package io.aiostreams.future;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.aiostreams.StreamReader;
import io.aiostreams.blocking.BlockingServer;
import io.aiostreams.blocking.BlockingStreams;
import java.io.IOException;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowPublisherVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/**
 * The Reactive Streams TCK on {@link FutureStreamReader#lines()}: every publisher reads lines from a real connection
 * to a server that writes as many lines as asked (endlessly for {@code Long.MAX_VALUE}, as fast as drain allows).
 */
public class LinesPublisherTckTest extends FlowPublisherVerification<byte[]> {
    private BlockingServer server;
    private final List<FutureConnection> connections = new CopyOnWriteArrayList<>();

    public LinesPublisherTckTest() {
        super(new TestEnvironment(500, 200), 1000);
    }

    @BeforeClass
    public void startServer() throws Exception {
        server = BlockingStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
            long count = Long.parseLong(new String(reader.readLine(), US_ASCII).trim());
            try {
                for (long i = 0; count == Long.MAX_VALUE || i < count; i++) {
                    writer.write(("line " + i + "\n").getBytes(US_ASCII));
                    writer.drain();
                }
            } catch (IOException gone) {
                // The client closed an endless stream: nothing more to send.
            }
        });
    }

    @AfterClass
    public void stopServer() throws Exception {
        for (FutureConnection connection : connections) {
            connection.getWriter().abort();
        }
        server.close();
        server.abortClients();
        server.waitClosed();
    }

    @Override
    public Flow.Publisher<byte[]> createFlowPublisher(long elements) {
        int port = ((InetSocketAddress) server.getAddresses().get(0)).getPort();
        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port).join();
        connections.add(connection);
        connection.getWriter().write((elements + "\n").getBytes(US_ASCII));
        return connection.getReader().lines();
    }

    @Override
    public Flow.Publisher<byte[]> createFailedFlowPublisher() {
        StreamReader reader = new StreamReader();
        reader.setException(new IOException("connection lost"));
        return new FutureStreamReader(reader).lines();
    }

    @Override
    public long maxElementsFromPublisher() {
        return Long.MAX_VALUE - 1;
    }
}
