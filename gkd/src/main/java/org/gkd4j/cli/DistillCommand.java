package org.gkd4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;

/** {@code gkd4j distill}. */
@Command(name = "distill", mixinStandardHelpOptions = true, description = "Distils a teacher into a student with on-policy GKD.")
public final class DistillCommand implements Callable<Integer> {

    @Override
    public Integer call() {
        // TODO: not implemented yet.
        System.err.println("gkd4j distill: not implemented yet");
        return 1;
    }
}
