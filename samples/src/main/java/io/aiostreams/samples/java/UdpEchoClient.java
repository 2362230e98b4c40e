package io.aiostreams.samples.java;

import io.aiostreams.future.FutureProtocols;
import io.aiostreams.protocol.DatagramProtocol;
import io.aiostreams.protocol.DatagramTransport;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/** asyncio's UDP echo client: sends one message, prints the reply, closes. */
public final class UdpEchoClient {
    private UdpEchoClient() {}

    public static void run(String host, int port, String message, PrintStream out) throws Exception {
        CompletableFuture<Void> closed = new CompletableFuture<>();
        FutureProtocols.<DatagramProtocol>createDatagramEndpoint(() -> new DatagramProtocol() {
            private DatagramTransport transport;

            @Override
            public void connectionMade(DatagramTransport transport) {
                this.transport = transport;
                out.println("Send: " + message);
                transport.sendTo(message.getBytes(StandardCharsets.UTF_8));
            }

            @Override
            public void datagramReceived(byte[] data, SocketAddress address) {
                out.println("Received: " + new String(data, StandardCharsets.UTF_8));
                out.println("Close the socket");
                transport.close();
            }

            @Override
            public void errorReceived(Exception exception) {
                out.println("Error received: " + exception.getMessage());
            }

            @Override
            public void connectionLost(Throwable exception) {
                out.println("Connection closed");
                closed.complete(null);
            }
        }, null, new InetSocketAddress(host, port)).join();
        closed.get(30, TimeUnit.SECONDS);
    }
}
