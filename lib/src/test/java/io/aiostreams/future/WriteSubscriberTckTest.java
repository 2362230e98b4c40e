package io.aiostreams.future;

import static java.nio.charset.StandardCharsets.US_ASCII;

import io.aiostreams.blocking.BlockingServer;
import io.aiostreams.blocking.BlockingStreams;
import java.net.InetSocketAddress;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Flow;
import org.reactivestreams.tck.TestEnvironment;
import org.reactivestreams.tck.flow.FlowSubscriberBlackboxVerification;
import org.testng.annotations.AfterClass;
import org.testng.annotations.BeforeClass;

/** The Reactive Streams TCK (black box) on {@link WriteSubscriber}, each writing to a real connection. */
public class WriteSubscriberTckTest extends FlowSubscriberBlackboxVerification<byte[]> {
    private BlockingServer server;
    private final List<FutureConnection> connections = new CopyOnWriteArrayList<>();

    public WriteSubscriberTckTest() {
        super(new TestEnvironment(500, 200));
    }

    @BeforeClass
    public void startServer() throws Exception {
        server = BlockingStreams.startServer("127.0.0.1", 0, (reader, writer) -> {
            while (reader.read(65536).length > 0) {
                // discard what the subscriber writes
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
    public Flow.Subscriber<byte[]> createFlowSubscriber() {
        int port = ((InetSocketAddress) server.getAddresses().get(0)).getPort();
        FutureConnection connection = FutureStreams.openConnection("127.0.0.1", port).join();
        connections.add(connection);
        return connection.getWriter().subscriber();
    }

    @Override
    public byte[] createElement(int element) {
        return ("item " + element + "\n").getBytes(US_ASCII);
    }
}
