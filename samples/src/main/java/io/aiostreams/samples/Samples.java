package io.aiostreams.samples;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;
import picocli.CommandLine.Parameters;

/** The samples program: one subcommand per sample, each with a Kotlin and a Java implementation. */
@Command(
        name = "samples",
        mixinStandardHelpOptions = true,
        versionProvider = Samples.Version.class,
        description = "aiostreams sample programs; each exists in Kotlin and in Java (--lang).",
        subcommands = {
            Samples.Demo.class,
            Samples.ReaderDemoCommand.class,
            Samples.EchoServerCommand.class,
            Samples.EchoClientCommand.class,
            Samples.LineClientCommand.class,
            Samples.WaitForDataCommand.class,
            Samples.SimpleEchoServerCommand.class,
            Samples.UdpEchoServerCommand.class,
            Samples.UdpEchoClientCommand.class,
            Samples.HeadCommand.class,
            Samples.WgetCommand.class,
            Samples.ReaderBenchCommand.class
        })
public final class Samples implements Runnable {
    /** Which twin runs a sample: Kotlin, Java on futures, or Java on the blocking API (some samples only). */
    enum Lang { kotlin, java, blocking }

    /** A sample that also exists on the blocking API ({@code --lang blocking}). */
    interface HasBlockingTwin {}

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /**
     * Runs the program as {@link #main} would, but returns the exit code: 0, 1 after a failure (one line
     * {@code samples <command>: <cause>} on standard error, and the stack trace with {@code --stacktrace}), 2 for bad
     * arguments.
     */
    public static int execute(String... args) {
        CommandLine samples = new CommandLine(new Samples());
        for (CommandLine sample : samples.getSubcommands().values()) {
            sample.getCommandSpec().versionProvider(new Version());
        }
        return samples
                .setCaseInsensitiveEnumValuesAllowed(true)
                .setExecutionExceptionHandler((error, commandLine, parsed) -> {
                    commandLine.getErr().println("samples " + commandLine.getCommandName() + ": "
                            + io.aiostreams.samples.shared.Failures.cause(error));
                    if (commandLine.getCommand() instanceof Twin twin && twin.stacktrace) {
                        error.printStackTrace(commandLine.getErr());
                    }
                    return 1;
                })
                .setExecutionStrategy(parsed -> {
                    CommandLine last = parsed.asCommandLineList().get(parsed.asCommandLineList().size() - 1);
                    Object command = last.getCommand();
                    if (command instanceof Twin twin && twin.lang == Lang.blocking && !(command instanceof HasBlockingTwin)) {
                        throw new CommandLine.ParameterException(last, "--lang blocking: " + last.getCommandName()
                                + " has no blocking twin (echo-server and line-client have one)");
                    }
                    return new CommandLine.RunLast().execute(parsed);
                })
                .execute(args);
    }

    /** {@code --version}: this program's version and the library's, from the build. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            java.util.Properties build = new java.util.Properties();
            try (var in = Samples.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    build.load(in);
                }
            }
            String version = build.getProperty("version", "unknown");
            return new String[] {
                "samples " + version + " (aiostreams " + version + ", Java " + Runtime.version() + ")"
            };
        }
    }

    /** The options every sample shares. */
    abstract static class Twin {
        @Option(names = "--stacktrace", description = "After a failure's one line, print its stack trace too.")
        boolean stacktrace;

        @Option(names = "--lang", defaultValue = "kotlin",
                description = "kotlin, java, or blocking (Java on the blocking API; some samples) (default: ${DEFAULT-VALUE}).")
        Lang lang;
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = "Offline demo: a server and a client in one process on a free loopback port.")
    static final class Demo extends Twin implements Callable<Integer> {
        @Override
        public Integer call() {
            if (lang == Lang.java) {
                io.aiostreams.samples.java.LoopbackDemo.run(System.out);
            } else {
                io.aiostreams.samples.kotlin.LoopbackDemo.run(System.out);
            }
            return 0;
        }
    }

    @Command(name = "reader-demo", mixinStandardHelpOptions = true,
            description = "Offline: parse a response that arrives in pieces, with CPython's read rules.")
    static final class ReaderDemoCommand extends Twin implements Callable<Integer> {
        @Override
        public Integer call() throws Exception {
            if (lang == Lang.java) {
                io.aiostreams.samples.java.ReaderDemo.run(System.out);
            } else {
                io.aiostreams.samples.kotlin.ReaderDemo.run(System.out);
            }
            return 0;
        }
    }

    @Command(name = "echo-server", mixinStandardHelpOptions = true,
            description = "asyncio's TCP echo server: echoes up to 100 bytes per connection, then closes it.")
    static final class EchoServerCommand extends Twin implements Callable<Integer>, HasBlockingTwin {
        @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
        String host;

        @Option(names = "--port", defaultValue = "8888", description = "Port; 0 picks a free one (default: ${DEFAULT-VALUE}).")
        int port;

        @Override
        public Integer call() throws Exception {
            if (lang == Lang.blocking) {
                var server = io.aiostreams.samples.java.BlockingEchoServer.start(host, port, System.out);
                io.aiostreams.samples.java.BlockingEchoServer.serveUntilStopped(server);
            } else if (lang == Lang.java) {
                var server = io.aiostreams.samples.java.EchoServer.start(host, port, System.out);
                io.aiostreams.samples.java.EchoServer.serveUntilStopped(server);
            } else {
                var server = io.aiostreams.samples.kotlin.EchoServer.start(host, port, System.out);
                io.aiostreams.samples.kotlin.EchoServer.serveUntilStopped(server);
            }
            return 0;
        }
    }

    @Command(name = "echo-client", mixinStandardHelpOptions = true,
            description = "asyncio's TCP echo client: sends a message and prints the reply.")
    static final class EchoClientCommand extends Twin implements Callable<Integer> {
        @Option(names = "--host", defaultValue = "127.0.0.1", description = "Server address (default: ${DEFAULT-VALUE}).")
        String host;

        @Option(names = "--port", defaultValue = "8888", description = "Server port (default: ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--message", defaultValue = "Hello World!", description = "What to send (default: ${DEFAULT-VALUE}).")
        String message;

        @Override
        public Integer call() {
            if (lang == Lang.java) {
                io.aiostreams.samples.java.EchoClient.run(host, port, message, System.out);
            } else {
                io.aiostreams.samples.kotlin.EchoClient.run(host, port, message, System.out);
            }
            return 0;
        }
    }

    @Command(name = "line-client", mixinStandardHelpOptions = true,
            description = "Writes four lines and reads lines back until 'Last line.'.")
    static final class LineClientCommand extends Twin implements Callable<Integer>, HasBlockingTwin {
        @Option(names = "--host", defaultValue = "localhost", description = "Server address (default: ${DEFAULT-VALUE}).")
        String host;

        @Option(names = "--port", defaultValue = "2222", description = "Server port (default: ${DEFAULT-VALUE}).")
        int port;

        @Override
        public Integer call() throws Exception {
            if (lang == Lang.blocking) {
                io.aiostreams.samples.java.BlockingLineClient.run(host, port, System.out);
            } else if (lang == Lang.java) {
                io.aiostreams.samples.java.LineClient.run(host, port, System.out);
            } else {
                io.aiostreams.samples.kotlin.LineClient.run(host, port, System.out);
            }
            return 0;
        }
    }

    @Command(name = "wait-for-data", mixinStandardHelpOptions = true,
            description = "A connected pair on loopback: one side sends 'abc', the other waits for it.")
    static final class WaitForDataCommand extends Twin implements Callable<Integer> {
        @Override
        public Integer call() {
            if (lang == Lang.java) {
                io.aiostreams.samples.java.WaitForData.run(System.out);
            } else {
                io.aiostreams.samples.kotlin.WaitForData.run(System.out);
            }
            return 0;
        }
    }

    @Command(name = "simple-echo-server", mixinStandardHelpOptions = true,
            description = "The tutorial's SimpleEchoProtocol: answers 'echo:' + data; stops after its first connection.")
    static final class SimpleEchoServerCommand extends Twin implements Callable<Integer> {
        @Option(names = "--host", defaultValue = "localhost", description = "Address to listen on (default: ${DEFAULT-VALUE}).")
        String host;

        @Option(names = "--port", defaultValue = "2222", description = "Port (default: ${DEFAULT-VALUE}).")
        int port;

        @Override
        public Integer call() {
            if (lang == Lang.java) {
                io.aiostreams.samples.java.SimpleEchoServer.start(host, port, System.out).waitClosed().join();
            } else {
                var server = io.aiostreams.samples.kotlin.SimpleEchoServer.start(host, port, System.out);
                io.aiostreams.samples.kotlin.SimpleEchoServer.waitClosed(server);
            }
            return 0;
        }
    }

    @Command(name = "udp-echo-server", mixinStandardHelpOptions = true,
            description = "asyncio's UDP echo server; runs until interrupted.")
    static final class UdpEchoServerCommand extends Twin implements Callable<Integer> {
        @Option(names = "--host", defaultValue = "127.0.0.1", description = "Address to bind (default: ${DEFAULT-VALUE}).")
        String host;

        @Option(names = "--port", defaultValue = "9999", description = "Port (default: ${DEFAULT-VALUE}).")
        int port;

        @Override
        public Integer call() throws InterruptedException {
            var endpoint = lang == Lang.java
                    ? io.aiostreams.samples.java.UdpEchoServer.start(host, port, System.out)
                    : io.aiostreams.samples.kotlin.UdpEchoServer.start(host, port, System.out);
            Runtime.getRuntime().addShutdownHook(new Thread(() -> endpoint.getTransport().close()));
            Thread.currentThread().join();
            return 0;
        }
    }

    @Command(name = "udp-echo-client", mixinStandardHelpOptions = true,
            description = "asyncio's UDP echo client: sends a message and prints the reply.")
    static final class UdpEchoClientCommand extends Twin implements Callable<Integer> {
        @Option(names = "--host", defaultValue = "127.0.0.1", description = "Server address (default: ${DEFAULT-VALUE}).")
        String host;

        @Option(names = "--port", defaultValue = "9999", description = "Server port (default: ${DEFAULT-VALUE}).")
        int port;

        @Option(names = "--message", defaultValue = "Hello World!", description = "What to send (default: ${DEFAULT-VALUE}).")
        String message;

        @Override
        public Integer call() throws Exception {
            if (lang == Lang.java) {
                io.aiostreams.samples.java.UdpEchoClient.run(host, port, message, System.out);
            } else {
                io.aiostreams.samples.kotlin.UdpEchoClient.run(host, port, message, System.out);
            }
            return 0;
        }
    }

    @Command(name = "head", mixinStandardHelpOptions = true,
            description = "Prints the response headers of a HEAD request (asyncio's print_http_headers).")
    static final class HeadCommand extends Twin implements Callable<Integer> {
        @Parameters(index = "0", description = "An http:// or https:// URL.")
        String url;

        @Option(names = "--cafile", description = "PEM file of the CAs to trust for https (default: the JDK's trust store).")
        java.nio.file.Path caFile;

        @Option(names = "--timeout", defaultValue = "10", description = "Seconds before giving up (default: ${DEFAULT-VALUE}).")
        double timeout;

        @Override
        public Integer call() {
            if (!(timeout > 0)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--timeout must be positive: " + timeout);
            }
            long millis = Math.round(timeout * 1000);
            if (lang == Lang.java) {
                return io.aiostreams.samples.java.HeadTool.run(url, caFile, java.time.Duration.ofMillis(millis), System.out, System.err);
            }
            return io.aiostreams.samples.kotlin.HeadTool.run(url, caFile, millis, System.out, System.err);
        }
    }

    @Command(name = "wget", mixinStandardHelpOptions = true,
            description = "GET a page over HTTP/1.0 and print the response as it arrives (the asyncio wget example).")
    static final class WgetCommand extends Twin implements Callable<Integer> {
        @Parameters(index = "0", description = "A host name or address (http, port 80, path /), or an http:// or https:// URL.")
        String target;

        @Parameters(index = "1", arity = "0..1", description = "The port, with a host name (default: 80).")
        Integer port;

        @Option(names = "--cafile", description = "PEM file of the CAs to trust for https (default: the JDK's trust store).")
        java.nio.file.Path caFile;

        @Option(names = "--timeout", defaultValue = "30",
                description = "Seconds to wait for the connection, and then for each piece of data (default: ${DEFAULT-VALUE}).")
        double timeout;

        @Override
        public Integer call() {
            if (!(timeout > 0)) {
                throw new CommandLine.ParameterException(new CommandLine(this), "--timeout must be positive: " + timeout);
            }
            long millis = Math.round(timeout * 1000);
            // Progress on standard error only where someone watches it.
            boolean progress = System.console() != null;
            if (lang == Lang.java) {
                return io.aiostreams.samples.java.Wget.run(target, port, caFile, millis, progress, System.out, System.err);
            }
            return io.aiostreams.samples.kotlin.Wget.run(target, port, caFile, millis, progress, System.out, System.err);
        }
    }

    @Command(name = "reader-bench", mixinStandardHelpOptions = true,
            description = "In-memory readLine / readUntil throughput on 100-byte lines.")
    static final class ReaderBenchCommand extends Twin implements Callable<Integer> {
        @Option(names = "--lines", defaultValue = "1000000", description = "Lines per round (default: ${DEFAULT-VALUE}).")
        int lines;

        @Option(names = "--rounds", defaultValue = "7", description = "Measured rounds (default: ${DEFAULT-VALUE}).")
        int rounds;

        @Override
        public Integer call() {
            if (lines <= 0 || rounds <= 0) {
                throw new CommandLine.ParameterException(new CommandLine(this),
                        "--lines and --rounds must be positive: " + lines + ", " + rounds);
            }
            if (lang == Lang.java) {
                io.aiostreams.samples.java.ReaderBench.run(System.out, lines, rounds);
            } else {
                io.aiostreams.samples.kotlin.ReaderBench.run(System.out, lines, rounds);
            }
            return 0;
        }
    }
}
