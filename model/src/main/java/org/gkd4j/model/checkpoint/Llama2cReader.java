package org.gkd4j.model.checkpoint;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.function.IntFunction;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.quant.Q8Tensor;

/**
 * Reads llama2.c checkpoints (github.com/karpathy/llama2.c, export.py and run.c / runq.c):
 *
 * <ul>
 *   <li>version 0 ("legacy"): 7 int32 (dim, hidden_dim, n_layers, n_heads, n_kv_heads, vocab_size, seq_len), a
 *       negative vocab_size meaning an unshared classifier; then fp32 tensors, each kind for all layers in turn:
 *       token embedding, rms_att, wq, wk, wv, wo, rms_ffn, w1, w2, w3, rms_final, the RoPE tables freq_cis_real
 *       and freq_cis_imag [seq_len, D/2] (skipped, the model recomputes them), and the classifier when unshared.</li>
 *   <li>version 1 (fp32) and 2 (Q8_0): a 256-byte header with magic "ak42" (0x616b3432), int32 version, the same
 *       7 ints, a uint8 shared_classifier flag and, in version 2, an int32 group size. Then the norms (rms_att for
 *       all layers, rms_ffn for all layers, rms_final), then the matrices in the order token embedding, wq, wk,
 *       wv, wo, w1, w2, w3, classifier when unshared. Version 2 stores each matrix as its int8 values followed by
 *       one fp32 scale per group of consecutive values over the flattened tensor.</li>
 * </ul>
 *
 * <p>llama2.c fixes RoPE θ = 10000 and RMSNorm ε = 1e-5, which are not in the file. The file length must match the
 * header exactly, so a truncated file or a header that disagrees with the data is rejected.
 */
public final class Llama2cReader {

    /** "ak42" read as a little-endian int32. */
    static final int MAGIC = 0x616b3432;
    static final int HEADER_BYTES = 256;
    static final float ROPE_THETA = 10000f;
    static final float NORM_EPS = 1e-5f;

    private Llama2cReader() {
    }

    /** Reads a llama2.c checkpoint file of any supported version. */
    public static ModelWeights read(Path file) {
        try (CheckpointBuffer buffer = CheckpointBuffer.map(file)) {
            return read(buffer);
        }
    }

    /** Reads a llama2.c checkpoint held in memory; {@code source} names it in errors. */
    public static ModelWeights read(byte[] data, String source) {
        try (CheckpointBuffer buffer = CheckpointBuffer.of(data, source)) {
            return read(buffer);
        }
    }

    static ModelWeights read(CheckpointBuffer buffer) {
        int first = buffer.readInt("header dim");
        buffer.seek(0, "header");
        if (first != MAGIC) {
            return readLegacy(buffer);
        }
        buffer.readInt("magic");
        int version = buffer.readInt("header version");
        return switch (version) {
            case 1 -> readVersioned(buffer, false);
            case 2 -> readVersioned(buffer, true);
            default -> throw buffer.error("llama2.c header version " + version
                    + " is not supported; expected 0 (no magic), 1 (fp32) or 2 (Q8_0)");
        };
    }

    private static ModelWeights readLegacy(CheckpointBuffer buffer) {
        // header: 7 int32; a negative vocab_size marks an unshared classifier
        int[] header;
        try {
            header = readHeaderInts(buffer);
        } catch (IllegalArgumentException e) {
            throw notLlama2c(buffer, e);
        }
        boolean shared = header[5] > 0;
        header[5] = Math.abs(header[5]);
        ModelConfig config;
        try {
            config = toConfig(header, shared, buffer);
        } catch (IllegalArgumentException e) {
            throw notLlama2c(buffer, e);
        }

        // size check: the whole file is the header plus fp32 weights and the two RoPE tables
        long floats = TensorNames.expectedShapes(config).values().stream().mapToLong(Llama2cReader::product).sum()
                + (long) config.contextLength() * config.headDim();
        expectSize(buffer, 28 + floats * 4, config, "version 0");

        Map<String, Tensor> dense = new LinkedHashMap<>();
        int c = config.dim();
        int l = config.layers();
        int qDim = config.heads() * config.headDim();
        int kvDim = config.kvDim();
        int f = config.hiddenDim();
        dense.put(TensorNames.TOK_EMBEDDINGS, readDense(buffer, "token embedding", config.vocabSize(), c));
        readDenseLayers(buffer, dense, l, TensorNames::attentionNorm, c);
        readDenseLayers(buffer, dense, l, TensorNames::wq, qDim, c);
        readDenseLayers(buffer, dense, l, TensorNames::wk, kvDim, c);
        readDenseLayers(buffer, dense, l, TensorNames::wv, kvDim, c);
        readDenseLayers(buffer, dense, l, TensorNames::wo, c, qDim);
        readDenseLayers(buffer, dense, l, TensorNames::ffnNorm, c);
        readDenseLayers(buffer, dense, l, TensorNames::w1, f, c);
        readDenseLayers(buffer, dense, l, TensorNames::w2, c, f);
        readDenseLayers(buffer, dense, l, TensorNames::w3, f, c);
        dense.put(TensorNames.NORM, readDense(buffer, "rms_final", c));

        // skip freq_cis_real and freq_cis_imag [seq_len, D/2]: RoPE is recomputed from θ
        buffer.seek(buffer.position() + (long) config.contextLength() * config.headDim() * 4, "classifier");
        if (!shared) {
            dense.put(TensorNames.OUTPUT, readDense(buffer, "classifier", config.vocabSize(), c));
        }
        return ordered(config, dense, Map.of()).validate();
    }

    private static ModelWeights readVersioned(CheckpointBuffer buffer, boolean q8) {
        // header: 7 int32, uint8 shared_classifier, int32 group_size in version 2, zero padding to 256 bytes
        int[] header = readHeaderInts(buffer);
        int sharedFlag = buffer.readUnsignedByte("header shared_classifier");
        if (sharedFlag > 1) {
            throw buffer.error("header shared_classifier is " + sharedFlag + " but must be 0 or 1");
        }
        int groupSize = q8 ? buffer.readInt("header group_size") : 0;
        if (q8 && groupSize <= 0) {
            throw buffer.error("header group_size is " + groupSize + " but must be positive");
        }
        ModelConfig config = toConfig(header, sharedFlag == 1, buffer);
        Map<String, int[]> shapes = TensorNames.expectedShapes(config);

        // size check: norms in fp32; matrices in fp32 (v1) or as int8 values plus one fp32 scale per group (v2)
        long size = HEADER_BYTES;
        for (Map.Entry<String, int[]> entry : shapes.entrySet()) {
            long n = product(entry.getValue());
            if (q8 && !TensorNames.isNorm(entry.getKey()) && n % groupSize != 0) {
                throw buffer.error("tensor " + entry.getKey() + " has " + n + " elements, not a multiple of "
                        + "header group_size " + groupSize);
            }
            size += q8 && !TensorNames.isNorm(entry.getKey()) ? n + n / groupSize * 4 : n * 4;
        }
        expectSize(buffer, size, config, q8 ? "version 2 (Q8_0, group size " + groupSize + ")" : "version 1");
        buffer.seek(HEADER_BYTES, "first tensor");

        // norms first, kept dense
        Map<String, Tensor> dense = new LinkedHashMap<>();
        int c = config.dim();
        int l = config.layers();
        readDenseLayers(buffer, dense, l, TensorNames::attentionNorm, c);
        readDenseLayers(buffer, dense, l, TensorNames::ffnNorm, c);
        dense.put(TensorNames.NORM, readDense(buffer, "rms_final", c));

        // matrices, each kind for all layers in turn
        Map<String, Q8Tensor> quantized = new LinkedHashMap<>();
        MatrixSink sink = (name, rows, cols) -> {
            if (q8) {
                byte[] values = buffer.readBytes((long) rows * cols, name + " values");
                float[] scales = buffer.readFloats((long) rows * cols / groupSize, name + " scales");
                quantized.put(name, new Q8Tensor(values, scales, rows, cols, groupSize));
            } else {
                dense.put(name, readDense(buffer, name, rows, cols));
            }
        };
        sink.read(TensorNames.TOK_EMBEDDINGS, config.vocabSize(), c);
        readMatrixLayers(sink, l, TensorNames::wq, shapes);
        readMatrixLayers(sink, l, TensorNames::wk, shapes);
        readMatrixLayers(sink, l, TensorNames::wv, shapes);
        readMatrixLayers(sink, l, TensorNames::wo, shapes);
        readMatrixLayers(sink, l, TensorNames::w1, shapes);
        readMatrixLayers(sink, l, TensorNames::w2, shapes);
        readMatrixLayers(sink, l, TensorNames::w3, shapes);
        if (!config.tiedEmbeddings()) {
            sink.read(TensorNames.OUTPUT, config.vocabSize(), c);
        }
        return ordered(config, dense, quantized).validate();
    }

    @FunctionalInterface
    private interface MatrixSink {
        void read(String name, int rows, int cols);
    }

    private static void readMatrixLayers(MatrixSink sink, int layers, IntFunction<String> name,
                                         Map<String, int[]> shapes) {
        for (int l = 0; l < layers; l++) {
            int[] shape = shapes.get(name.apply(l));
            sink.read(name.apply(l), shape[0], shape[1]);
        }
    }

    /** Adds the first bytes to a version-0 header error, since a file of another format often lands there. */
    private static IllegalArgumentException notLlama2c(CheckpointBuffer buffer, IllegalArgumentException e) {
        buffer.seek(0, "header");
        int first = buffer.remaining() >= 4 ? buffer.readInt("header") : 0;
        String guess = String.format(" (no \"ak42\" magic, so the file was read as llama2.c version 0; its first"
                + " int32 is 0x%08x); ", first);
        return new IllegalArgumentException(e.getMessage() + guess + Checkpoints.ACCEPTED_FORMATS, e);
    }

    private static int[] readHeaderInts(CheckpointBuffer buffer) {
        String[] fields = {"dim", "hidden_dim", "n_layers", "n_heads", "n_kv_heads", "vocab_size", "seq_len"};
        int[] header = new int[fields.length];
        for (int i = 0; i < fields.length; i++) {
            header[i] = buffer.readInt("header " + fields[i]);
            if (header[i] <= 0 && !(i == 5 && header[i] < 0)) {
                throw buffer.error("header " + fields[i] + " is " + header[i] + " but must be positive;"
                        + " is this a llama2.c checkpoint?");
            }
        }
        return header;
    }

    private static ModelConfig toConfig(int[] header, boolean shared, CheckpointBuffer buffer) {
        try {
            return new ModelConfig(header[0], header[2], header[3], header[4], header[1], header[5], header[6],
                    ROPE_THETA, NORM_EPS, shared);
        } catch (IllegalArgumentException e) {
            throw buffer.error("header describes an invalid model: " + e.getMessage());
        }
    }

    private static void expectSize(CheckpointBuffer buffer, long expected, ModelConfig config, String format) {
        if (buffer.size() != expected) {
            throw buffer.error((buffer.size() < expected ? "truncated" : "too long") + ": a llama2.c " + format
                    + " file with header dim " + config.dim() + ", hidden_dim " + config.hiddenDim() + ", n_layers "
                    + config.layers() + ", n_heads " + config.heads() + ", n_kv_heads " + config.kvHeads()
                    + ", vocab_size " + config.vocabSize() + ", seq_len " + config.contextLength()
                    + (config.tiedEmbeddings() ? " (shared classifier)" : " (own classifier)") + " has " + expected
                    + " bytes, but the file has " + buffer.size());
        }
    }

    private static void readDenseLayers(CheckpointBuffer buffer, Map<String, Tensor> dense, int layers,
                                        IntFunction<String> name, int... shape) {
        for (int l = 0; l < layers; l++) {
            dense.put(name.apply(l), readDense(buffer, name.apply(l), shape));
        }
    }

    private static Tensor readDense(CheckpointBuffer buffer, String field, int... shape) {
        return Tensor.of(buffer.readFloats(product(shape), field), shape);
    }

    /** Puts the tensors in canonical order, whatever order the file stored them in. */
    private static ModelWeights ordered(ModelConfig config, Map<String, Tensor> dense,
                                        Map<String, Q8Tensor> quantized) {
        Map<String, Tensor> orderedDense = new LinkedHashMap<>();
        Map<String, Q8Tensor> orderedQuantized = new LinkedHashMap<>();
        for (String name : TensorNames.expectedShapes(config).keySet()) {
            if (dense.containsKey(name)) {
                orderedDense.put(name, dense.get(name));
            }
            if (quantized.containsKey(name)) {
                orderedQuantized.put(name, quantized.get(name));
            }
        }
        return new ModelWeights(config, orderedDense, orderedQuantized);
    }

    static long product(int[] shape) {
        long n = 1;
        for (int d : shape) {
            n *= d;
        }
        return n;
    }
}
