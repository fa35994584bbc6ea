package org.gkd4j.gkd.train;

/**
 * The trainer's random stream (SplitMix64, Steele et al. 2014): one 64-bit state that a checkpoint saves, so a
 * resumed run draws exactly the numbers the uninterrupted run would have drawn.
 */
public final class TrainRandom {

    private long state;

    public TrainRandom(long seed) {
        this.state = seed;
    }

    public long nextLong() {
        state += 0x9E3779B97F4A7C15L;
        long z = state;
        z = (z ^ (z >>> 30)) * 0xBF58476D1CE4E5B9L;
        z = (z ^ (z >>> 27)) * 0x94D049BB133111EBL;
        return z ^ (z >>> 31);
    }

    /** Returns a uniform double in [0, 1) from the top 53 bits. */
    public double nextDouble() {
        return (nextLong() >>> 11) * 0x1.0p-53;
    }

    public long state() {
        return state;
    }

    public void setState(long saved) {
        state = saved;
    }
}
