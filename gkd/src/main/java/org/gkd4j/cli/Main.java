package org.gkd4j.cli;

import java.io.PrintWriter;
import picocli.CommandLine;
import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Model.OptionSpec;

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
        CommandLine commandLine = new CommandLine(new Main());
        hideDistillOptions(commandLine.getSubcommands().get("sft").getCommandSpec());
        commandLine.setParameterExceptionHandler(Main::reportParameterError);
        return commandLine.execute(args);
    }

    /**
     * Prints a parse error, picocli's "did you mean" suggestions and where to find the options, in place of the
     * full usage text that would bury the error.
     */
    static int reportParameterError(CommandLine.ParameterException e, String[] args) {
        CommandLine failed = e.getCommandLine();
        PrintWriter err = failed.getErr();
        err.println(failed.getCommandSpec().qualifiedName() + ": " + e.getMessage());
        CommandLine.UnmatchedArgumentException.printSuggestions(e, err);
        String listed = failed.getSubcommands().isEmpty() ? "options" : "commands";
        err.println("Run '" + failed.getCommandSpec().qualifiedName() + " --help' to list the " + listed + ".");
        err.flush();
        return EXIT_USAGE;
    }

    /**
     * Hides the GKD loss options in {@code sft --help}. sft still parses them from the shared {@link TrainOptions},
     * so that giving one is rejected with a message that names it instead of as an unknown option.
     */
    static void hideDistillOptions(CommandSpec sft) {
        for (String key : TrainCommand.DISTILL_ONLY) {
            OptionSpec option = sft.findOption("--" + key);
            sft.remove(option);
            sft.addOption(OptionSpec.builder(option).hidden(true).build());
        }
    }
}
