package org.gkd4j.cli;

import picocli.CommandLine;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** The {@code gkd4j} command line: distill, sft, generate and eval. */
@Command(name = "gkd4j", mixinStandardHelpOptions = true, version = "gkd4j 0.1.0",
        description = "Generalized knowledge distillation of language models on the JVM.",
        subcommands = {DistillCommand.class, SftCommand.class, GenerateCommand.class, EvalCommand.class})
public final class Main implements Callable<Integer> {

    /** Exit code for invalid input: a missing file, an unknown option or inconsistent settings. */
    public static final int EXIT_USAGE = 2;

    /** Without a subcommand there is nothing to do: print the usage and report a usage error. */
    @Override
    public Integer call() {
        new CommandLine(this).usage(System.err);
        return EXIT_USAGE;
    }

    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command line and returns the exit code, for tests. */
    public static int execute(String... args) {
        return new CommandLine(new Main()).execute(args);
    }
}
