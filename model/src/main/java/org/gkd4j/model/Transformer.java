package org.gkd4j.model;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import org.gkd4j.model.checkpoint.ModelWeights;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Ops;
import org.gkd4j.tensor.autograd.Var;

/**
 * A Llama-style decoder-only transformer: token embedding, L blocks of (RMSNorm, grouped-query attention with RoPE
 * on interleaved pairs, residual; RMSNorm, SwiGLU feed-forward, residual), a final RMSNorm and a linear head,
 * tied to the embedding or not.
 *
 * <p>Parameters are {@link Var} leaves named as in llama2.c's PyTorch model: {@code tok_embeddings},
 * {@code layers.l.attention_norm}, {@code layers.l.attention.{wq,wk,wv,wo}}, {@code layers.l.ffn_norm},
 * {@code layers.l.feed_forward.{w1,w2,w3}} (w1 gate, w2 down, w3 up), {@code norm}, {@code output} (absent when
 * tied). Every matrix is stored [out, in].
 *
 * <p>The forward pass here records on the autograd tape for training; inside {@code Tape.noGrad()} it records
 * nothing. Generation goes through the tape-free {@link KvCacheDecoder} instead.
 */
public final class Transformer {

    /** Standard deviation of the seeded initialisation (GPT-2's choice). */
    public static final double INIT_STD = 0.02;

    private final ModelConfig config;
    private final Var tokEmbeddings;
    private final Var[] attentionNorm;
    private final Var[] wq;
    private final Var[] wk;
    private final Var[] wv;
    private final Var[] wo;
    private final Var[] ffnNorm;
    private final Var[] w1;
    private final Var[] w2;
    private final Var[] w3;
    private final Var norm;
    private final Var output;
    private final List<Var> parameters = new ArrayList<>();

    private Transformer(ModelConfig config, Map<String, Tensor> tensors) {
        this.config = config;
        int layers = config.layers();
        int dim = config.dim();
        int kvDim = config.kvDim();
        int hidden = config.hiddenDim();
        tokEmbeddings = take(tensors, "tok_embeddings", config.vocabSize(), dim);
        attentionNorm = new Var[layers];
        wq = new Var[layers];
        wk = new Var[layers];
        wv = new Var[layers];
        wo = new Var[layers];
        ffnNorm = new Var[layers];
        w1 = new Var[layers];
        w2 = new Var[layers];
        w3 = new Var[layers];
        for (int l = 0; l < layers; l++) {
            String prefix = "layers." + l + ".";
            attentionNorm[l] = take(tensors, prefix + "attention_norm", dim);
            wq[l] = take(tensors, prefix + "attention.wq", dim, dim);
            wk[l] = take(tensors, prefix + "attention.wk", kvDim, dim);
            wv[l] = take(tensors, prefix + "attention.wv", kvDim, dim);
            wo[l] = take(tensors, prefix + "attention.wo", dim, dim);
            ffnNorm[l] = take(tensors, prefix + "ffn_norm", dim);
            w1[l] = take(tensors, prefix + "feed_forward.w1", hidden, dim);
            w2[l] = take(tensors, prefix + "feed_forward.w2", dim, hidden);
            w3[l] = take(tensors, prefix + "feed_forward.w3", hidden, dim);
        }
        norm = take(tensors, "norm", dim);
        output = config.tiedEmbeddings() ? null : take(tensors, "output", config.vocabSize(), dim);
    }

    /**
     * Builds a model over the named weight tensors (not copied: training updates them in place). Each tensor must
     * have the shape the config implies; {@code output} is read only when the embeddings are not tied.
     */
    public static Transformer fromTensors(ModelConfig config, Map<String, Tensor> tensors) {
        return new Transformer(config, tensors);
    }

    /**
     * Builds a model over loaded weights. Dense tensors are shared, not copied, so training the model changes
     * them; Q8_0 matrices are dequantized into new float tensors (pass {@code weights.quantizedTensors()} to the
     * generator as well to decode with the quantized matrices themselves).
     */
    public static Transformer fromWeights(ModelWeights weights) {
        return new Transformer(weights.config(), weights.dequantizeAll().denseTensors());
    }

    /** Returns the current weights as dense {@link ModelWeights} for saving (tensors shared, not copied). */
    public ModelWeights toWeights() {
        return ModelWeights.dense(config, namedTensors());
    }

    /**
     * Builds a freshly initialised model: every matrix drawn from normal(0, 0.02), the residual projections wo and
     * w2 from normal(0, 0.02 / √(2·layers)) so the residual stream's variance does not grow with depth (GPT-2's
     * scheme), and every RMSNorm weight set to 1. The same seed gives the same weights.
     */
    public static Transformer init(ModelConfig config, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        double residualStd = INIT_STD / Math.sqrt(2.0 * config.layers());
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, int[]> entry : parameterShapes(config).entrySet()) {
            String name = entry.getKey();
            Tensor tensor = Tensor.zeros(entry.getValue());
            if (entry.getValue().length == 1) {
                tensor.fill(1f);
            } else {
                double std = name.endsWith("attention.wo") || name.endsWith("feed_forward.w2") ? residualStd : INIT_STD;
                float[] data = tensor.data();
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) (random.nextGaussian() * std);
                }
            }
            tensors.put(name, tensor);
        }
        return new Transformer(config, tensors);
    }

    /** Returns the canonical parameter names and shapes of a config, in checkpoint order. */
    public static Map<String, int[]> parameterShapes(ModelConfig config) {
        int dim = config.dim();
        int kvDim = config.kvDim();
        int hidden = config.hiddenDim();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put("tok_embeddings", new int[] {config.vocabSize(), dim});
        for (int l = 0; l < config.layers(); l++) {
            String prefix = "layers." + l + ".";
            shapes.put(prefix + "attention_norm", new int[] {dim});
            shapes.put(prefix + "attention.wq", new int[] {dim, dim});
            shapes.put(prefix + "attention.wk", new int[] {kvDim, dim});
            shapes.put(prefix + "attention.wv", new int[] {kvDim, dim});
            shapes.put(prefix + "attention.wo", new int[] {dim, dim});
            shapes.put(prefix + "ffn_norm", new int[] {dim});
            shapes.put(prefix + "feed_forward.w1", new int[] {hidden, dim});
            shapes.put(prefix + "feed_forward.w2", new int[] {dim, hidden});
            shapes.put(prefix + "feed_forward.w3", new int[] {hidden, dim});
        }
        shapes.put("norm", new int[] {dim});
        if (!config.tiedEmbeddings()) {
            shapes.put("output", new int[] {config.vocabSize(), dim});
        }
        return shapes;
    }

    private Var take(Map<String, Tensor> tensors, String name, int... shape) {
        Tensor tensor = tensors.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException("Transformer: weight '" + name + "' is missing; the checkpoint must"
                    + " contain every tensor of the config (shape " + Arrays.toString(shape) + ")");
        }
        if (!Arrays.equals(tensor.shape(), shape)) {
            throw new IllegalArgumentException("Transformer: weight '" + name + "' has shape " + tensor.shapeString()
                    + " but the config needs " + Arrays.toString(shape));
        }
        Var parameter = Var.parameter(name, tensor);
        parameters.add(parameter);
        return parameter;
    }

    public ModelConfig config() {
        return config;
    }

    /** Returns every trainable parameter once (a tied embedding appears once), in checkpoint order. */
    public List<Var> parameters() {
        return List.copyOf(parameters);
    }

    /** Returns the parameter values by canonical name (shared, not copied), in checkpoint order. */
    public Map<String, Tensor> namedTensors() {
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Var parameter : parameters) {
            tensors.put(parameter.name(), parameter.value());
        }
        return tensors;
    }

    /** Returns the output head [V, C]: the token embedding when tied, else the {@code output} matrix. */
    public Var headWeight() {
        return output == null ? tokEmbeddings : output;
    }

    // ---------------------------------------------------------------- training-mode forward

    /**
     * Runs the blocks and the final RMSNorm over ids [B, T] (flat, row-major) and returns the hidden states
     * [B·T, C]. keyMask [B·T] is true for real tokens (null: none padded); padded keys are never attended to.
     * positions [B·T] are the RoPE positions (null: 0..T-1 in every row, right for right padding).
     */
    public Var forwardHidden(int[] ids, int batch, int time, boolean[] keyMask, int[] positions) {
        return forwardHidden(ids, batch, time, keyMask, positions, null);
    }

    /**
     * Like {@link #forwardHidden(int[], int, int, boolean[], int[])}, but returns only the hidden states of
     * {@code outputRows} (indices into the B·T rows, null for all): [R, C], row r for outputRows[r]. Every row still
     * passes through the blocks as a key and value, but the last block's output projection, feed-forward and the
     * final norm run on the output rows alone, so a loss over a few positions costs less.
     */
    public Var forwardHidden(int[] ids, int batch, int time, boolean[] keyMask, int[] positions, int[] outputRows) {
        int rows = checkInput(ids, batch, time, keyMask, positions);
        checkOutputRows(outputRows, rows);
        int[] ropePositions = positions != null ? positions : defaultPositions(batch, time);
        int heads = config.heads();
        int kvHeads = config.kvHeads();
        int headDim = config.headDim();
        float eps = config.normEps();
        float theta = config.ropeTheta();

        // token embedding: [N, C]
        Var x = Ops.embedding(tokEmbeddings, ids);

        for (int l = 0; l < config.layers(); l++) {
            // attention: q, k, v projections, RoPE, causal grouped-query attention, output projection
            Var h = Ops.rmsNorm(x, attentionNorm[l], eps);
            Var q = Ops.rope(Ops.reshape(Ops.linear(h, wq[l]), rows, heads, headDim), ropePositions, theta);
            Var k = Ops.rope(Ops.reshape(Ops.linear(h, wk[l]), rows, kvHeads, headDim), ropePositions, theta);
            Var v = Ops.linear(h, wv[l]);
            Var attention = Ops.attention(Ops.reshape(q, batch, time, heads, headDim),
                    Ops.reshape(k, batch, time, kvHeads, headDim), Ops.reshape(v, batch, time, kvHeads, headDim),
                    keyMask);
            Var attended = Ops.reshape(attention, rows, config.dim());
            if (outputRows != null && l == config.layers() - 1) {
                // nothing reads the other rows after the last attention
                attended = Ops.gatherRows(attended, outputRows);
                x = Ops.gatherRows(x, outputRows);
            }
            x = Ops.add(x, Ops.linear(attended, wo[l]));

            // feed-forward: w2 · (silu(w1 · h) ⊙ (w3 · h))
            h = Ops.rmsNorm(x, ffnNorm[l], eps);
            Var gated = Ops.swiglu(Ops.linear(h, w1[l]), Ops.linear(h, w3[l]));
            x = Ops.add(x, Ops.linear(gated, w2[l]));
        }

        // final norm
        return Ops.rmsNorm(x, norm, eps);
    }

    /** Runs {@link #forwardHidden} and the output head: logits [B·T, V]. */
    public Var forward(int[] ids, int batch, int time, boolean[] keyMask, int[] positions) {
        return Ops.linear(forwardHidden(ids, batch, time, keyMask, positions), headWeight());
    }

    private int checkInput(int[] ids, int batch, int time, boolean[] keyMask, int[] positions) {
        if (batch <= 0 || time <= 0) {
            throw new IllegalArgumentException("Transformer.forward: batch " + batch + " and time " + time
                    + " must both be positive");
        }
        if (time > config.contextLength()) {
            throw new IllegalArgumentException("Transformer.forward: time " + time + " exceeds the context length "
                    + config.contextLength() + "; split the sequence into windows");
        }
        int rows = batch * time;
        if (ids.length != rows) {
            throw new IllegalArgumentException("Transformer.forward: ids has " + ids.length + " entries but batch "
                    + batch + " × time " + time + " needs " + rows);
        }
        for (int i = 0; i < rows; i++) {
            if (ids[i] < 0 || ids[i] >= config.vocabSize()) {
                throw new IllegalArgumentException("Transformer.forward: token id " + ids[i] + " at index " + i
                        + " is outside the vocabulary [0, " + config.vocabSize() + ")");
            }
        }
        if (keyMask != null && keyMask.length != rows) {
            throw new IllegalArgumentException("Transformer.forward: keyMask has " + keyMask.length
                    + " entries but needs batch × time = " + rows);
        }
        if (positions != null) {
            if (positions.length != rows) {
                throw new IllegalArgumentException("Transformer.forward: positions has " + positions.length
                        + " entries but needs batch × time = " + rows);
            }
            for (int i = 0; i < rows; i++) {
                if (positions[i] < 0 || positions[i] >= config.contextLength()) {
                    throw new IllegalArgumentException("Transformer.forward: position " + positions[i] + " at index "
                            + i + " is outside [0, " + config.contextLength() + ")");
                }
            }
        }
        return rows;
    }

    private static void checkOutputRows(int[] outputRows, int rows) {
        if (outputRows == null) {
            return;
        }
        for (int r = 0; r < outputRows.length; r++) {
            if (outputRows[r] < 0 || outputRows[r] >= rows) {
                throw new IllegalArgumentException("Transformer.forward: outputRows[" + r + "] = " + outputRows[r]
                        + " is outside the batch × time = " + rows + " rows; pass indices in [0, " + rows + ")");
            }
        }
    }

    private static int[] defaultPositions(int batch, int time) {
        int[] positions = new int[batch * time];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i % time;
        }
        return positions;
    }

    // ---------------------------------------------------------------- tape-free access for the KV-cache decoder

    Tensor tokEmbeddingsValue() {
        return tokEmbeddings.value();
    }

    Tensor attentionNorm(int layer) {
        return attentionNorm[layer].value();
    }

    Tensor wq(int layer) {
        return wq[layer].value();
    }

    Tensor wk(int layer) {
        return wk[layer].value();
    }

    Tensor wv(int layer) {
        return wv[layer].value();
    }

    Tensor wo(int layer) {
        return wo[layer].value();
    }

    Tensor ffnNorm(int layer) {
        return ffnNorm[layer].value();
    }

    Tensor w1(int layer) {
        return w1[layer].value();
    }

    Tensor w2(int layer) {
        return w2[layer].value();
    }

    Tensor w3(int layer) {
        return w3[layer].value();
    }

    Tensor normValue() {
        return norm.value();
    }
}
