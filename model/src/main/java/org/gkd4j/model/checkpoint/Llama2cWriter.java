package org.gkd4j.model.checkpoint;

import java.nio.file.Path;
import java.util.List;
import java.util.function.IntFunction;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.quant.Q8Tensor;

/**
 * Writes llama2.c checkpoints in the layouts {@link Llama2cReader} reads, so a gkd4j model runs in llama2.c's
 * run.c (version 0, fp32) or runq.c (version 2, Q8_0). Files are written atomically.
 *
 * <p>llama2.c hard-codes RoPE θ = 10000 and RMSNorm ε = 1e-5, so a model with other values is rejected rather
 * than exported into a file that would run differently.
 */
public final class Llama2cWriter {

    private static final List<IntFunction<String>> MATRICES = List.of(TensorNames::wq, TensorNames::wk,
            TensorNames::wv, TensorNames::wo, TensorNames::w1, TensorNames::w2, TensorNames::w3);

    private Llama2cWriter() {
    }

    /**
     * Writes version 0: 7 int32 header (vocab_size negated for an own classifier), then fp32 weights in llama2.c
     * order, the RoPE tables freq_cis_real and freq_cis_imag [seq_len, D/2] that run.c skips, and the classifier.
     * Q8_0 matrices are dequantized.
     */
    public static void writeLegacy(Path file, ModelWeights weights) {
        ModelConfig config = checkLlama2cConfig(weights.validate().config());
        ModelWeights dense = weights.dequantizeAll();
        try (AtomicOutput out = new AtomicOutput(file)) {
            // header
            putHeaderInts(out, config, config.tiedEmbeddings() ? config.vocabSize() : -config.vocabSize());

            // weights: embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final
            putDense(out, dense.tensor(TensorNames.TOK_EMBEDDINGS));
            putLayers(out, dense, config, TensorNames::attentionNorm);
            for (IntFunction<String> kind : MATRICES.subList(0, 4)) {
                putLayers(out, dense, config, kind);
            }
            putLayers(out, dense, config, TensorNames::ffnNorm);
            for (IntFunction<String> kind : MATRICES.subList(4, 7)) {
                putLayers(out, dense, config, kind);
            }
            putDense(out, dense.tensor(TensorNames.NORM));

            // RoPE tables: cos and sin of pos · θ^(-2i/D), as llama2.c's model.py precomputes them in float32
            int half = config.headDim() / 2;
            float[] frequencies = new float[half];
            for (int i = 0; i < half; i++) {
                float exponent = (2 * i) / (float) config.headDim();
                frequencies[i] = (float) (1.0 / Math.pow(config.ropeTheta(), exponent));
            }
            for (int table = 0; table < 2; table++) {
                for (int pos = 0; pos < config.contextLength(); pos++) {
                    for (int i = 0; i < half; i++) {
                        float angle = pos * frequencies[i];
                        out.putFloat((float) (table == 0 ? Math.cos(angle) : Math.sin(angle)));
                    }
                }
            }
            if (!config.tiedEmbeddings()) {
                putDense(out, dense.tensor(TensorNames.OUTPUT));
            }
            out.commit();
        }
    }

    /**
     * Writes version 2 (Q8_0) with {@code groupSize}: a 256-byte header, the fp32 norms, then each matrix as int8
     * values followed by its group scales. Matrices already in Q8_0 with this group size are written as they are;
     * the others are quantized with {@link Q8Tensor#quantize}.
     */
    public static void writeQ8(Path file, ModelWeights weights, int groupSize) {
        ModelConfig config = checkLlama2cConfig(weights.validate().config());
        for (String name : TensorNames.expectedShapes(config).keySet()) {
            long size = Llama2cReader.product(TensorNames.expectedShapes(config).get(name));
            if (!TensorNames.isNorm(name) && size % groupSize != 0) {
                throw new IllegalArgumentException("llama2.c Q8_0 export: group size " + groupSize + " does not "
                        + "divide the " + size + " elements of " + name + "; choose a group size that divides dim");
            }
        }
        try (AtomicOutput out = new AtomicOutput(file)) {
            // header: magic, version 2, 7 ints, shared classifier flag, group size, zero padding
            out.putInt(Llama2cReader.MAGIC);
            out.putInt(2);
            putHeaderInts(out, config, config.vocabSize());
            out.putByte((byte) (config.tiedEmbeddings() ? 1 : 0));
            out.putInt(groupSize);
            out.padTo(Llama2cReader.HEADER_BYTES);

            // norms, fp32
            putLayers(out, weights, config, TensorNames::attentionNorm);
            putLayers(out, weights, config, TensorNames::ffnNorm);
            putDense(out, weights.tensor(TensorNames.NORM));

            // matrices: embedding, wq, wk, wv, wo, w1, w2, w3, then the classifier when not tied
            putQ8(out, weights, TensorNames.TOK_EMBEDDINGS, groupSize);
            for (IntFunction<String> kind : MATRICES) {
                for (int l = 0; l < config.layers(); l++) {
                    putQ8(out, weights, kind.apply(l), groupSize);
                }
            }
            if (!config.tiedEmbeddings()) {
                putQ8(out, weights, TensorNames.OUTPUT, groupSize);
            }
            out.commit();
        }
    }

    private static ModelConfig checkLlama2cConfig(ModelConfig config) {
        if (config.ropeTheta() != Llama2cReader.ROPE_THETA || config.normEps() != Llama2cReader.NORM_EPS) {
            throw new IllegalArgumentException("llama2.c export: the model has ropeTheta " + config.ropeTheta()
                    + " and normEps " + config.normEps() + " but llama2.c fixes 10000 and 1e-5;"
                    + " save it as safetensors instead");
        }
        return config;
    }

    private static void putHeaderInts(AtomicOutput out, ModelConfig config, int vocabField) {
        out.putInt(config.dim());
        out.putInt(config.hiddenDim());
        out.putInt(config.layers());
        out.putInt(config.heads());
        out.putInt(config.kvHeads());
        out.putInt(vocabField);
        out.putInt(config.contextLength());
    }

    private static void putLayers(AtomicOutput out, ModelWeights weights, ModelConfig config,
                                  IntFunction<String> name) {
        for (int l = 0; l < config.layers(); l++) {
            putDense(out, weights.tensor(name.apply(l)));
        }
    }

    private static void putDense(AtomicOutput out, Tensor tensor) {
        out.putFloats(tensor.data(), tensor.offset(), tensor.size());
    }

    private static void putQ8(AtomicOutput out, ModelWeights weights, String name, int groupSize) {
        Q8Tensor q = weights.isQuantized(name) ? weights.quantized(name) : null;
        if (q == null || q.groupSize() != groupSize) {
            q = Q8Tensor.quantize(weights.dequantized(name), groupSize);
        }
        out.putBytes(q.values());
        for (float scale : q.scales()) {
            out.putFloat(scale);
        }
    }
}
