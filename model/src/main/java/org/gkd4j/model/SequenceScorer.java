package org.gkd4j.model;

import java.util.Map;
import org.gkd4j.tensor.quant.Q8Tensor;

/**
 * Scores token sequences with the KV-cache decoder: the log-probability the model gives each token after the
 * tokens before it, for perplexity.
 *
 * <p>A sequence longer than the context length T is scored in windows of T tokens that overlap by one: window w
 * covers tokens [w·(T-1), w·(T-1) + T) with a fresh cache, so every token after the first is predicted exactly
 * once, from at most T-1 tokens of context (fewer just after a window boundary).
 */
public final class SequenceScorer implements AutoCloseable {

    private static final int ROWS = 64;

    private final KvCacheDecoder decoder;
    private final int vocab;
    private final int context;
    private final float[] logits;
    private final int[] tokens = new int[ROWS];
    private final int[] slots = new int[ROWS];
    private final int[] positions = new int[ROWS];
    private final int[] logitIndex = new int[ROWS];

    /** quantized: Q8_0 matrices by canonical name (null: dense), as for {@link KvCacheDecoder}. */
    public SequenceScorer(Transformer model, Map<String, Q8Tensor> quantized, int threads) {
        this.decoder = new KvCacheDecoder(model, quantized, 1, ROWS, threads);
        this.vocab = model.config().vocabSize();
        this.context = model.config().contextLength();
        this.logits = new float[ROWS * vocab];
        if (context < 2) {
            throw new IllegalArgumentException("SequenceScorer: context length " + context
                    + " leaves no token to predict; it must be at least 2");
        }
    }

    /** Rereads the model's weights; call it after they change (the scorer reads them once, when it is made). */
    public void refreshWeights() {
        decoder.refreshWeights();
    }

    /**
     * Returns log p(ids[i] | ids[..i]) for i = 1..n-1 (n-1 values; the first token, usually BOS, is only context).
     */
    public float[] logprobs(int[] ids) {
        if (ids.length < 2) {
            return new float[0];
        }
        float[] out = new float[ids.length - 1];
        for (int windowStart = 0; windowStart < ids.length - 1; windowStart += context - 1) {
            int windowEnd = Math.min(windowStart + context, ids.length);

            // rows of the window in chunks; row t's logits predict token t + 1
            for (int chunk = windowStart; chunk < windowEnd - 1; chunk += ROWS) {
                int rows = Math.min(ROWS, windowEnd - 1 - chunk);
                for (int r = 0; r < rows; r++) {
                    tokens[r] = ids[chunk + r];
                    slots[r] = 0;
                    positions[r] = chunk + r - windowStart;
                    logitIndex[r] = r;
                }
                decoder.forward(rows, tokens, slots, positions, logitIndex, logits);
                for (int r = 0; r < rows; r++) {
                    out[chunk + r] = logSoftmaxAt(r * vocab, ids[chunk + r + 1]);
                }
            }
        }
        return out;
    }

    /** logits[target] - max - log Σ exp(logits - max) over the row at {@code off}. */
    private float logSoftmaxAt(int off, int target) {
        float max = Float.NEGATIVE_INFINITY;
        for (int v = 0; v < vocab; v++) {
            max = Math.max(max, logits[off + v]);
        }
        double sum = 0;
        for (int v = 0; v < vocab; v++) {
            sum += RepeatableMath.exp(logits[off + v] - max);
        }
        return (float) (logits[off + target] - max - StrictMath.log(sum));
    }

    @Override
    public void close() {
        decoder.close();
    }
}
