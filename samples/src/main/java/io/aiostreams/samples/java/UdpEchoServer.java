package io.aiostreams.samples.java;

import io.aiostreams.future.FutureProtocols;
import io.aiostreams.protocol.DatagramEndpoint;
import io.aiostreams.protocol.DatagramProtocol;
import io.aiostreams.protocol.DatagramTransport;
import io.aiostreams.samples.shared.PyRepr;
import java.io.PrintStream;
import java.net.InetSocketAddress;
import java.net.SocketAddress;
import java.nio.charset.StandardCharsets;

/** asyncio's UDP echo server: prints each datagram and its sender, and sends it back. */
public final class UdpEchoServer {
    private UdpEchoServer() {}

    public static DatagramEndpoint<DatagramProtocol> start(String host, int port, PrintStream out) {
        out.println("Starting UDP server");
        return FutureProtocols.<DatagramProtocol>createDatagramEndpoint(() -> new DatagramProtocol() {
            private DatagramTransport transport;

            @Override
            public void connectionMade(DatagramTransport transport) {
                this.transport = transport;
            }

            @Override
            public void datagramReceived(byte[] data, SocketAddress address) {
                String message = new String(data, StandardCharsets.UTF_8);
                out.println("Received " + PyRepr.str(message) + " from " + PyRepr.address(address));
                out.println("Send " + PyRepr.str(message) + " to " + PyRepr.address(address));
                transport.sendTo(data, address);
            }
        }, new InetSocketAddress(host, port)).join();
    }
}
