package org.gkd4j.cli;

import java.util.concurrent.Callable;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;

/** {@code gkd4j distill}: generalized knowledge distillation of a teacher into a student. */
@Command(name = "distill", mixinStandardHelpOptions = true, sortOptions = false,
        description = {"Distils a teacher into a student with generalized knowledge distillation (GKD): each step "
                + "trains on the student's own samples with probability λ, else on the data (or teacher samples "
                + "with --seq-kd), minimising a divergence between teacher and student token distributions.",
                "With no arguments: the shipped stories260K teacher into a fresh student of a quarter of its size, "
                        + "on the shipped TinyStories sample; output in runs/distill-<timestamp>."})
public final class DistillCommand implements Callable<Integer> {

    @Mixin
    TrainOptions options = new TrainOptions();

    @Override
    public Integer call() {
        return TrainCommand.run("distill", options, System.out, System.err);
    }
}
