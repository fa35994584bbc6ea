package org.gkd4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code gkd4j sft}: supervised fine-tuning, the trainer with cross-entropy on the data's completions. */
@Command(name = "sft", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Fine-tunes a student on the data's completions with cross-entropy (supervised fine-tuning).",
                "With --teacher, the evaluation also reports the divergences to that teacher."})
public final class SftCommand implements Callable<Integer> {

    @Mixin
    TrainOptions options = new TrainOptions();

    @Override
    public Integer call() {
        return TrainCommand.run("sft", options, System.out, System.err);
    }
}
