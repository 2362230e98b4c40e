package io.aiostreams.bench;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The loopback benchmark's server or client for one peer; {@code bench/run.py} starts them and tabulates. */
@Command(name = "bench", mixinStandardHelpOptions = true,
        description = "The loopback benchmark's server or client (workloads W1-W5, see BENCHMARKS.md).")
public final class Bench implements Callable<Integer> {
    /** The JVM peers; CPython's is {@code bench/asyncio_peer.py}. */
    enum Peer {
        aiostreams, aiostreams_2loops, aiostreams_java, aiostreams_blocking, ktor, nio, netty;

        static Peer of(String name) {
            return valueOf(name.replace('-', '_'));
        }
    }

    @Parameters(index = "0", description = "server or client.")
    String role;

    @Option(names = "--workload", required = true,
            description = "W1 bulk, W2 lines, W3 pingpong, W4 churn, W5 fanin, W6 tls-bulk, W7 tls-handshakes (server only).")
    String workload;

    @Option(names = "--port", required = true, description = "The server's port on 127.0.0.1.")
    int port;

    @Option(names = "--n", description = "W2 lines, W3 round trips, W4 connections.")
    Long n;

    @Option(names = "--size", description = "W1, W6 bytes.")
    Long size;

    @Option(names = "--conns", description = "W5 connections.")
    Long conns;

    @Option(names = "--warmup",
            description = "First run the workload unmeasured (a quarter of the size, at most), so that the measured run "
                    + "finds the JIT compilers done.")
    boolean warmup;

    @Option(names = "--cert", description = "W6, W7 servers: the certificate chain (PEM).")
    java.io.File cert;

    @Option(names = "--key", description = "W6, W7 servers: the private key (PEM, PKCS#8).")
    java.io.File key;

    @Option(names = "--cafile", description = "W6 clients: the CA to verify the server against (PEM).")
    java.io.File caFile;

    @Option(names = "--peer", defaultValue = "aiostreams", converter = PeerConverter.class,
            description = "aiostreams (Kotlin), aiostreams-2loops (its server on two event loops), aiostreams-java (futures), aiostreams-blocking (the blocking API), ktor "
                    + "(raw ktor-network; W1-W5), netty (Netty 4.2) or nio (the JVM's floor: a bare NIO selector loop; W1 and W3 only) "
                    + "(default: ${DEFAULT-VALUE}).")
    Peer peer;

    /** Accepts the peers' names as the runner writes them, with dashes. */
    static final class PeerConverter implements CommandLine.ITypeConverter<Peer> {
        @Override
        public Peer convert(String value) {
            return Peer.of(value);
        }
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new Bench()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        switch (role) {
            case "server" -> {
                switch (peer) {
                    case ktor -> KtorBench.server(workload, port);
                    case nio -> NioFloor.server(workload, port);
                    case aiostreams_blocking -> io.aiostreams.bench.java.BlockingBench.server(workload, port);
                    case aiostreams_java -> io.aiostreams.bench.java.StreamsBench.server(workload, port);
                    case netty -> io.aiostreams.bench.netty.NettyBench.server(workload, port, cert, key);
                    case aiostreams -> StreamsBench.server(workload, port, cert, key, 1);
                    case aiostreams_2loops -> StreamsBench.server(workload, port, cert, key, 2);
                }
                return 0;
            }
            case "client" -> {
                long amount = BenchSpec.defaultSize(workload);
                Long given = workload.equals("W1") || workload.equals("W6") ? size : workload.equals("W5") ? conns : n;
                if (given != null) {
                    if (given <= 0) {
                        throw new CommandLine.ParameterException(new CommandLine(this), "size <= 0: " + given);
                    }
                    amount = given;
                }
                if (warmup) {
                    long small = workload.equals("W5") ? amount : Math.max(1, amount / 4);
                    client(small);
                }
                System.out.println(client(amount));
                return 0;
            }
            default -> throw new CommandLine.ParameterException(
                    new CommandLine(this), "role must be server or client: " + role);
        }
    }

    private String client(long amount) throws Exception {
        return switch (peer) {
            case ktor -> KtorBench.client(workload, port, amount);
            case nio -> NioFloor.client(workload, port, amount);
            case aiostreams_blocking -> io.aiostreams.bench.java.BlockingBench.client(workload, port, amount);
            case aiostreams_java -> io.aiostreams.bench.java.StreamsBench.client(workload, port, amount);
            case netty -> io.aiostreams.bench.netty.NettyBench.client(workload, port, amount, caFile);
            case aiostreams, aiostreams_2loops -> StreamsBench.client(workload, port, amount, caFile);
        };
    }
}
