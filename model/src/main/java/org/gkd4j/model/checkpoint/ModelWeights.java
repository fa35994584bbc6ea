package org.gkd4j.model.checkpoint;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.quant.Q8Tensor;

/**
 * The weights of a Llama model: its config, the dense tensors and the matrices kept in Q8_0, each under its
 * canonical name from {@link TensorNames}.
 *
 * <p>A name lives in exactly one of the two maps. Norms are always dense. A Q8_0 checkpoint keeps every matrix,
 * the token embedding included, quantized: {@link #embeddingRow} dequantizes one row on lookup, and a tied output
 * head multiplies with the quantized table as llama2.c's runq.c does. {@link #dequantizeAll} gives a fully dense
 * copy for code that handles only float tensors.
 */
public final class ModelWeights {

    private final ModelConfig config;
    private final Map<String, Tensor> dense;
    private final Map<String, Q8Tensor> quantized;

    /** Wraps the maps (copied, insertion order kept); call {@link #validate} to check them against the config. */
    public ModelWeights(ModelConfig config, Map<String, Tensor> dense, Map<String, Q8Tensor> quantized) {
        this.config = config;
        this.dense = Collections.unmodifiableMap(new LinkedHashMap<>(dense));
        this.quantized = Collections.unmodifiableMap(new LinkedHashMap<>(quantized));
        for (String name : this.quantized.keySet()) {
            if (this.dense.containsKey(name)) {
                throw new IllegalArgumentException("model weights: tensor " + name
                        + " is both dense and quantized; keep exactly one copy");
            }
        }
    }

    /** Creates weights that are all dense. */
    public static ModelWeights dense(ModelConfig config, Map<String, Tensor> dense) {
        return new ModelWeights(config, dense, Map.of());
    }

    public ModelConfig config() {
        return config;
    }

    /** Returns the dense tensors in checkpoint order (unmodifiable). */
    public Map<String, Tensor> denseTensors() {
        return dense;
    }

    /** Returns the Q8_0 matrices in checkpoint order (unmodifiable), empty for a float checkpoint. */
    public Map<String, Q8Tensor> quantizedTensors() {
        return quantized;
    }

    public boolean contains(String name) {
        return dense.containsKey(name) || quantized.containsKey(name);
    }

    public boolean isQuantized(String name) {
        return quantized.containsKey(name);
    }

    /** Returns the dense tensor {@code name}; rejects a missing or quantized one, naming the reason. */
    public Tensor tensor(String name) {
        Tensor tensor = dense.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException(quantized.containsKey(name)
                    ? "model weights: tensor " + name + " is stored in Q8_0; use quantized(name) or dequantizeAll()"
                    : "model weights: tensor " + name + " not found");
        }
        return tensor;
    }

    /** Returns the Q8_0 matrix {@code name}; rejects a missing or dense one, naming the reason. */
    public Q8Tensor quantized(String name) {
        Q8Tensor tensor = quantized.get(name);
        if (tensor == null) {
            throw new IllegalArgumentException(dense.containsKey(name)
                    ? "model weights: tensor " + name + " is dense; use tensor(name)"
                    : "model weights: tensor " + name + " not found");
        }
        return tensor;
    }

    /** Returns tensor {@code name} as floats: the dense tensor itself, or a new dequantized copy. */
    public Tensor dequantized(String name) {
        Q8Tensor q = quantized.get(name);
        return q != null ? q.dequantize() : tensor(name);
    }

    /** Returns the name of the output head matrix [V, C]: {@code output}, or the token embedding when tied. */
    public String outputName() {
        return config.tiedEmbeddings() ? TensorNames.TOK_EMBEDDINGS : TensorNames.OUTPUT;
    }

    /** Copies the embedding of {@code token} into {@code out} [C], dequantizing the row when the table is Q8_0. */
    public void embeddingRow(int token, Tensor out) {
        // out: [C], the row token of tok_embeddings [V, C]
        if (token < 0 || token >= config.vocabSize()) {
            throw new IllegalArgumentException("model weights: token id " + token + " is outside the vocabulary [0, "
                    + config.vocabSize() + ")");
        }
        if (out.size() != config.dim()) {
            throw new IllegalArgumentException("model weights: embedding output has shape " + out.shapeString()
                    + " but needs " + config.dim() + " elements (dim)");
        }
        Q8Tensor q = quantized.get(TensorNames.TOK_EMBEDDINGS);
        if (q != null) {
            q.dequantizeRow(token, out.data(), out.offset());
        } else {
            out.copyFrom(tensor(TensorNames.TOK_EMBEDDINGS).row(token));
        }
    }

    /** Returns a copy whose tensors are all dense, dequantizing every Q8_0 matrix; shares the dense tensors. */
    public ModelWeights dequantizeAll() {
        if (quantized.isEmpty()) {
            return this;
        }
        Map<String, Tensor> all = new LinkedHashMap<>();
        for (String name : TensorNames.expectedShapes(config).keySet()) {
            if (contains(name)) {
                all.put(name, dequantized(name));
            }
        }
        for (String name : dense.keySet()) {
            all.putIfAbsent(name, dense.get(name));
        }
        for (String name : quantized.keySet()) {
            all.putIfAbsent(name, quantized.get(name).dequantize());
        }
        return dense(config, all);
    }

    /**
     * Checks that every tensor the config needs is present with its expected shape, that norms are dense and that
     * no tensor lacks a canonical name. The error message names the first bad tensor.
     */
    public ModelWeights validate() {
        Map<String, int[]> expected = TensorNames.expectedShapes(config);
        List<String> missing = new ArrayList<>();
        for (Map.Entry<String, int[]> entry : expected.entrySet()) {
            String name = entry.getKey();
            int[] shape = shapeOf(name);
            if (shape == null) {
                missing.add(name);
                continue;
            }
            if (!Arrays.equals(shape, entry.getValue())) {
                throw new IllegalArgumentException("model weights: tensor " + name + " has shape "
                        + Arrays.toString(shape) + " but the config (dim " + config.dim() + ", heads "
                        + config.heads() + ", kvHeads " + config.kvHeads() + ", hiddenDim " + config.hiddenDim()
                        + ", vocabSize " + config.vocabSize() + ") needs " + Arrays.toString(entry.getValue()));
            }
            if (TensorNames.isNorm(name) && quantized.containsKey(name)) {
                throw new IllegalArgumentException("model weights: norm " + name
                        + " is quantized; RMSNorm weights must stay dense");
            }
        }
        if (!missing.isEmpty()) {
            throw new IllegalArgumentException("model weights: " + missing.size() + " expected tensor(s) missing, "
                    + "first " + missing.getFirst()
                    + (missing.size() > 1 ? " (all: " + abbreviate(missing) + ")" : ""));
        }
        for (String name : allNames()) {
            if (!expected.containsKey(name)) {
                throw new IllegalArgumentException("model weights: unexpected tensor " + name + " for a config with "
                        + config.layers() + " layers and tiedEmbeddings=" + config.tiedEmbeddings()
                        + "; expected only the canonical names of TensorNames");
            }
        }
        return this;
    }

    /** Returns every tensor name, dense first then quantized. */
    public List<String> allNames() {
        List<String> names = new ArrayList<>(dense.keySet());
        names.addAll(quantized.keySet());
        return names;
    }

    private int[] shapeOf(String name) {
        Tensor t = dense.get(name);
        if (t != null) {
            return t.shape();
        }
        Q8Tensor q = quantized.get(name);
        return q == null ? null : new int[] {q.rows(), q.cols()};
    }

    private static String abbreviate(List<String> names) {
        return names.size() <= 6 ? names.toString() : names.subList(0, 6) + " and " + (names.size() - 6) + " more";
    }
}
