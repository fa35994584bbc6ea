package org.gkd4j.gkd.divergence;

import java.util.Arrays;

/**
 * Which logit positions of a batch [B, T] enter the distillation loss, from positions and lengths only (never
 * token ids: a tokenizer may use one id for both padding and EOS).
 *
 * <p>Sequence b has its prompt at tokens [start_b, start_b + prompt_b) and its completion at the next
 * completion_b tokens. The completion runs through and including the first EOS, and everything after it (later
 * tokens, padding) is outside the loss. The logits at position p predict token p + 1, so the kept logit positions
 * are start_b + prompt_b − 1 … start_b + prompt_b + completion_b − 2: exactly the positions that predict the
 * completion tokens. The flattened position of (b, p) is b·T + p.
 */
public final class LossMask {

    private final int paddedLength;
    private final int[] starts;
    private final int[] promptLengths;
    private final int[] completionLengths;

    private LossMask(int paddedLength, int[] starts, int[] promptLengths, int[] completionLengths) {
        this.paddedLength = paddedLength;
        this.starts = starts;
        this.promptLengths = promptLengths;
        this.completionLengths = completionLengths;
    }

    /** Creates a mask for right-padded sequences (every sequence starts at position 0). */
    public static LossMask of(int paddedLength, int[] promptLengths, int[] completionLengths) {
        return of(paddedLength, new int[promptLengths.length], promptLengths, completionLengths);
    }

    /**
     * Creates a mask; starts[b] is the position of the first real token of sequence b (left padding before it).
     * Every prompt needs at least one token, because the first completion token is predicted from the last prompt
     * token.
     */
    public static LossMask of(int paddedLength, int[] starts, int[] promptLengths, int[] completionLengths) {
        if (paddedLength < 1) {
            throw new IllegalArgumentException("LossMask: padded length T is " + paddedLength + "; need T ≥ 1");
        }
        int batch = promptLengths.length;
        if (starts.length != batch || completionLengths.length != batch) {
            throw new IllegalArgumentException("LossMask: " + starts.length + " starts, " + batch
                    + " prompt lengths and " + completionLengths.length
                    + " completion lengths; give one of each per sequence");
        }
        for (int b = 0; b < batch; b++) {
            int start = starts[b];
            int prompt = promptLengths[b];
            int completion = completionLengths[b];
            if (start < 0 || prompt < 1 || completion < 0 || (long) start + prompt + completion > paddedLength) {
                throw new IllegalArgumentException("LossMask: sequence " + b + " has start " + start + ", prompt "
                        + prompt + " and completion " + completion + " tokens in a padded length of "
                        + paddedLength + "; need start ≥ 0, prompt ≥ 1, completion ≥ 0 and start + prompt + "
                        + "completion ≤ T");
            }
        }
        return new LossMask(paddedLength, starts.clone(), promptLengths.clone(), completionLengths.clone());
    }

    /**
     * Returns the completion length of generated[offset .. offset + count): the tokens through and including the
     * first {@code eosId}, or count when no EOS was generated. Only generated ids are scanned, never the padding.
     */
    public static int completionLength(int[] generated, int offset, int count, int eosId) {
        if (offset < 0 || count < 0 || (long) offset + count > generated.length) {
            throw new IllegalArgumentException("LossMask.completionLength: range [" + offset + ", "
                    + ((long) offset + count) + ") is outside the " + generated.length + " generated ids");
        }
        for (int i = 0; i < count; i++) {
            if (generated[offset + i] == eosId) {
                return i + 1;
            }
        }
        return count;
    }

    public int batchSize() {
        return promptLengths.length;
    }

    public int paddedLength() {
        return paddedLength;
    }

    /** Returns the number of logit positions of sequence b in the loss (its completion length). */
    public int keptTokens(int b) {
        return completionLengths[b];
    }

    /** Returns the number of logit positions in the loss over the batch. */
    public int keptTokens() {
        int total = 0;
        for (int completion : completionLengths) {
            total += completion;
        }
        return total;
    }

    /** Returns the number of sequences with at least one kept position (the divisor of the sequence mean). */
    public int sequencesWithTokens() {
        int count = 0;
        for (int completion : completionLengths) {
            if (completion > 0) {
                count++;
            }
        }
        return count;
    }

    /** Returns the first kept logit position of sequence b: start + prompt − 1 (meaningless when none is kept). */
    public int firstKeptPosition(int b) {
        return starts[b] + promptLengths[b] - 1;
    }

    /** Returns true when logit position p of sequence b is in the loss. */
    public boolean isKept(int b, int p) {
        int first = firstKeptPosition(b);
        return p >= first && p < first + completionLengths[b];
    }

    /** Returns the per-position weights [B·T] of a reduction over this batch alone. */
    public float[] positionWeights(Reduction reduction) {
        return positionWeights(reduction, keptTokens(), sequencesWithTokens());
    }

    /**
     * Returns per-position weights [B·T] such that Σ_n w_n·D(n) over every micro-batch of a gradient-accumulation
     * window equals the chosen reduction over the whole window, whatever the split. windowKeptTokens and
     * windowSequences are the window's {@link #keptTokens()} and {@link #sequencesWithTokens()} summed over its
     * micro-batches. Positions outside the loss get 0; an empty window gives all zeros (a loss of 0, not NaN).
     * <ul>
     *   <li>TOKEN_MEAN: 1 / windowKeptTokens;</li>
     *   <li>SEQUENCE_MEAN: 1 / (completion_b · windowSequences);</li>
     *   <li>SUM: 1.</li>
     * </ul>
     */
    public float[] positionWeights(Reduction reduction, int windowKeptTokens, int windowSequences) {
        if (windowKeptTokens < keptTokens() || windowSequences < sequencesWithTokens()) {
            throw new IllegalArgumentException("LossMask.positionWeights: window totals of " + windowKeptTokens
                    + " tokens and " + windowSequences + " sequences are below this micro-batch's own "
                    + keptTokens() + " tokens and " + sequencesWithTokens()
                    + " sequences; pass the sums over every micro-batch of the window");
        }
        float[] weights = new float[promptLengths.length * paddedLength];
        for (int b = 0; b < promptLengths.length; b++) {
            int completion = completionLengths[b];
            if (completion == 0) {
                continue;
            }
            double weight = switch (reduction) {
                case TOKEN_MEAN -> 1.0 / windowKeptTokens;
                case SEQUENCE_MEAN -> 1.0 / ((double) completion * windowSequences);
                case SUM -> 1.0;
            };
            int first = b * paddedLength + firstKeptPosition(b);
            Arrays.fill(weights, first, first + completion, (float) weight);
        }
        return weights;
    }
}
