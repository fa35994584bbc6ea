package org.gkd4j.model.checkpoint;

import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.tensor.Tensor;

/**
 * Writes a model as a Hugging Face Llama directory (config.json and model.safetensors) that
 * {@link HuggingFaceReader} and the transformers library's LlamaForCausalLM can load. This is the inverse of the
 * reader: canonical names become HF names and the q and k rows go back from interleaved RoPE pairs to HF's
 * rotate-half layout. The tokenizer is not written.
 */
public final class HuggingFaceWriter {

    private static final JsonMapper JSON = new JsonMapper();

    private HuggingFaceWriter() {
    }

    /** Writes config.json and model.safetensors into {@code directory} (created if needed), each file atomically. */
    public static void write(Path directory, ModelWeights weights, SafetensorsDtype dtype) {
        ModelConfig config = weights.validate().config();
        ModelWeights dense = weights.dequantizeAll();

        // weights: HF names, HF order, q and k permuted to rotate-half
        Map<String, Tensor> hf = new LinkedHashMap<>();
        hf.put("model.embed_tokens.weight", dense.tensor(TensorNames.TOK_EMBEDDINGS));
        for (int l = 0; l < config.layers(); l++) {
            String prefix = "model.layers." + l + ".";
            hf.put(prefix + "input_layernorm.weight", dense.tensor(TensorNames.attentionNorm(l)));
            hf.put(prefix + "self_attn.q_proj.weight",
                    interleavedToRotateHalf(dense.tensor(TensorNames.wq(l)), config.heads()));
            hf.put(prefix + "self_attn.k_proj.weight",
                    interleavedToRotateHalf(dense.tensor(TensorNames.wk(l)), config.kvHeads()));
            hf.put(prefix + "self_attn.v_proj.weight", dense.tensor(TensorNames.wv(l)));
            hf.put(prefix + "self_attn.o_proj.weight", dense.tensor(TensorNames.wo(l)));
            hf.put(prefix + "post_attention_layernorm.weight", dense.tensor(TensorNames.ffnNorm(l)));
            hf.put(prefix + "mlp.gate_proj.weight", dense.tensor(TensorNames.w1(l)));
            hf.put(prefix + "mlp.up_proj.weight", dense.tensor(TensorNames.w3(l)));
            hf.put(prefix + "mlp.down_proj.weight", dense.tensor(TensorNames.w2(l)));
        }
        hf.put("model.norm.weight", dense.tensor(TensorNames.NORM));
        if (!config.tiedEmbeddings()) {
            hf.put("lm_head.weight", dense.tensor(TensorNames.OUTPUT));
        }

        try {
            Files.createDirectories(directory);
        } catch (IOException e) {
            throw new UncheckedIOException("failed to create " + directory + ": " + e.getMessage(), e);
        }
        SafetensorsFile.write(directory.resolve("model.safetensors"), hf, Map.of("format", "pt"), dtype);
        try (AtomicOutput out = new AtomicOutput(directory.resolve("config.json"))) {
            out.putBytes(configJson(config, dtype).getBytes(StandardCharsets.UTF_8));
            out.commit();
        }
    }

    /** Returns config.json for {@code config}, with the field names and values of HF's LlamaConfig. */
    static String configJson(ModelConfig config, SafetensorsDtype dtype) {
        ObjectNode root = JSON.createObjectNode();
        root.putArray("architectures").add("LlamaForCausalLM");
        root.put("model_type", "llama");
        root.put("hidden_size", config.dim());
        root.put("intermediate_size", config.hiddenDim());
        root.put("num_hidden_layers", config.layers());
        root.put("num_attention_heads", config.heads());
        root.put("num_key_value_heads", config.kvHeads());
        root.put("vocab_size", config.vocabSize());
        root.put("max_position_embeddings", config.contextLength());
        // floats go through their decimal string so 1e-5f is written as 1.0E-5, not 9.999999747378752E-6
        root.put("rope_theta", Double.parseDouble(Float.toString(config.ropeTheta())));
        root.put("rms_norm_eps", Double.parseDouble(Float.toString(config.normEps())));
        root.put("tie_word_embeddings", config.tiedEmbeddings());
        root.put("hidden_act", "silu");
        root.put("attention_bias", false);
        root.put("mlp_bias", false);
        root.putNull("rope_scaling");
        root.put("torch_dtype", switch (dtype) {
            case F32 -> "float32";
            case F16 -> "float16";
            case BF16 -> "bfloat16";
        });
        return root.toPrettyString() + "\n";
    }

    /**
     * Permutes the rows of a q or k projection [heads·D, C] from interleaved RoPE pairs to HF's rotate-half layout:
     * within each head, out row p·D/2 + i = in row 2i + p, the inverse of
     * {@link HuggingFaceReader#rotateHalfToInterleaved}.
     */
    static Tensor interleavedToRotateHalf(Tensor w, int heads) {
        int d = w.dim(0) / heads;
        int cols = w.dim(1);
        Tensor out = Tensor.zeros(w.dim(0), cols);
        for (int h = 0; h < heads; h++) {
            for (int i = 0; i < d / 2; i++) {
                for (int p = 0; p < 2; p++) {
                    int from = h * d + 2 * i + p;
                    int to = h * d + p * (d / 2) + i;
                    System.arraycopy(w.data(), w.offset() + from * cols, out.data(), to * cols, cols);
                }
            }
        }
        return out;
    }
}
