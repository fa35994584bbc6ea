package org.gkd4j.model.sampling;

/**
 * How {@link Generator} picks each next token.
 *
 * @param temperature  divides the logits before the softmax; 0 picks the argmax (greedy decoding)
 * @param topK         keep only the k most probable tokens; 0 keeps the whole vocabulary
 * @param topP         nucleus sampling: keep the smallest set of most probable tokens whose probability reaches
 *                     topP; 1 keeps the whole vocabulary
 * @param seed         seed of the random stream; sequence i of a batch draws from the i-th split of it, so its
 *                     tokens do not depend on the other prompts of the batch
 * @param maxNewTokens the most tokens generated per sequence (fewer at a stop token or the context end)
 * @param stopToken    generation of a sequence ends after it samples this id (kept in the output); -1: never
 */
public record SamplingOptions(float temperature, int topK, float topP, long seed, int maxNewTokens, int stopToken) {

    public SamplingOptions {
        if (!(temperature >= 0) || Float.isInfinite(temperature)) {
            throw new IllegalArgumentException("sampling: temperature " + temperature
                    + " must be a finite number ≥ 0 (0 means greedy)");
        }
        if (topK < 0) {
            throw new IllegalArgumentException("sampling: topK " + topK + " must be ≥ 0 (0 disables it)");
        }
        if (!(topP > 0 && topP <= 1)) {
            throw new IllegalArgumentException("sampling: topP " + topP + " must lie in (0, 1] (1 disables it)");
        }
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("sampling: maxNewTokens " + maxNewTokens + " must be ≥ 0");
        }
        if (stopToken < -1) {
            throw new IllegalArgumentException("sampling: stopToken " + stopToken + " must be a token id or -1");
        }
    }

    /** Greedy decoding of up to {@code maxNewTokens} tokens, stopping after {@code stopToken}. */
    public static SamplingOptions greedy(int maxNewTokens, int stopToken) {
        return new SamplingOptions(0f, 0, 1f, 0L, maxNewTokens, stopToken);
    }

    public boolean isGreedy() {
        return temperature == 0f;
    }
}
