package org.gkd4j.gkd.divergence;

import java.util.Locale;

/**
 * The rule that turns the per-token losses of a batch (or of a whole gradient-accumulation window) into one
 * loss. {@link LossMask#positionWeights} turns each rule into per-position weights.
 */
public enum Reduction {
    /** Σ over kept tokens / number of kept tokens in the window (the default). */
    TOKEN_MEAN,
    /** Mean over each sequence's kept tokens, then mean over the window's sequences that have any (GKD paper). */
    SEQUENCE_MEAN,
    /** Σ over kept tokens. */
    SUM;

    /** Parses token-mean, sequence-mean or sum (case and '-'/'_' insensitive). */
    public static Reduction parse(String name) {
        String key = name == null ? "" : name.trim().toUpperCase(Locale.ROOT).replace('-', '_');
        for (Reduction reduction : values()) {
            if (reduction.name().equals(key)) {
                return reduction;
            }
        }
        throw new IllegalArgumentException("reduction: unknown name '" + name
                + "'; expected token-mean, sequence-mean or sum");
    }
}
