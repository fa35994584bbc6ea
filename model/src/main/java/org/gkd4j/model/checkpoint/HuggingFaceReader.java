package org.gkd4j.model.checkpoint;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.tensor.Tensor;

/**
 * Reads a Hugging Face Llama model directory: config.json, the weights in model.safetensors or in shards listed by
 * model.safetensors.index.json, and the path of tokenizer.json.
 *
 * <p>Hugging Face names map to the canonical names of {@link TensorNames} (q_proj to wq, gate_proj to w1, down_proj
 * to w2, up_proj to w3, and so on). HF stores the q_proj and k_proj rows of each head in the rotate-half RoPE
 * layout, where dimension i pairs with dimension i + D/2, while gkd4j rotates interleaved pairs (2i, 2i+1) as
 * llama2.c does. The reader undoes the permutation of HF's convert_llama_weights_to_hf.py: within each head, row i
 * of the first half becomes row 2i and row i of the second half becomes row 2i+1.
 */
public final class HuggingFaceReader {

    private static final JsonMapper JSON = new JsonMapper();
    private static final Pattern LAYER = Pattern.compile("model\\.layers\\.(\\d+)\\.(.+)");
    /** HF default for rope_theta when config.json leaves it out (LlamaConfig). */
    private static final double DEFAULT_ROPE_THETA = 10000.0;

    private HuggingFaceReader() {
    }

    /** Reads and validates the model in {@code directory}. */
    public static HuggingFaceCheckpoint read(Path directory) {
        ModelConfig config = readConfig(directory.resolve("config.json"));
        Map<String, Tensor> hf = readTensors(directory);
        Map<String, Tensor> dense = toCanonical(hf, config, directory);
        ModelWeights weights;
        try {
            weights = ModelWeights.dense(config, orderCanonical(dense, config)).validate();
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("checkpoint " + directory + ": " + e.getMessage(), e);
        }
        Path tokenizer = directory.resolve("tokenizer.json");
        return new HuggingFaceCheckpoint(weights, Files.isRegularFile(tokenizer) ? Optional.of(tokenizer)
                : Optional.empty());
    }

    /**
     * Parses config.json. Required: hidden_size, intermediate_size, num_hidden_layers, num_attention_heads,
     * vocab_size, max_position_embeddings, rms_norm_eps. Optional with the defaults of HF's LlamaConfig:
     * num_key_value_heads (= num_attention_heads), rope_theta (10000), tie_word_embeddings (false).
     */
    public static ModelConfig readConfig(Path configJson) {
        JsonNode root = readJson(configJson);
        String source = configJson.toString();

        // architecture features gkd4j does not implement are rejected rather than silently ignored
        String modelType = root.path("model_type").asText("llama");
        if (!modelType.equals("llama")) {
            throw configError(source, "model_type is " + modelType + " but only llama models are supported");
        }
        if (root.hasNonNull("rope_scaling")) {
            // TODO: RoPE scaling (llama3, linear, dynamic, yarn) is not implemented.
            throw configError(source, "rope_scaling " + root.get("rope_scaling")
                    + " is not supported; only plain RoPE models load");
        }
        String activation = root.path("hidden_act").asText("silu");
        if (!activation.equals("silu")) {
            throw configError(source, "hidden_act is " + activation + " but the Llama feed-forward uses silu");
        }
        if (root.path("attention_bias").asBoolean(false) || root.path("mlp_bias").asBoolean(false)) {
            throw configError(source, "attention_bias or mlp_bias is true, but gkd4j layers have no biases");
        }

        int dim = requiredInt(root, "hidden_size", source);
        int heads = requiredInt(root, "num_attention_heads", source);
        int kvHeads = root.has("num_key_value_heads") ? requiredInt(root, "num_key_value_heads", source) : heads;
        if (root.hasNonNull("head_dim") && heads > 0 && root.get("head_dim").asInt() * heads != dim) {
            throw configError(source, "head_dim " + root.get("head_dim") + " times num_attention_heads " + heads
                    + " is not hidden_size " + dim + "; gkd4j needs head_dim = hidden_size / num_attention_heads");
        }
        double ropeTheta = root.has("rope_theta") ? requiredNumber(root, "rope_theta", source) : DEFAULT_ROPE_THETA;
        boolean tied = root.path("tie_word_embeddings").asBoolean(false);
        try {
            return new ModelConfig(dim, requiredInt(root, "num_hidden_layers", source), heads, kvHeads,
                    requiredInt(root, "intermediate_size", source), requiredInt(root, "vocab_size", source),
                    requiredInt(root, "max_position_embeddings", source), (float) ropeTheta,
                    (float) requiredNumber(root, "rms_norm_eps", source), tied);
        } catch (IllegalArgumentException e) {
            if (e.getMessage().startsWith("checkpoint ")) {
                throw e;
            }
            throw configError(source, e.getMessage());
        }
    }

    /** Reads every tensor from model.safetensors or from the shards named in model.safetensors.index.json. */
    private static Map<String, Tensor> readTensors(Path directory) {
        Path single = directory.resolve("model.safetensors");
        Path index = directory.resolve("model.safetensors.index.json");
        if (Files.isRegularFile(index)) {
            return readSharded(directory, index);
        }
        if (Files.isRegularFile(single)) {
            return SafetensorsFile.read(single).tensors();
        }
        throw new IllegalArgumentException("checkpoint " + directory + ": neither model.safetensors nor "
                + "model.safetensors.index.json found; PyTorch .bin weights are not supported, convert them first");
    }

    private static Map<String, Tensor> readSharded(Path directory, Path index) {
        JsonNode weightMap = readJson(index).get("weight_map");
        if (weightMap == null || !weightMap.isObject() || weightMap.isEmpty()) {
            throw new IllegalArgumentException("checkpoint " + index + ": field weight_map is missing or empty");
        }

        // shards: each file once, and only files inside the model directory
        Path root = directory.toAbsolutePath().normalize();
        Set<String> shards = new LinkedHashSet<>();
        for (Map.Entry<String, JsonNode> entry : weightMap.properties()) {
            String shard = entry.getValue().asText("");
            if (shard.isEmpty() || !root.resolve(shard).normalize().startsWith(root)) {
                throw new IllegalArgumentException("checkpoint " + index + ": weight_map entry " + entry.getKey()
                        + " names shard \"" + shard + "\", which is not a file inside " + directory);
            }
            shards.add(shard);
        }
        Map<String, Map<String, Tensor>> byShard = new LinkedHashMap<>();
        for (String shard : shards) {
            Path file = root.resolve(shard);
            if (!Files.isRegularFile(file)) {
                throw new IllegalArgumentException("checkpoint " + index + ": shard " + shard + " not found");
            }
            byShard.put(shard, SafetensorsFile.read(file).tensors());
        }

        // tensors: each one must be in the shard the index names
        Map<String, Tensor> tensors = new LinkedHashMap<>();
        for (Map.Entry<String, JsonNode> entry : weightMap.properties()) {
            Tensor tensor = byShard.get(entry.getValue().asText()).get(entry.getKey());
            if (tensor == null) {
                throw new IllegalArgumentException("checkpoint " + index + ": tensor " + entry.getKey()
                        + " is listed in shard " + entry.getValue().asText() + " but that file does not contain it");
            }
            tensors.put(entry.getKey(), tensor);
        }
        return tensors;
    }

    /** Renames HF tensors to canonical names and permutes q and k rows from rotate-half to interleaved pairs. */
    private static Map<String, Tensor> toCanonical(Map<String, Tensor> hf, ModelConfig config, Path directory) {
        Map<String, Tensor> canonical = new LinkedHashMap<>();
        for (Map.Entry<String, Tensor> entry : hf.entrySet()) {
            String name = entry.getKey();
            Tensor tensor = entry.getValue();
            String target = canonicalName(name, config);
            if (target == null) {
                continue;
            }
            if (target.isEmpty()) {
                throw new IllegalArgumentException("checkpoint " + directory + ": tensor " + name
                        + " has no counterpart in a Llama model; is this a different architecture?");
            }
            if (target.endsWith(".attention.wq")) {
                tensor = rotateHalfToInterleaved(tensor, config.heads(), name);
            } else if (target.endsWith(".attention.wk")) {
                tensor = rotateHalfToInterleaved(tensor, config.kvHeads(), name);
            }
            if (canonical.put(target, tensor) != null) {
                throw new IllegalArgumentException("checkpoint " + directory + ": tensor " + target
                        + " appears twice (again as " + name + ")");
            }
        }
        return canonical;
    }

    /** Returns the canonical name, null for a tensor to skip, or "" for an unknown one. */
    private static String canonicalName(String hfName, ModelConfig config) {
        switch (hfName) {
            case "model.embed_tokens.weight":
                return TensorNames.TOK_EMBEDDINGS;
            case "model.norm.weight":
                return TensorNames.NORM;
            case "lm_head.weight":
                // a tied model uses the embedding; some exports still store a copy of it
                return config.tiedEmbeddings() ? null : TensorNames.OUTPUT;
            default:
                break;
        }
        Matcher m = LAYER.matcher(hfName);
        if (!m.matches()) {
            return "";
        }
        int layer = Integer.parseInt(m.group(1));
        return switch (m.group(2)) {
            case "input_layernorm.weight" -> TensorNames.attentionNorm(layer);
            case "self_attn.q_proj.weight" -> TensorNames.wq(layer);
            case "self_attn.k_proj.weight" -> TensorNames.wk(layer);
            case "self_attn.v_proj.weight" -> TensorNames.wv(layer);
            case "self_attn.o_proj.weight" -> TensorNames.wo(layer);
            case "post_attention_layernorm.weight" -> TensorNames.ffnNorm(layer);
            case "mlp.gate_proj.weight" -> TensorNames.w1(layer);
            case "mlp.down_proj.weight" -> TensorNames.w2(layer);
            case "mlp.up_proj.weight" -> TensorNames.w3(layer);
            case "self_attn.rotary_emb.inv_freq" -> null;
            default -> "";
        };
    }

    /**
     * Permutes the rows of a q or k projection [heads·D, C] from HF's rotate-half layout to interleaved RoPE pairs:
     * within each head, out row 2i + p = in row p·D/2 + i for p in {0, 1}.
     */
    static Tensor rotateHalfToInterleaved(Tensor w, int heads, String name) {
        if (w.rank() != 2 || w.dim(0) % heads != 0 || (w.dim(0) / heads) % 2 != 0) {
            throw new IllegalArgumentException("tensor " + name + " has shape " + w.shapeString() + " but a q/k "
                    + "projection needs [heads·D, C] with " + heads + " heads and an even head size D");
        }
        int d = w.dim(0) / heads;
        int cols = w.dim(1);
        Tensor out = Tensor.zeros(w.dim(0), cols);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < d / 2; i++) {
                for (int p = 0; p < 2; p++) {
                    int from = h * d + p * (d / 2) + i;
                    int to = h * d + 2 * i + p;
                    System.arraycopy(w.data(), w.offset() + from * cols, out.data(), to * cols, cols);
                }
            }
        }
        return out;
    }

    private static Map<String, Tensor> orderCanonical(Map<String, Tensor> dense, ModelConfig config) {
        Map<String, Tensor> ordered = new LinkedHashMap<>();
        for (String name : TensorNames.expectedShapes(config).keySet()) {
            if (dense.containsKey(name)) {
                ordered.put(name, dense.get(name));
            }
        }
        List<String> rest = new ArrayList<>(dense.keySet());
        rest.removeAll(ordered.keySet());
        for (String name : rest) {
            ordered.put(name, dense.get(name));
        }
        return ordered;
    }

    private static JsonNode readJson(Path file) {
        if (!Files.isRegularFile(file)) {
            throw new IllegalArgumentException("checkpoint " + file + " not found");
        }
        try {
            JsonNode root = JSON.readTree(file.toFile());
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException("checkpoint " + file + ": expected a JSON object");
            }
            return root;
        } catch (JacksonException e) {
            throw new IllegalArgumentException("checkpoint " + file + " is not valid JSON: " + e.getOriginalMessage(),
                    e);
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint " + file + ": failed to read: " + e.getMessage(), e);
        }
    }

    private static int requiredInt(JsonNode root, String field, String source) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            throw configError(source, "required field " + field + " is missing");
        }
        if (!node.isIntegralNumber() || !node.canConvertToInt()) {
            throw configError(source, "field " + field + " is " + node + " but must be an integer");
        }
        return node.intValue();
    }

    private static double requiredNumber(JsonNode root, String field, String source) {
        JsonNode node = root.get(field);
        if (node == null || node.isNull()) {
            throw configError(source, "required field " + field + " is missing");
        }
        if (!node.isNumber()) {
            throw configError(source, "field " + field + " is " + node + " but must be a number");
        }
        return node.doubleValue();
    }

    private static IllegalArgumentException configError(String source, String message) {
        return new IllegalArgumentException("checkpoint " + source + ": " + message);
    }
}
