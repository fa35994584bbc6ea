package org.gkd4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code gkd4j generate}. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generates completions with a KV cache.")
public final class GenerateCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        // TODO: not implemented yet.
        System.err.println("gkd4j generate: not implemented yet");
        return 1;
    }
}
