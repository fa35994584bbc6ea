package org.gkd4j.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Random;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class HuggingFaceReaderTest {

    // tiny model: C = 8, H = 2, G = 1, D = 4, F = 12, L = 2, V = 10
    private static final String CONFIG = """
            {"architectures": ["LlamaForCausalLM"], "model_type": "llama", "hidden_size": 8,
             "intermediate_size": 12, "num_hidden_layers": 2, "num_attention_heads": 2, "num_key_value_heads": 1,
             "vocab_size": 10, "max_position_embeddings": 16, "rope_theta": 500000.0, "rms_norm_eps": 1e-06,
             "tie_word_embeddings": false, "hidden_act": "silu", "rope_scaling": null, "torch_dtype": "float32"}
            """;

    @TempDir
    Path dir;

    @Test
    void permutationMatchesHandExample() {
        // 2 heads of D = 4, one column holding the row number: per head, rotate-half rows (0, 1 | 2, 3) pair as
        // (0, 2) and (1, 3), so the interleaved order is 0, 2, 1, 3
        Tensor hf = Tensor.of(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, 8, 1);
        Tensor interleaved = HuggingFaceReader.rotateHalfToInterleaved(hf, 2, "q");
        assertArrayEquals(new float[] {0, 2, 1, 3, 4, 6, 5, 7}, interleaved.toArray());
    }

    @Test
    void permutedWeightsGiveSameAttentionScores() {
        // q·k after RoPE must not depend on the layout: rotate-half RoPE on HF weights versus interleaved RoPE on
        // the permuted weights, computed in double at positions 3 and 7
        Random random = new Random(1);
        int d = 6;
        int c = 5;
        Tensor wq = randomTensor(random, d, c);
        Tensor wk = randomTensor(random, d, c);
        double[] x = new double[c];
        double[] y = new double[c];
        for (int i = 0; i < c; i++) {
            x[i] = random.nextGaussian();
            y[i] = random.nextGaussian();
        }
        double hfScore = dot(rotateHalf(project(wq, x), 3), rotateHalf(project(wk, y), 7));
        Tensor pq = HuggingFaceReader.rotateHalfToInterleaved(wq, 1, "q");
        Tensor pk = HuggingFaceReader.rotateHalfToInterleaved(wk, 1, "k");
        double gkdScore = dot(interleaved(project(pq, x), 3), interleaved(project(pk, y), 7));
        assertEquals(hfScore, gkdScore, 1e-9);
    }

    @Test
    void writerInvertsPermutationOnHandExample() {
        Tensor interleaved = Tensor.of(new float[] {0, 2, 1, 3, 4, 6, 5, 7}, 8, 1);
        Tensor hf = HuggingFaceWriter.interleavedToRotateHalf(interleaved, 2);
        assertArrayEquals(new float[] {0, 1, 2, 3, 4, 5, 6, 7}, hf.toArray());
    }

    @Test
    void writtenDirectoryReadsBackIdentical() {
        ModelWeights original = Checkpoints.stories260K();
        Path out = dir.resolve("hf");
        HuggingFaceWriter.write(out, original, SafetensorsDtype.F32);
        HuggingFaceCheckpoint read = HuggingFaceReader.read(out);
        assertEquals(original.config(), read.weights().config());
        for (String name : original.denseTensors().keySet()) {
            assertArrayEquals(original.tensor(name).toArray(), read.weights().tensor(name).toArray(), name);
        }
        assertFalse(read.tokenizerJson().isPresent());
    }

    @Test
    void writtenConfigUsesHfFieldNames() throws IOException {
        Path out = dir.resolve("hf");
        HuggingFaceWriter.write(out, Checkpoints.stories260K(), SafetensorsDtype.BF16);
        String json = Files.readString(out.resolve("config.json"));
        assertTrue(json.contains("\"hidden_size\" : 64"), json);
        assertTrue(json.contains("\"num_key_value_heads\" : 4"), json);
        assertTrue(json.contains("\"rms_norm_eps\" : 1.0E-5"), json);
        assertTrue(json.contains("\"torch_dtype\" : \"bfloat16\""), json);
        assertTrue(json.contains("\"tie_word_embeddings\" : true"), json);
    }

    @Test
    void shardedDirectoryLoadsWhatWasWritten() throws IOException {
        Map<String, Tensor> hf = writeTinyModel(dir, true, false);
        HuggingFaceCheckpoint checkpoint = HuggingFaceReader.read(dir);
        ModelWeights w = checkpoint.weights();

        ModelConfig config = w.config();
        assertEquals(8, config.dim());
        assertEquals(2, config.heads());
        assertEquals(1, config.kvHeads());
        assertEquals(12, config.hiddenDim());
        assertEquals(500000f, config.ropeTheta());
        assertEquals(1e-6f, config.normEps());
        assertFalse(config.tiedEmbeddings());

        assertArrayEquals(hf.get("model.embed_tokens.weight").toArray(), w.tensor("tok_embeddings").toArray());
        assertArrayEquals(hf.get("lm_head.weight").toArray(), w.tensor("output").toArray());
        assertArrayEquals(hf.get("model.norm.weight").toArray(), w.tensor("norm").toArray());
        for (int l = 0; l < 2; l++) {
            String p = "model.layers." + l + ".";
            assertArrayEquals(hf.get(p + "input_layernorm.weight").toArray(),
                    w.tensor(TensorNames.attentionNorm(l)).toArray());
            assertArrayEquals(hf.get(p + "post_attention_layernorm.weight").toArray(),
                    w.tensor(TensorNames.ffnNorm(l)).toArray());
            assertArrayEquals(hf.get(p + "self_attn.v_proj.weight").toArray(), w.tensor(TensorNames.wv(l)).toArray());
            assertArrayEquals(hf.get(p + "self_attn.o_proj.weight").toArray(), w.tensor(TensorNames.wo(l)).toArray());
            assertArrayEquals(hf.get(p + "mlp.gate_proj.weight").toArray(), w.tensor(TensorNames.w1(l)).toArray());
            assertArrayEquals(hf.get(p + "mlp.down_proj.weight").toArray(), w.tensor(TensorNames.w2(l)).toArray());
            assertArrayEquals(hf.get(p + "mlp.up_proj.weight").toArray(), w.tensor(TensorNames.w3(l)).toArray());

            // q and k: head h, interleaved row 2i + p is HF row p·D/2 + i (D = 4)
            Tensor q = hf.get(p + "self_attn.q_proj.weight");
            Tensor k = hf.get(p + "self_attn.k_proj.weight");
            int[] hfRowOf = {0, 2, 1, 3, 4, 6, 5, 7};
            for (int row = 0; row < 8; row++) {
                assertArrayEquals(q.row(hfRowOf[row]).toArray(), w.tensor(TensorNames.wq(l)).row(row).toArray());
            }
            for (int row = 0; row < 4; row++) {
                assertArrayEquals(k.row(hfRowOf[row]).toArray(), w.tensor(TensorNames.wk(l)).row(row).toArray());
            }
        }
        assertEquals(dir.resolve("tokenizer.json"), checkpoint.tokenizerJson().orElseThrow());
    }

    @Test
    void singleFileTiedModelLoadsThroughCheckpoints() throws IOException {
        writeTinyModel(dir, false, true);
        ModelWeights w = Checkpoints.load(dir);
        assertTrue(w.config().tiedEmbeddings());
        assertFalse(w.contains("output"));
    }

    @Test
    void weightFileBesideConfigLoadsAsDirectory() throws IOException {
        writeTinyModel(dir, false, false);
        ModelWeights w = Checkpoints.load(dir.resolve("model.safetensors"));
        assertEquals(8, w.config().dim());
        assertTrue(w.contains("output"));
    }

    @Test
    void configFileAsCheckpointNamesDirectory() throws IOException {
        writeTinyModel(dir, false, false);
        Path config = dir.resolve("config.json");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(config));
        assertTrue(e.getMessage().contains(config.toString()), e.getMessage());
        assertTrue(e.getMessage().contains("is a JSON file"), e.getMessage());
        assertTrue(e.getMessage().contains("Hugging Face model directory"), e.getMessage());
    }

    @Test
    void runDirectoryAsCheckpointNamesWeightsFile() throws IOException {
        Path run = Files.createDirectories(dir.resolve("run"));
        Files.writeString(run.resolve("config.json"), "{\"mode\": \"distill\"}");
        Checkpoints.save(run.resolve("student.safetensors"), Checkpoints.stories260K());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(run));
        assertTrue(e.getMessage().contains("is a gkd4j run directory"), e.getMessage());
        assertTrue(e.getMessage().contains("pass its weights file " + run.resolve("student.safetensors")),
                e.getMessage());
    }

    @Test
    void emptyFileAsCheckpointListsFormats() throws IOException {
        Path empty = Files.createFile(dir.resolve("empty.bin"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(empty));
        assertTrue(e.getMessage().contains(empty + " is an empty file; pass a llama2.c .bin file"), e.getMessage());
    }

    @Test
    void missingConfigFieldIsNamed() throws IOException {
        writeTinyModel(dir, false, false);
        Files.writeString(dir.resolve("config.json"), CONFIG.replace("\"rms_norm_eps\": 1e-06,", ""));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HuggingFaceReader.read(dir));
        assertTrue(e.getMessage().contains("rms_norm_eps is missing"), e.getMessage());
    }

    @Test
    void ropeScalingIsRejected() throws IOException {
        writeTinyModel(dir, false, false);
        Files.writeString(dir.resolve("config.json"), CONFIG.replace("\"rope_scaling\": null",
                "\"rope_scaling\": {\"rope_type\": \"llama3\", \"factor\": 8.0}"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HuggingFaceReader.read(dir));
        assertTrue(e.getMessage().contains("rope_scaling"), e.getMessage());
    }

    @Test
    void shapesThatDisagreeWithConfigAreRejected() throws IOException {
        writeTinyModel(dir, false, false);
        Files.writeString(dir.resolve("config.json"), CONFIG.replace("\"intermediate_size\": 12",
                "\"intermediate_size\": 16"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HuggingFaceReader.read(dir));
        assertTrue(e.getMessage().contains("layers.0.feed_forward.w1"), e.getMessage());
    }

    @Test
    void unknownTensorIsRejected() throws IOException {
        Map<String, Tensor> hf = tinyModel(false);
        hf.put("model.layers.0.self_attn.q_proj.bias", Tensor.zeros(8));
        Files.writeString(dir.resolve("config.json"), CONFIG);
        SafetensorsFile.write(dir.resolve("model.safetensors"), hf, Map.of("format", "pt"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HuggingFaceReader.read(dir));
        assertTrue(e.getMessage().contains("q_proj.bias"), e.getMessage());
    }

    @Test
    void indexNamingMissingShardIsRejected() throws IOException {
        writeTinyModel(dir, true, false);
        Files.delete(dir.resolve("model-00002-of-00002.safetensors"));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HuggingFaceReader.read(dir));
        assertTrue(e.getMessage().contains("model-00002-of-00002.safetensors not found"), e.getMessage());
    }

    /** Writes config.json, tokenizer.json and the weights (one file or two shards); returns the HF tensors. */
    private static Map<String, Tensor> writeTinyModel(Path dir, boolean sharded, boolean tied) throws IOException {
        Map<String, Tensor> hf = tinyModel(tied);
        Files.writeString(dir.resolve("config.json"), tied
                ? CONFIG.replace("\"tie_word_embeddings\": false", "\"tie_word_embeddings\": true") : CONFIG);
        Files.writeString(dir.resolve("tokenizer.json"), "{}");
        if (!sharded) {
            SafetensorsFile.write(dir.resolve("model.safetensors"), hf, Map.of("format", "pt"));
            return hf;
        }
        Map<String, Tensor> first = new LinkedHashMap<>();
        Map<String, Tensor> second = new LinkedHashMap<>();
        StringBuilder index = new StringBuilder("{\"metadata\": {}, \"weight_map\": {");
        for (Map.Entry<String, Tensor> entry : hf.entrySet()) {
            boolean inFirst = entry.getKey().startsWith("model.layers.0.") || entry.getKey().startsWith("model.embed");
            (inFirst ? first : second).put(entry.getKey(), entry.getValue());
            index.append(index.charAt(index.length() - 1) == '{' ? "" : ", ").append('"').append(entry.getKey())
                    .append("\": \"model-0000").append(inFirst ? 1 : 2).append("-of-00002.safetensors\"");
        }
        index.append("}}");
        SafetensorsFile.write(dir.resolve("model-00001-of-00002.safetensors"), first, Map.of("format", "pt"));
        SafetensorsFile.write(dir.resolve("model-00002-of-00002.safetensors"), second, Map.of("format", "pt"));
        Files.writeString(dir.resolve("model.safetensors.index.json"), index.toString());
        return hf;
    }

    private static Map<String, Tensor> tinyModel(boolean tied) {
        Random random = new Random(42);
        Map<String, Tensor> hf = new LinkedHashMap<>();
        hf.put("model.embed_tokens.weight", randomTensor(random, 10, 8));
        for (int l = 0; l < 2; l++) {
            String p = "model.layers." + l + ".";
            hf.put(p + "input_layernorm.weight", randomTensor(random, 8));
            hf.put(p + "self_attn.q_proj.weight", randomTensor(random, 8, 8));
            hf.put(p + "self_attn.k_proj.weight", randomTensor(random, 4, 8));
            hf.put(p + "self_attn.v_proj.weight", randomTensor(random, 4, 8));
            hf.put(p + "self_attn.o_proj.weight", randomTensor(random, 8, 8));
            hf.put(p + "post_attention_layernorm.weight", randomTensor(random, 8));
            hf.put(p + "mlp.gate_proj.weight", randomTensor(random, 12, 8));
            hf.put(p + "mlp.up_proj.weight", randomTensor(random, 12, 8));
            hf.put(p + "mlp.down_proj.weight", randomTensor(random, 8, 12));
        }
        hf.put("model.norm.weight", randomTensor(random, 8));
        if (!tied) {
            hf.put("lm_head.weight", randomTensor(random, 10, 8));
        }
        return hf;
    }

    private static Tensor randomTensor(Random random, int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.size(); i++) {
            t.set(i, (float) random.nextGaussian());
        }
        return t;
    }

    private static double[] project(Tensor w, double[] x) {
        double[] out = new double[w.dim(0)];
        for (int r = 0; r < out.length; r++) {
            for (int c = 0; c < x.length; c++) {
                out[r] += w.at(r, c) * x[c];
            }
        }
        return out;
    }

    /** HF RoPE: dimension i rotates with i + D/2 by angle pos·θ^(-2i/D). */
    private static double[] rotateHalf(double[] v, int pos) {
        int half = v.length / 2;
        double[] out = new double[v.length];
        for (int i = 0; i < half; i++) {
            double angle = pos * Math.pow(10000, -2.0 * i / v.length);
            out[i] = v[i] * Math.cos(angle) - v[i + half] * Math.sin(angle);
            out[i + half] = v[i + half] * Math.cos(angle) + v[i] * Math.sin(angle);
        }
        return out;
    }

    /** llama2.c RoPE: the pair (2i, 2i+1) rotates by angle pos·θ^(-2i/D). */
    private static double[] interleaved(double[] v, int pos) {
        double[] out = new double[v.length];
        for (int i = 0; i < v.length / 2; i++) {
            double angle = pos * Math.pow(10000, -2.0 * i / v.length);
            out[2 * i] = v[2 * i] * Math.cos(angle) - v[2 * i + 1] * Math.sin(angle);
            out[2 * i + 1] = v[2 * i + 1] * Math.cos(angle) + v[2 * i] * Math.sin(angle);
        }
        return out;
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }
}
