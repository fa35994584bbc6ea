package org.gkd4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code gkd4j eval}. */
@Command(name = "eval", mixinStandardHelpOptions = true, description = "Reports the negative log-likelihood and perplexity of a model on text.")
public final class EvalCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        // TODO: not implemented yet.
        System.err.println("gkd4j eval: not implemented yet");
        return 1;
    }
}
