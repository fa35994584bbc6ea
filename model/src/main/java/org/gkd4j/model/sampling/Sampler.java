package org.gkd4j.model.sampling;

import java.util.Arrays;
import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.gkd4j.model.RepeatableMath;

/**
 * Picks the next token from one row of logits [V] by temperature, top-k and top-p (nucleus) sampling, and
 * reports the token's log-probability under the raw model and under the distribution it was drawn from.
 *
 * <p>Order of the filters, as in Hugging Face transformers: temperature, then top-k, then top-p over the
 * renormalised top-k distribution. Scratch arrays are allocated once per sampler; one sampler serves one thread.
 */
public final class Sampler {

    private static final VectorSpecies<Float> F = RepeatableMath.species();

    private final int vocab;
    private final SamplingOptions options;
    private final float[] probs;
    private final long[] order;

    private float logprob;
    private float sampledLogprob;

    public Sampler(int vocab, SamplingOptions options) {
        if (vocab <= 0) {
            throw new IllegalArgumentException("Sampler: vocab " + vocab + " must be positive");
        }
        this.vocab = vocab;
        this.options = options;
        this.probs = new float[vocab];
        this.order = new long[vocab];
    }

    /** log p(token) of the last sample under the raw logits: log-softmax at temperature 1 over the whole vocabulary. */
    public float logprob() {
        return logprob;
    }

    /** log q(token) of the last sample under the filtered distribution it was drawn from (0 when greedy). */
    public float sampledLogprob() {
        return sampledLogprob;
    }

    /** Samples a token from logits[off .. off + V) with {@code random} (unused when greedy). */
    public int sample(float[] logits, int off, SplittableRandom random) {
        // raw log-softmax normaliser: max + log Σ exp(l - max)
        float max = Float.NEGATIVE_INFINITY;
        int argmax = 0;
        for (int i = 0; i < vocab; i++) {
            if (logits[off + i] > max) {
                max = logits[off + i];
                argmax = i;
            }
        }
        double logNormaliser = max + StrictMath.log(sumExp(logits, off, vocab, max, 1f));

        int token = options.isGreedy() ? argmax : drawFiltered(logits, off, max, random);
        logprob = (float) (logits[off + token] - logNormaliser);
        if (options.isGreedy()) {
            sampledLogprob = 0f;
        }
        return token;
    }

    /** Draws from softmax(logits / T) restricted by top-k and top-p; sets {@link #sampledLogprob}. */
    private int drawFiltered(float[] logits, int off, float max, SplittableRandom random) {
        // unnormalised probabilities exp((l - max) / T), each in (0, 1]
        float invTemperature = 1f / options.temperature();
        int bound = F.loopBound(vocab);
        for (int i = 0; i < bound; i += F.length()) {
            RepeatableMath.exp(FloatVector.fromArray(F, logits, off + i).sub(max).mul(invTemperature)).intoArray(probs, i);
        }
        for (int i = bound; i < vocab; i++) {
            probs[i] = RepeatableMath.exp((logits[off + i] - max) * invTemperature);
        }
        double total = 0;
        for (int i = 0; i < vocab; i++) {
            total += probs[i];
        }
        boolean topK = options.topK() > 0 && options.topK() < vocab;
        boolean topP = options.topP() < 1f;
        if (!topK && !topP) {
            return drawFrom(total, random);
        }

        // candidates packed as (probability bits << 32 | id): for non-negative floats the bit pattern orders like
        // the value, so sorting the longs sorts by probability. Under top-p alone, a token with
        // p < (1 - topP) / (V - 1) can never be in the nucleus (the others would already sum past topP). The argmax,
        // whose unnormalised probability is exactly 1, always stays.
        double cutoff = topK ? 0 : Math.min(1.0, (1 - options.topP()) / (vocab - 1) * total);
        int count = 0;
        for (int i = 0; i < vocab; i++) {
            if (probs[i] >= cutoff) {
                order[count++] = ((long) Float.floatToRawIntBits(probs[i]) << 32) | i;
            }
        }
        int from = 0;
        if (topK && options.topK() < count) {
            from = count - options.topK();
            select(order, 0, count - 1, from);
        }
        Arrays.sort(order, from, count);

        // keep the most probable candidates until their share of the top-k mass reaches topP
        double keptMass = 0;
        for (int j = from; j < count; j++) {
            keptMass += probs[(int) order[j]];
        }
        int lowest = from;
        if (topP) {
            double target = options.topP() * keptMass;
            double cumulative = 0;
            for (int j = count - 1; j >= from; j--) {
                cumulative += probs[(int) order[j]];
                if (cumulative >= target) {
                    lowest = j;
                    break;
                }
            }
            keptMass = cumulative;
        }

        // draw among the kept candidates, most probable first
        double u = random.nextDouble() * keptMass;
        double cumulative = 0;
        int token = (int) order[lowest];
        for (int j = count - 1; j >= lowest; j--) {
            int id = (int) order[j];
            cumulative += probs[id];
            if (u < cumulative) {
                token = id;
                break;
            }
        }
        sampledLogprob = (float) StrictMath.log(probs[token] / keptMass);
        return token;
    }

    /** Returns Σ_i exp((x[off + i] - max)·invTemperature) over i in [0, n), repeatable bit for bit. */
    static double sumExp(float[] x, int off, int n, float max, float invTemperature) {
        int bound = F.loopBound(n);
        FloatVector sums = FloatVector.zero(F);
        for (int i = 0; i < bound; i += F.length()) {
            sums = sums.add(RepeatableMath.exp(FloatVector.fromArray(F, x, off + i).sub(max).mul(invTemperature)));
        }
        double sum = RepeatableMath.sumLanes(sums);
        for (int i = bound; i < n; i++) {
            sum += RepeatableMath.exp((x[off + i] - max) * invTemperature);
        }
        return sum;
    }

    /** Draws from the unnormalised probabilities {@code probs} over the whole vocabulary. */
    private int drawFrom(double total, SplittableRandom random) {
        double u = random.nextDouble() * total;
        double cumulative = 0;
        int token = vocab - 1;
        for (int i = 0; i < vocab; i++) {
            cumulative += probs[i];
            if (u < cumulative) {
                token = i;
                break;
            }
        }
        while (probs[token] == 0f) {
            token--;
        }
        sampledLogprob = (float) StrictMath.log(probs[token] / total);
        return token;
    }

    /** Quickselect: reorders a[lo..hi] so that a[nth] contains the value it would have sorted, smaller ones before. */
    private static void select(long[] a, int lo, int hi, int nth) {
        while (lo < hi) {
            long pivot = a[(lo + hi) >>> 1];
            int i = lo;
            int j = hi;
            while (i <= j) {
                while (a[i] < pivot) {
                    i++;
                }
                while (a[j] > pivot) {
                    j--;
                }
                if (i <= j) {
                    long swap = a[i];
                    a[i] = a[j];
                    a[j] = swap;
                    i++;
                    j--;
                }
            }
            if (nth <= j) {
                hi = j;
            } else if (nth >= i) {
                lo = i;
            } else {
                return;
            }
        }
    }
}
