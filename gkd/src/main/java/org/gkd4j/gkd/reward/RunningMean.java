package org.gkd4j.gkd.reward;

/**
 * The REINFORCE baseline: an exponential running mean of the rewards seen so far, which lowers the variance of
 * the gradient estimate without biasing it (the baseline does not depend on the sampled completion).
 */
public final class RunningMean {

    private final double decay;
    private double mean;
    private boolean empty = true;

    /** @param decay weight of the old mean per update, in [0, 1) */
    public RunningMean(double decay) {
        if (!(decay >= 0 && decay < 1)) {
            throw new IllegalArgumentException("running mean: decay " + decay + " must lie in [0, 1)");
        }
        this.decay = decay;
    }

    /** Returns the current baseline (0 before the first update). */
    public double value() {
        return mean;
    }

    public void update(double reward) {
        mean = empty ? reward : decay * mean + (1 - decay) * reward;
        empty = false;
    }

    /** Returns the state for a checkpoint: the mean, or NaN before the first update. */
    public double state() {
        return empty ? Double.NaN : mean;
    }

    public void loadState(double saved) {
        empty = Double.isNaN(saved);
        mean = empty ? 0 : saved;
    }
}
