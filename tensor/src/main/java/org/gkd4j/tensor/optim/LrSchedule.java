package org.gkd4j.tensor.optim;

/**
 * The learning rate as a function of the step (counting from 0 for the first update). A trainer calls
 * {@code optimizer.setLearningRate(schedule.at(step))} before each step.
 *
 * <p>The warm-up schedules rise linearly from peak/warmupSteps at step 0 to the peak at step warmupSteps − 1,
 * so no update is wasted on a zero learning rate. From step warmupSteps to totalSteps they decay from the peak to
 * the minimum over the progress p = (step − warmupSteps) / (totalSteps − warmupSteps), and stay at the minimum
 * from totalSteps on.
 */
public sealed interface LrSchedule permits LrSchedule.Constant, LrSchedule.WarmupCosine, LrSchedule.WarmupLinear {

    /** Returns the learning rate for step {@code step} (0 for the first update). */
    float at(long step);

    /** Creates a schedule that returns {@code learningRate} at every step. */
    static LrSchedule constant(float learningRate) {
        return new Constant(learningRate);
    }

    /** Creates a linear warm-up followed by cosine decay: min + (peak − min)·(1 + cos(π·p)) / 2. */
    static LrSchedule warmupCosine(float peakLearningRate, float minLearningRate, long warmupSteps,
            long totalSteps) {
        return new WarmupCosine(peakLearningRate, minLearningRate, warmupSteps, totalSteps);
    }

    /** Creates a linear warm-up followed by linear decay: peak − (peak − min)·p. */
    static LrSchedule warmupLinear(float peakLearningRate, float minLearningRate, long warmupSteps,
            long totalSteps) {
        return new WarmupLinear(peakLearningRate, minLearningRate, warmupSteps, totalSteps);
    }

    /** A fixed learning rate. */
    record Constant(float learningRate) implements LrSchedule {

        public Constant {
            checkRate("LrSchedule.constant", "learningRate", learningRate);
        }

        @Override
        public float at(long step) {
            checkStep("LrSchedule.constant", step);
            return learningRate;
        }
    }

    /** Linear warm-up to {@code peakLearningRate}, then cosine decay to {@code minLearningRate}. */
    record WarmupCosine(float peakLearningRate, float minLearningRate, long warmupSteps, long totalSteps)
            implements LrSchedule {

        public WarmupCosine {
            checkWarmupDecay("LrSchedule.warmupCosine", peakLearningRate, minLearningRate, warmupSteps, totalSteps);
        }

        @Override
        public float at(long step) {
            checkStep("LrSchedule.warmupCosine", step);
            if (step < warmupSteps) {
                return warmup(peakLearningRate, warmupSteps, step);
            }
            if (step >= totalSteps) {
                return minLearningRate;
            }
            double progress = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
            double cosine = 0.5 * (1.0 + Math.cos(Math.PI * progress));
            return (float) (minLearningRate + ((double) peakLearningRate - minLearningRate) * cosine);
        }
    }

    /** Linear warm-up to {@code peakLearningRate}, then linear decay to {@code minLearningRate}. */
    record WarmupLinear(float peakLearningRate, float minLearningRate, long warmupSteps, long totalSteps)
            implements LrSchedule {

        public WarmupLinear {
            checkWarmupDecay("LrSchedule.warmupLinear", peakLearningRate, minLearningRate, warmupSteps, totalSteps);
        }

        @Override
        public float at(long step) {
            checkStep("LrSchedule.warmupLinear", step);
            if (step < warmupSteps) {
                return warmup(peakLearningRate, warmupSteps, step);
            }
            if (step >= totalSteps) {
                return minLearningRate;
            }
            double progress = (double) (step - warmupSteps) / (totalSteps - warmupSteps);
            return (float) (peakLearningRate - ((double) peakLearningRate - minLearningRate) * progress);
        }
    }

    /** Returns peak·(step + 1)/warmupSteps, the linear warm-up shared by both decaying schedules. */
    private static float warmup(float peakLearningRate, long warmupSteps, long step) {
        return (float) ((double) peakLearningRate * (step + 1) / warmupSteps);
    }

    private static void checkWarmupDecay(String op, float peakLearningRate, float minLearningRate, long warmupSteps,
            long totalSteps) {
        checkRate(op, "peakLearningRate", peakLearningRate);
        checkRate(op, "minLearningRate", minLearningRate);
        if (minLearningRate > peakLearningRate) {
            throw new IllegalArgumentException(op + ": minLearningRate " + minLearningRate + " is above"
                    + " peakLearningRate " + peakLearningRate + "; expected min <= peak");
        }
        if (warmupSteps < 0) {
            throw new IllegalArgumentException(op + ": warmupSteps " + warmupSteps + " is negative; expected 0"
                    + " for no warm-up or a positive step count");
        }
        if (totalSteps < 1) {
            throw new IllegalArgumentException(op + ": totalSteps " + totalSteps + " is invalid; expected at"
                    + " least 1");
        }
        if (totalSteps < warmupSteps) {
            throw new IllegalArgumentException(op + ": totalSteps " + totalSteps + " is less than warmupSteps "
                    + warmupSteps + "; expected warmupSteps <= totalSteps");
        }
    }

    private static void checkRate(String op, String name, float rate) {
        if (!(rate >= 0f) || Float.isInfinite(rate)) {
            throw new IllegalArgumentException(op + ": " + name + " " + rate + " is invalid; expected a finite"
                    + " value >= 0");
        }
    }

    private static void checkStep(String op, long step) {
        if (step < 0) {
            throw new IllegalArgumentException(op + ": step " + step + " is negative; steps count from 0");
        }
    }
}
