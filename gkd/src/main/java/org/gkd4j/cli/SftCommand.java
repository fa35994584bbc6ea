package org.gkd4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code gkd4j sft}. */
@Command(name = "sft", mixinStandardHelpOptions = true, description = "Fine-tunes a student on the data with cross-entropy.")
public final class SftCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        // TODO: not implemented yet.
        System.err.println("gkd4j sft: not implemented yet");
        return 1;
    }
}
