package io.aiostreams.samples.java;

import io.aiostreams.future.FutureProtocols;
import io.aiostreams.future.FutureServer;
import io.aiostreams.protocol.Protocol;
import io.aiostreams.protocol.Transport;
import io.aiostreams.samples.shared.PyRepr;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;

/**
 * The asyncio tutorial's {@code SimpleEchoProtocol} server: prints {@code Connection received!} and every chunk,
 * answers {@code echo:} plus the data, and closes the whole server when its connection is lost.
 */
public final class SimpleEchoServer {
    private SimpleEchoServer() {}

    /** The protocol of one connection; closes [server] when its connection is lost. */
    static final class SimpleEchoProtocol implements Protocol {
        private final PrintStream out;
        private final CompletableFuture<FutureServer> server;
        private Transport transport;

        SimpleEchoProtocol(PrintStream out, CompletableFuture<FutureServer> server) {
            this.out = out;
            this.server = server;
        }

        @Override
        public void connectionMade(Transport transport) {
            out.println("Connection received!");
            this.transport = transport;
        }

        @Override
        public void dataReceived(byte[] data) {
            out.println(PyRepr.bytes(data));
            transport.write("echo:".getBytes(StandardCharsets.US_ASCII));
            transport.write(data);
        }

        @Override
        public void connectionLost(Throwable exception) {
            out.println("Connection lost! Closing server...");
            server.join().close();
        }
    }

    public static FutureServer start(String host, int port, PrintStream out) {
        CompletableFuture<FutureServer> self = new CompletableFuture<>();
        FutureServer server = FutureProtocols.createServer(() -> new SimpleEchoProtocol(out, self), host, port).join();
        self.complete(server);
        return server;
    }
}
