package org.gkd4j.model.sampling;

import java.util.Arrays;
import java.util.Map;
import java.util.SplittableRandom;
import org.gkd4j.model.KvCacheDecoder;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.model.Transformer;
import org.gkd4j.model.checkpoint.ModelWeights;
import org.gkd4j.tensor.quant.Q8Tensor;

/**
 * Batched autoregressive generation with a KV cache: prefills every prompt of a batch in one pass, then decodes
 * one token per step for each live sequence until it samples the stop token, reaches maxNewTokens or fills the
 * context. Prompts of different lengths each keep their own cache position, so a batch gives the same tokens as
 * generating each prompt alone (exactly for greedy decoding, and for sampling with the same seed, because
 * sequence i always draws from the i-th split of the seed's random stream).
 *
 * <p>Not thread-safe: one generator per thread. The model's weights are read again at the start of every
 * {@link #generate} call, so a generator made once keeps following a model under training.
 */
public final class Generator implements AutoCloseable {

    /** Rows per decoder call while prefilling prompts. */
    private static final int PREFILL_ROWS = 64;

    private final KvCacheDecoder decoder;
    private final ModelConfig config;
    private final int maxBatch;
    private final float[] logits;
    private final int[] tokens;
    private final int[] slots;
    private final int[] positions;
    private final int[] logitIndex;

    /** Creates a generator for a dense model, batches of up to 16 prompts, on one thread. */
    public Generator(Transformer model) {
        this(model, null, 16, 1);
    }

    /**
     * Creates a generator for batches of up to {@code maxBatch} prompts (larger batches run in groups).
     * quantized: Q8_0 matrices by canonical name, used without dequantizing (null: dense).
     */
    public Generator(Transformer model, Map<String, Q8Tensor> quantized, int maxBatch, int threads) {
        if (maxBatch <= 0) {
            throw new IllegalArgumentException("Generator: maxBatch " + maxBatch + " must be positive");
        }
        this.config = model.config();
        this.maxBatch = maxBatch;
        int rows = Math.max(maxBatch, PREFILL_ROWS);
        this.decoder = new KvCacheDecoder(model, quantized, maxBatch, rows, threads);
        this.logits = new float[maxBatch * config.vocabSize()];
        this.tokens = new int[rows];
        this.slots = new int[rows];
        this.positions = new int[rows];
        this.logitIndex = new int[rows];
    }

    /**
     * Creates a generator for loaded weights: a Q8_0 checkpoint decodes with its quantized matrices wherever the
     * Q8 kernel supports their shape, and with dequantized floats elsewhere.
     */
    public static Generator forWeights(Transformer model, ModelWeights weights, int maxBatch, int threads) {
        return new Generator(model, weights.quantizedTensors(), maxBatch, threads);
    }

    /**
     * Generates a continuation of every prompt (token ids, BOS included if the model expects it) and returns
     * the results in prompt order.
     */
    public Generation[] generate(int[][] prompts, SamplingOptions options) {
        for (int i = 0; i < prompts.length; i++) {
            int[] prompt = prompts[i];
            if (prompt == null || prompt.length == 0) {
                throw new IllegalArgumentException("generate: prompt " + i + " is empty; start it with the BOS id");
            }
            if (prompt.length > config.contextLength()) {
                throw new IllegalArgumentException("generate: prompt " + i + " has " + prompt.length
                        + " tokens but the context length is " + config.contextLength() + "; shorten it");
            }
            for (int id : prompt) {
                if (id < 0 || id >= config.vocabSize()) {
                    throw new IllegalArgumentException("generate: prompt " + i + " contains token id " + id
                            + ", outside the vocabulary [0, " + config.vocabSize() + ")");
                }
            }
        }
        if (options.stopToken() >= config.vocabSize()) {
            throw new IllegalArgumentException("generate: stop token " + options.stopToken()
                    + " is outside the vocabulary [0, " + config.vocabSize() + ")");
        }

        // the weights may have changed since the last call (a model under training)
        decoder.refreshWeights();

        Generation[] results = new Generation[prompts.length];
        SplittableRandom root = new SplittableRandom(options.seed());
        SplittableRandom[] randoms = new SplittableRandom[prompts.length];
        for (int i = 0; i < prompts.length; i++) {
            randoms[i] = root.split();
        }
        Sampler sampler = new Sampler(config.vocabSize(), options);
        for (int first = 0; first < prompts.length; first += maxBatch) {
            int count = Math.min(maxBatch, prompts.length - first);
            generateGroup(prompts, first, count, options, sampler, randoms, results);
        }
        return results;
    }

    private void generateGroup(int[][] prompts, int first, int count, SamplingOptions options, Sampler sampler,
                               SplittableRandom[] randoms, Generation[] results) {
        int vocab = config.vocabSize();
        int[][] generated = new int[count][];
        float[][] logprobs = new float[count][];
        float[][] sampledLogprobs = new float[count][];
        int[] length = new int[count];
        int[] limit = new int[count];
        boolean[] stopped = new boolean[count];
        for (int s = 0; s < count; s++) {
            limit[s] = Math.min(options.maxNewTokens(), config.contextLength() - prompts[first + s].length);
            generated[s] = new int[limit[s]];
            logprobs[s] = new float[limit[s]];
            sampledLogprobs[s] = new float[limit[s]];
        }

        // prefill: every prompt token as a row, slot by slot in position order; logits only for each last token
        int rows = 0;
        for (int s = 0; s < count; s++) {
            int[] prompt = prompts[first + s];
            for (int t = 0; t < prompt.length; t++) {
                if (rows == tokens.length) {
                    decoder.forward(rows, tokens, slots, positions, logitIndex, logits);
                    rows = 0;
                }
                tokens[rows] = prompt[t];
                slots[rows] = s;
                positions[rows] = t;
                logitIndex[rows] = t == prompt.length - 1 ? s : -1;
                rows++;
            }
        }
        decoder.forward(rows, tokens, slots, positions, logitIndex, logits);

        // decode: sample one token per live sequence, then feed the sampled tokens back as one batch of rows
        while (true) {
            rows = 0;
            for (int s = 0; s < count; s++) {
                if (stopped[s] || length[s] >= limit[s]) {
                    continue;
                }
                int token = sampler.sample(logits, s * vocab, randoms[first + s]);
                generated[s][length[s]] = token;
                logprobs[s][length[s]] = sampler.logprob();
                sampledLogprobs[s][length[s]] = sampler.sampledLogprob();
                length[s]++;
                if (token == options.stopToken()) {
                    stopped[s] = true;
                } else if (length[s] < limit[s]) {
                    tokens[rows] = token;
                    slots[rows] = s;
                    positions[rows] = prompts[first + s].length + length[s] - 1;
                    logitIndex[rows] = s;
                    rows++;
                }
            }
            if (rows == 0) {
                break;
            }
            decoder.forward(rows, tokens, slots, positions, logitIndex, logits);
        }

        for (int s = 0; s < count; s++) {
            results[first + s] = new Generation(Arrays.copyOf(generated[s], length[s]),
                    Arrays.copyOf(logprobs[s], length[s]), Arrays.copyOf(sampledLogprobs[s], length[s]), stopped[s]);
        }
    }

    @Override
    public void close() {
        decoder.close();
    }
}
