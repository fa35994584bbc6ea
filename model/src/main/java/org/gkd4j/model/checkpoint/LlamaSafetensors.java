package org.gkd4j.model.checkpoint;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.tensor.Tensor;

/**
 * The gkd4j model file: a safetensors file with the canonical tensor names of {@link TensorNames} whose
 * {@code __metadata__} contains every {@link ModelConfig} field as a string, plus {@code gkd4j.format = llama} and
 * {@code gkd4j.tensor_names = gkd4j}, so the file describes itself.
 */
public final class LlamaSafetensors {

    static final String FORMAT_KEY = "gkd4j.format";
    static final String FORMAT = "llama";
    static final String NAMING_KEY = "gkd4j.tensor_names";
    static final String NAMING = "gkd4j";

    private LlamaSafetensors() {
    }

    /**
     * Writes {@code weights} as F32 (or another dtype), atomically. Q8_0 matrices are dequantized first.
     * NOTE: the file does not keep Q8_0; reloading gives a dense model equal to the dequantized one.
     */
    public static void write(Path file, ModelWeights weights, SafetensorsDtype dtype) {
        weights.validate();
        ModelWeights dense = weights.dequantizeAll();
        SafetensorsFile.write(file, dense.denseTensors(), metadata(weights.config()), dtype);
    }

    public static void write(Path file, ModelWeights weights) {
        write(file, weights, SafetensorsDtype.F32);
    }

    /** Reads and validates a file written by {@link #write}. */
    public static ModelWeights read(Path file) {
        SafetensorsFile.Contents contents = SafetensorsFile.read(file);
        return fromContents(contents, file.toString());
    }

    static ModelWeights fromContents(SafetensorsFile.Contents contents, String source) {
        Map<String, String> metadata = contents.metadata();
        if (!metadata.containsKey(FORMAT_KEY) && !metadata.containsKey(NAMING_KEY)) {
            throw new IllegalArgumentException("checkpoint " + source + " is a safetensors file without gkd4j metadata"
                    + " and without a config.json beside it; for a Hugging Face model pass its directory (with"
                    + " config.json), or pass a .safetensors file written by gkd4j");
        }
        if (!FORMAT.equals(metadata.get(FORMAT_KEY)) || !NAMING.equals(metadata.get(NAMING_KEY))) {
            throw new IllegalArgumentException("checkpoint " + source + ": safetensors metadata has " + FORMAT_KEY
                    + "=" + metadata.get(FORMAT_KEY) + " and " + NAMING_KEY + "=" + metadata.get(NAMING_KEY)
                    + " but a gkd4j model file needs " + FORMAT + " and " + NAMING
                    + "; for a Hugging Face model pass its directory (with config.json) instead");
        }
        ModelConfig config = configFrom(metadata, source);
        Map<String, Tensor> dense = new LinkedHashMap<>(contents.tensors());
        try {
            return ModelWeights.dense(config, dense).validate();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint " + source + ": " + e.getMessage(), e);
        }
    }

    /** Returns the config as metadata strings, format markers first. */
    public static Map<String, String> metadata(ModelConfig config) {
        Map<String, String> metadata = new LinkedHashMap<>();
        metadata.put(FORMAT_KEY, FORMAT);
        metadata.put(NAMING_KEY, NAMING);
        metadata.put("dim", Integer.toString(config.dim()));
        metadata.put("layers", Integer.toString(config.layers()));
        metadata.put("heads", Integer.toString(config.heads()));
        metadata.put("kvHeads", Integer.toString(config.kvHeads()));
        metadata.put("hiddenDim", Integer.toString(config.hiddenDim()));
        metadata.put("vocabSize", Integer.toString(config.vocabSize()));
        metadata.put("contextLength", Integer.toString(config.contextLength()));
        metadata.put("ropeTheta", Float.toString(config.ropeTheta()));
        metadata.put("normEps", Float.toString(config.normEps()));
        metadata.put("tiedEmbeddings", Boolean.toString(config.tiedEmbeddings()));
        return metadata;
    }

    /** Parses the config from metadata strings, naming a missing or malformed field. */
    public static ModelConfig configFrom(Map<String, String> metadata, String source) {
        try {
            return new ModelConfig(intField(metadata, "dim", source), intField(metadata, "layers", source),
                    intField(metadata, "heads", source), intField(metadata, "kvHeads", source),
                    intField(metadata, "hiddenDim", source), intField(metadata, "vocabSize", source),
                    intField(metadata, "contextLength", source), floatField(metadata, "ropeTheta", source),
                    floatField(metadata, "normEps", source), booleanField(metadata, "tiedEmbeddings", source));
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith("checkpoint ")) {
                throw e;
            }
            throw new IllegalArgumentException("checkpoint " + source + ": metadata " + e.getMessage(), e);
        }
    }

    private static String field(Map<String, String> metadata, String key, String source) {
        String value = metadata.get(key);
        if (value == null) {
            throw new IllegalArgumentException("checkpoint " + source + ": metadata field " + key + " is missing");
        }
        return value;
    }

    private static int intField(Map<String, String> metadata, String key, String source) {
        String value = field(metadata, key, source);
        try {
            return Integer.parseInt(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("checkpoint " + source + ": metadata field " + key + " is \"" + value
                    + "\" but must be an integer", e);
        }
    }

    private static float floatField(Map<String, String> metadata, String key, String source) {
        String value = field(metadata, key, source);
        try {
            return Float.parseFloat(value);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("checkpoint " + source + ": metadata field " + key + " is \"" + value
                    + "\" but must be a number", e);
        }
    }

    private static boolean booleanField(Map<String, String> metadata, String key, String source) {
        String value = field(metadata, key, source);
        if (!value.equals("true") && !value.equals("false")) {
            throw new IllegalArgumentException("checkpoint " + source + ": metadata field " + key + " is \"" + value
                    + "\" but must be true or false");
        }
        return Boolean.parseBoolean(value);
    }
}
