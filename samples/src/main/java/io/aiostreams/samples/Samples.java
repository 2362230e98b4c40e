package io.aiostreams.samples;

import java.util.concurrent.Callable;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/** The samples program: one subcommand per sample, each with a Kotlin and a Java implementation. */
@Command(
        name = "samples",
        mixinStandardHelpOptions = true,
        description = "aiostreams sample programs; each exists in Kotlin and in Java (--lang).",
        subcommands = {Samples.Demo.class, Samples.ReaderBenchCommand.class})
public final class Samples implements Runnable {
    /** Which twin runs a sample. */
    enum Lang { kotlin, java }

    @Override
    public void run() {
        new CommandLine(this).usage(System.out);
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the program as {@link #main} would, but returns the exit code. */
    public static int execute(String... args) {
        return new CommandLine(new Samples()).setCaseInsensitiveEnumValuesAllowed(true).execute(args);
    }

    @Command(name = "demo", mixinStandardHelpOptions = true,
            description = "Offline demo: parse a response that arrives in pieces, with CPython's read rules.")
    static final class Demo implements Callable<Integer> {
        @Option(names = "--lang", defaultValue = "kotlin", description = "kotlin or java (default: ${DEFAULT-VALUE}).")
        Lang lang;

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

    @Command(name = "reader-bench", mixinStandardHelpOptions = true,
            description = "In-memory readLine / readUntil throughput on 100-byte lines.")
    static final class ReaderBenchCommand implements Callable<Integer> {
        @Option(names = "--lang", defaultValue = "kotlin", description = "kotlin or java (default: ${DEFAULT-VALUE}).")
        Lang lang;

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
