package io.aiostreams.bench.netty;

import io.aiostreams.bench.BenchSpec;
import io.netty.bootstrap.Bootstrap;
import io.netty.bootstrap.ServerBootstrap;
import io.netty.buffer.ByteBuf;
import io.netty.buffer.Unpooled;
import io.netty.channel.Channel;
import io.netty.channel.ChannelFutureListener;
import io.netty.channel.ChannelHandlerContext;
import io.netty.channel.ChannelInboundHandlerAdapter;
import io.netty.channel.ChannelInitializer;
import io.netty.channel.ChannelOption;
import io.netty.channel.ChannelPipeline;
import io.netty.channel.EventLoopGroup;
import io.netty.channel.IoHandlerFactory;
import io.netty.channel.MultiThreadIoEventLoopGroup;
import io.netty.channel.ServerChannel;
import io.netty.channel.SimpleChannelInboundHandler;
import io.netty.channel.epoll.Epoll;
import io.netty.channel.epoll.EpollIoHandler;
import io.netty.channel.epoll.EpollServerSocketChannel;
import io.netty.channel.epoll.EpollSocketChannel;
import io.netty.channel.nio.NioIoHandler;
import io.netty.channel.socket.ChannelInputShutdownEvent;
import io.netty.channel.socket.DuplexChannel;
import io.netty.channel.socket.SocketChannel;
import io.netty.channel.socket.nio.NioServerSocketChannel;
import io.netty.channel.socket.nio.NioSocketChannel;
import io.netty.handler.codec.FixedLengthFrameDecoder;
import io.netty.handler.codec.LineBasedFrameDecoder;
import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.netty.handler.ssl.SslProvider;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * The benchmark workloads on Netty 4.2, written as Netty's examples write them: the epoll transport where it loads,
 * frame decoders ({@code LineBasedFrameDecoder}, {@code FixedLengthFrameDecoder}), the default pooled allocator,
 * writes batched and flushed at {@code channelReadComplete}, writability as the drain signal, and clients driven
 * from their handlers on the event loop. TLS through {@code SslHandler} on the JDK's {@code SSLEngine}.
 */
public final class NettyBench {
    private static final String PEER = "netty";

    private NettyBench() {}

    private static IoHandlerFactory ioHandler() {
        return Epoll.isAvailable() ? EpollIoHandler.newFactory() : NioIoHandler.newFactory();
    }

    private static Class<? extends ServerChannel> serverChannel() {
        return Epoll.isAvailable() ? EpollServerSocketChannel.class : NioServerSocketChannel.class;
    }

    private static Class<? extends Channel> clientChannel() {
        return Epoll.isAvailable() ? EpollSocketChannel.class : NioSocketChannel.class;
    }

    // ---- servers --------------------------------------------------------------------------------------------------

    /** Serves {@code workload} on 127.0.0.1:{@code port} until the process is killed. */
    public static void server(String workload, int port, File cert, File key) throws Exception {
        SslContext tls = workload.equals("W6") || workload.equals("W7")
                ? SslContextBuilder.forServer(cert, key).sslProvider(SslProvider.JDK).protocols("TLSv1.3").build()
                : null;
        EventLoopGroup boss = new MultiThreadIoEventLoopGroup(1, ioHandler());
        EventLoopGroup workers = new MultiThreadIoEventLoopGroup(ioHandler());
        ServerBootstrap bootstrap = new ServerBootstrap()
                .group(boss, workers)
                .channel(serverChannel())
                .option(ChannelOption.SO_BACKLOG, BenchSpec.BACKLOG)
                .childOption(ChannelOption.ALLOW_HALF_CLOSURE, true)
                .childHandler(new ChannelInitializer<SocketChannel>() {
                    @Override
                    protected void initChannel(SocketChannel ch) {
                        ChannelPipeline p = ch.pipeline();
                        if (tls != null) {
                            p.addLast(tls.newHandler(ch.alloc()));
                        }
                        switch (workload) {
                            case "W1" -> p.addLast(new CountBytes());
                            case "W2" -> p.addLast(new LineBasedFrameDecoder(1024), new CountLines());
                            case "W3", "W5" -> p.addLast(new LineBasedFrameDecoder(1024, false, false), new Echo());
                            case "W4" -> p.addLast(new LineBasedFrameDecoder(1024, false, false), new EchoOnceAndClose());
                            case "W6" -> p.addLast(new CountPrefixedBytes());
                            case "W7" -> p.addLast(new CloseOnInputEnd());
                            default -> throw new IllegalArgumentException("unknown workload: " + workload + " (W1 to W7)");
                        }
                    }
                });
        bootstrap.bind(BenchSpec.HOST, port).sync().channel().closeFuture().sync();
    }

    /** Closes a connection whose peer has finished sending (half-closure is allowed for W1 and W2). */
    private static void closeOnInputEnd(ChannelHandlerContext ctx, Object evt) {
        if (evt instanceof ChannelInputShutdownEvent) {
            ctx.close();
        }
    }

    /** W1: counts bytes until the client half-closes, replies the count as 8 bytes, closes. */
    private static final class CountBytes extends ChannelInboundHandlerAdapter {
        private long count;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data = (ByteBuf) msg;
            count += data.readableBytes();
            data.release();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.writeAndFlush(ctx.alloc().buffer(8).writeLong(count)).addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /** W6: an 8-byte length, then that many bytes; replies the count as 8 bytes, closes (TLS cannot half-close). */
    private static final class CountPrefixedBytes extends ChannelInboundHandlerAdapter {
        private long expected = -1;
        private long count;
        private final ByteBuf header = Unpooled.buffer(8);

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data = (ByteBuf) msg;
            if (expected < 0) {
                data.readBytes(header, Math.min(header.writableBytes(), data.readableBytes()));
                if (header.writableBytes() == 0) {
                    expected = header.readLong();
                }
            }
            count += data.readableBytes();
            data.release();
            if (expected >= 0 && count >= expected) {
                ctx.writeAndFlush(ctx.alloc().buffer(8).writeLong(count)).addListener(ChannelFutureListener.CLOSE);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            closeOnInputEnd(ctx, evt);
        }
    }

    /** W2: counts lines until the client half-closes, replies {@code <count>\n}, closes. */
    private static final class CountLines extends ChannelInboundHandlerAdapter {
        private long count;

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            count++;
            ((ByteBuf) msg).release();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            if (evt instanceof ChannelInputShutdownEvent) {
                ctx.writeAndFlush(Unpooled.copiedBuffer(count + "\n", StandardCharsets.US_ASCII))
                        .addListener(ChannelFutureListener.CLOSE);
            }
        }
    }

    /** W3, W5: echoes each line; flushes once per read burst; stops reading while the peer does not (drain). */
    private static final class Echo extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ctx.write(msg);
        }

        @Override
        public void channelReadComplete(ChannelHandlerContext ctx) {
            ctx.flush();
            if (!ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(false);
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable()) {
                ctx.channel().config().setAutoRead(true);
            }
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            closeOnInputEnd(ctx, evt);
        }
    }

    /** W4: echoes the first line, then closes. */
    private static final class EchoOnceAndClose extends SimpleChannelInboundHandler<ByteBuf> {
        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf line) {
            ctx.writeAndFlush(line.retain()).addListener(ChannelFutureListener.CLOSE);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            closeOnInputEnd(ctx, evt);
        }
    }

    /** W7: nothing to serve after the handshake; the client closes. */
    private static final class CloseOnInputEnd extends ChannelInboundHandlerAdapter {
        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ((ByteBuf) msg).release();
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) {
            closeOnInputEnd(ctx, evt);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            ctx.close();
        }
    }

    // ---- clients --------------------------------------------------------------------------------------------------

    /** Runs {@code workload} once against 127.0.0.1:{@code port} and returns its JSON line. */
    public static String client(String workload, int port, long size, File caFile) throws Exception {
        EventLoopGroup group = new MultiThreadIoEventLoopGroup(1, ioHandler());
        try {
            return switch (workload) {
                case "W1" -> bulk(group, port, size, null);
                case "W2" -> lines(group, port, (int) size);
                case "W3" -> pingPong(group, port, (int) size);
                case "W4" -> churn(group, port, (int) size);
                case "W5" -> fanIn(group, port, (int) size);
                case "W6" -> bulk(group, port, size, SslContextBuilder.forClient().sslProvider(SslProvider.JDK)
                        .protocols("TLSv1.3").trustManager(caFile).endpointIdentificationAlgorithm("HTTPS").build());
                default -> throw new IllegalArgumentException("unknown workload: " + workload + " (W1 to W6)");
            };
        } finally {
            group.shutdownGracefully(0, 1, TimeUnit.SECONDS).sync();
        }
    }

    private static Bootstrap bootstrap(EventLoopGroup group, ChannelInitializer<Channel> init) {
        return new Bootstrap().group(group).channel(clientChannel())
                .option(ChannelOption.ALLOW_HALF_CLOSURE, true).handler(init);
    }

    /**
     * Sends {@code total} bytes from {@code unit}-sized slices of {@code payload} while the channel is writable, then
     * half-closes (W1, W2) or, over TLS, just stops (W6 is length-prefixed); collects the reply.
     */
    private static final class Sender extends ChannelInboundHandlerAdapter {
        private final byte[] payload;
        private final byte[] first;
        private long left;
        private final boolean halfClose;
        private final CompletableFuture<ByteBuf> reply = new CompletableFuture<>();
        private final ByteBuf received = Unpooled.buffer();

        Sender(byte[] payload, byte[] first, long total, boolean halfClose) {
            this.payload = payload;
            this.first = first;
            this.left = total;
            this.halfClose = halfClose;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            if (first != null) {
                ctx.write(Unpooled.wrappedBuffer(first));
            }
            pump(ctx);
        }

        @Override
        public void userEventTriggered(ChannelHandlerContext ctx, Object evt) throws Exception {
            if (evt instanceof io.netty.handler.ssl.SslHandshakeCompletionEvent done && !done.isSuccess()) {
                reply.completeExceptionally(done.cause());
            }
            if (evt instanceof ChannelInputShutdownEvent) {
                reply.complete(received);
                ctx.close();
            }
            super.userEventTriggered(ctx, evt);
        }

        private void pump(ChannelHandlerContext ctx) {
            io.netty.channel.ChannelFuture last = null;
            while (left > 0 && ctx.channel().isWritable()) {
                int n = (int) Math.min(payload.length, left);
                last = ctx.write(Unpooled.wrappedBuffer(payload, 0, n));
                left -= n;
            }
            ctx.flush();
            if (left == 0 && halfClose && last != null) {
                // Half-close once the last byte is written: shutdownOutput() now would fail what is still queued.
                last.addListener(written -> ((DuplexChannel) ctx.channel()).shutdownOutput());
                left = -1;
            }
        }

        @Override
        public void channelWritabilityChanged(ChannelHandlerContext ctx) {
            if (ctx.channel().isWritable() && left > 0) {
                pump(ctx);
            }
        }

        @Override
        public void channelRead(ChannelHandlerContext ctx, Object msg) {
            ByteBuf data = (ByteBuf) msg;
            received.writeBytes(data);
            data.release();
        }

        @Override
        public void channelInactive(ChannelHandlerContext ctx) {
            reply.complete(received);
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            reply.completeExceptionally(cause);
            ctx.close();
        }
    }

    private static String bulk(EventLoopGroup group, int port, long size, SslContext tls) throws Exception {
        byte[] chunk = new byte[BenchSpec.CHUNK];
        Arrays.fill(chunk, (byte) 'b');
        byte[] header = tls == null ? null : Unpooled.buffer(8).writeLong(size).array();
        Sender sender = new Sender(chunk, header, size, tls == null);
        long start = System.nanoTime();
        bootstrap(group, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                if (tls != null) {
                    ch.pipeline().addLast(tls.newHandler(ch.alloc(), BenchSpec.HOST, port));
                }
                ch.pipeline().addLast(sender);
            }
        }).connect(BenchSpec.HOST, port).sync();
        ByteBuf reply = sender.reply.get(600, TimeUnit.SECONDS);
        double seconds = BenchSpec.secondsSince(start);
        long count = reply.readLong();
        BenchSpec.check(count == size, "server counted " + count + " bytes, sent " + size);
        return BenchSpec.bulkJson(PEER, size, seconds, tls == null ? "W1" : "W6");
    }

    private static String lines(EventLoopGroup group, int port, int n) throws Exception {
        Sender sender = new Sender(BenchSpec.lines(BenchSpec.LINES_PER_WRITE), null, (long) n * BenchSpec.LINE_LENGTH, true);
        long start = System.nanoTime();
        bootstrap(group, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(sender);
            }
        }).connect(BenchSpec.HOST, port).sync();
        ByteBuf reply = sender.reply.get(600, TimeUnit.SECONDS);
        double seconds = BenchSpec.secondsSince(start);
        long count = Long.parseLong(reply.toString(StandardCharsets.US_ASCII).trim());
        BenchSpec.check(count == n, "server counted " + count + " lines, sent " + n);
        return BenchSpec.json(PEER, "W2", "lines/s", n / seconds, Map.of("lines", n, "seconds", seconds));
    }

    /**
     * W3 and W5: {@code rounds} round trips driven from the handler, timing each; from the connection's start, or
     * (W5, as every peer's client does) from {@link #start()}, once all connections are open.
     */
    private static final class PingPong extends SimpleChannelInboundHandler<ByteBuf> {
        private final byte[] message = BenchSpec.message();
        private final long[] times;
        private final boolean onActive;
        private ChannelHandlerContext context;
        private int done;
        private long sent;
        final CompletableFuture<long[]> finished = new CompletableFuture<>();

        PingPong(int rounds, boolean onActive) {
            times = new long[rounds];
            this.onActive = onActive;
        }

        @Override
        public void channelActive(ChannelHandlerContext ctx) {
            context = ctx;
            if (onActive) {
                send(ctx);
            }
        }

        /**
         * Starts the round trips on {@code channel}'s event loop (for a handler made with {@code onActive} false): a
         * task queued there after the connect completed runs after {@code channelActive}.
         */
        void start(Channel channel) {
            channel.eventLoop().execute(() -> send(context));
        }

        private void send(ChannelHandlerContext ctx) {
            sent = System.nanoTime();
            ctx.writeAndFlush(Unpooled.wrappedBuffer(message));
        }

        @Override
        protected void channelRead0(ChannelHandlerContext ctx, ByteBuf reply) {
            times[done++] = System.nanoTime() - sent;
            if (!ByteBufUtilEquals.same(reply, message)) {
                finished.completeExceptionally(new IllegalStateException("the echoed message differs"));
                return;
            }
            if (done == times.length) {
                finished.complete(times);
            } else {
                send(ctx);
            }
        }

        @Override
        public void exceptionCaught(ChannelHandlerContext ctx, Throwable cause) {
            finished.completeExceptionally(cause);
            ctx.close();
        }
    }

    /** Compares a buffer's readable bytes with an array. */
    private static final class ByteBufUtilEquals {
        static boolean same(ByteBuf buf, byte[] bytes) {
            if (buf.readableBytes() != bytes.length) {
                return false;
            }
            for (int i = 0; i < bytes.length; i++) {
                if (buf.getByte(buf.readerIndex() + i) != bytes[i]) {
                    return false;
                }
            }
            return true;
        }
    }

    private static Channel connectPingPong(EventLoopGroup group, int port, PingPong handler) throws InterruptedException {
        return bootstrap(group, new ChannelInitializer<>() {
            @Override
            protected void initChannel(Channel ch) {
                ch.pipeline().addLast(new FixedLengthFrameDecoder(BenchSpec.MESSAGE_LENGTH), handler);
            }
        }).connect(BenchSpec.HOST, port).sync().channel();
    }

    private static String pingPong(EventLoopGroup group, int port, int n) throws Exception {
        PingPong handler = new PingPong(n, true);
        long start = System.nanoTime();
        Channel channel = connectPingPong(group, port, handler);
        long[] times = handler.finished.get(600, TimeUnit.SECONDS);
        double seconds = BenchSpec.secondsSince(start);
        channel.close().sync();
        return BenchSpec.pingPongJson(PEER, seconds, times);
    }

    private static String churn(EventLoopGroup group, int port, int n) throws Exception {
        byte[] ping = "ping\n".getBytes(StandardCharsets.US_ASCII);
        long start = System.nanoTime();
        for (int i = 0; i < n; i++) {
            CompletableFuture<String> line = new CompletableFuture<>();
            Channel channel = bootstrap(group, new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new LineBasedFrameDecoder(1024, false, false),
                            new SimpleChannelInboundHandler<ByteBuf>() {
                                @Override
                                public void channelActive(ChannelHandlerContext ctx) {
                                    ctx.writeAndFlush(Unpooled.wrappedBuffer(ping));
                                }

                                @Override
                                protected void channelRead0(ChannelHandlerContext ctx, ByteBuf msg) {
                                    line.complete(msg.toString(StandardCharsets.US_ASCII));
                                    ctx.close();
                                }
                            });
                }
            }).connect(BenchSpec.HOST, port).sync().channel();
            BenchSpec.check(line.get(60, TimeUnit.SECONDS).equals("ping\n"), "unexpected reply");
            channel.closeFuture().sync();
        }
        double seconds = BenchSpec.secondsSince(start);
        return BenchSpec.json(PEER, "W4", "conns/s", n / seconds, Map.of("connections", n, "seconds", seconds));
    }

    private static String fanIn(EventLoopGroup group, int port, int conns) throws Exception {
        long start = System.nanoTime();
        List<PingPong> handlers = new ArrayList<>();
        List<io.netty.channel.ChannelFuture> connecting = new ArrayList<>();
        for (int i = 0; i < conns; i++) {
            PingPong handler = new PingPong(BenchSpec.FANIN_ROUND_TRIPS, false);
            handlers.add(handler);
            connecting.add(bootstrap(group, new ChannelInitializer<>() {
                @Override
                protected void initChannel(Channel ch) {
                    ch.pipeline().addLast(new FixedLengthFrameDecoder(BenchSpec.MESSAGE_LENGTH), handler);
                }
            }).connect(BenchSpec.HOST, port));
        }
        List<Channel> channels = new ArrayList<>();
        for (io.netty.channel.ChannelFuture f : connecting) {
            channels.add(f.sync().channel());
        }
        // All connections are open before the round trips start, as in every peer's client (asyncio.gather twice).
        for (int i = 0; i < conns; i++) {
            handlers.get(i).start(channels.get(i));
        }
        for (PingPong handler : handlers) {
            handler.finished.get(600, TimeUnit.SECONDS);
        }
        for (Channel channel : channels) {
            channel.close();
        }
        for (Channel channel : channels) {
            channel.closeFuture().sync();
        }
        double seconds = BenchSpec.secondsSince(start);
        return BenchSpec.fanInJson(PEER, conns, seconds);
    }
}
