package org.gkd4j.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.quant.Q8Tensor;
import org.junit.jupiter.api.Test;

/** Expected numbers were read from the shipped files with Python's struct module, independently of this reader. */
class Llama2cReaderTest {

    @Test
    void stories260KHeaderMatchesPublishedConfig() {
        ModelConfig config = Checkpoints.stories260K().config();
        assertEquals(64, config.dim());
        assertEquals(172, config.hiddenDim());
        assertEquals(5, config.layers());
        assertEquals(8, config.heads());
        assertEquals(4, config.kvHeads());
        assertEquals(512, config.vocabSize());
        assertEquals(512, config.contextLength());
        assertTrue(config.tiedEmbeddings());
        assertEquals(10000f, config.ropeTheta());
        assertEquals(1e-5f, config.normEps());
    }

    @Test
    void stories260KSpotValuesMatchPython() {
        ModelWeights w = Checkpoints.stories260K();
        assertEquals((float) -0.29474878311157227, w.tensor("tok_embeddings").at(0, 0));
        assertEquals((float) 0.5618956089019775, w.tensor("tok_embeddings").at(0, 1));
        assertEquals((float) -0.424032598733902, w.tensor("tok_embeddings").at(511, 63));
        assertEquals((float) 0.9722429513931274, w.tensor("layers.0.attention_norm").at(0));
        assertEquals((float) -0.06868838518857956, w.tensor("layers.2.attention.wq").at(5, 7));
        assertEquals((float) -0.2651301622390747, w.tensor("layers.4.attention.wk").at(31, 63));
        assertEquals((float) 0.09112543612718582, w.tensor("layers.0.attention.wv").at(0, 0));
        assertEquals((float) 0.05289609730243683, w.tensor("layers.1.attention.wo").at(10, 20));
        assertEquals((float) 1.1283950805664062, w.tensor("layers.3.ffn_norm").at(9));
        assertEquals((float) -0.07371408492326736, w.tensor("layers.0.feed_forward.w1").at(171, 0));
        assertEquals((float) -0.0631706714630127, w.tensor("layers.3.feed_forward.w2").at(63, 171));
        assertEquals((float) -0.3056771159172058, w.tensor("layers.4.feed_forward.w3").at(100, 50));
        assertEquals((float) 2.4583089351654053, w.tensor("norm").at(0));
        assertEquals((float) 1.7077769041061401, w.tensor("norm").at(63));
    }

    @Test
    void stories260KHasCanonicalNamesAndShapes() {
        ModelWeights w = Checkpoints.stories260K();
        assertEquals(5 * 9 + 2, w.denseTensors().size());
        assertFalse(w.contains("output"));
        assertEquals("tok_embeddings", w.outputName());
        assertEquals("[64, 172]", w.tensor("layers.1.feed_forward.w2").shapeString());
        assertEquals("[32, 64]", w.tensor("layers.1.attention.wk").shapeString());
    }

    @Test
    void q8HeaderAndSpotValuesMatchPython() {
        ModelWeights w = Checkpoints.stories260KQ8();
        assertTrue(w.config().tiedEmbeddings());
        assertEquals(5, w.config().layers());
        Q8Tensor tok = w.quantized("tok_embeddings");
        assertEquals(32, tok.groupSize());
        assertEquals(-42, tok.values()[0]);
        assertEquals(81, tok.values()[1]);
        assertEquals((float) 0.006935544777661562, tok.scales()[0]);
        Q8Tensor w2 = w.quantized("layers.3.feed_forward.w2");
        assertEquals(-36, w2.values()[63 * 172 + 171]);
        assertEquals((float) 0.0017767177196219563, w2.scales()[(63 * 172 + 171) / 32]);
        // element (1, 0) is flat index 172, in the group 5 that spans rows 0 and 1
        assertEquals(10, w2.values()[172]);
        assertEquals((float) 0.003314393572509289, w2.scales()[5]);
    }

    @Test
    void q8WithinHalfStepOfFp32() {
        // Rounding to the nearest int8 step bounds each error by s/2 for the element's group scale s. The largest
        // scale here is about 1.85/127, so errors reach 0.0073 in wq (not the 0.005 one might expect).
        ModelWeights fp32 = Checkpoints.stories260K();
        ModelWeights q8 = Checkpoints.stories260KQ8();
        float overallMax = 0;
        for (String name : TensorNames.expectedShapes(fp32.config()).keySet()) {
            Tensor expected = fp32.tensor(name);
            if (TensorNames.isNorm(name)) {
                assertFalse(q8.isQuantized(name), name);
                assertTrue(Arrays.equals(expected.toArray(), q8.tensor(name).toArray()), name + " bit-identical");
                continue;
            }
            assertTrue(q8.isQuantized(name), name);
            Q8Tensor q = q8.quantized(name);
            float[] actual = q8.dequantized(name).toArray();
            for (int i = 0; i < actual.length; i++) {
                float error = Math.abs(actual[i] - expected.get(i));
                float bound = 0.5f * q.scales()[i / q.groupSize()] * 1.0001f + 1e-7f;
                assertTrue(error <= bound, name + "[" + i + "] error " + error + " above half a step " + bound);
                overallMax = Math.max(overallMax, error);
            }
        }
        assertTrue(overallMax <= 0.0075f, "max error " + overallMax);
    }

    @Test
    void q8EmbeddingRowMatchesDequantizedTable() {
        ModelWeights q8 = Checkpoints.stories260KQ8();
        Tensor row = Tensor.zeros(64);
        q8.embeddingRow(300, row);
        Tensor table = q8.dequantized("tok_embeddings");
        assertTrue(Arrays.equals(table.row(300).toArray(), row.toArray()));
        ModelWeights dense = q8.dequantizeAll();
        assertTrue(dense.quantizedTensors().isEmpty());
        dense.validate();
    }

    @Test
    void truncatedLegacyFileIsRejected() {
        byte[] full = Checkpoints.stories260KFile();
        byte[] cut = Arrays.copyOf(full, full.length - 100);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Llama2cReader.read(cut, "cut.bin"));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
        assertTrue(e.getMessage().contains("1056540 bytes"), e.getMessage());
    }

    @Test
    void truncatedHeaderIsRejected() {
        byte[] cut = Arrays.copyOf(Checkpoints.stories260KFile(), 10);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Llama2cReader.read(cut, "cut.bin"));
        assertTrue(e.getMessage().contains("header"), e.getMessage());
    }

    @Test
    void truncatedQ8FileIsRejected() {
        byte[] full = Checkpoints.stories260KQ8File();
        byte[] cut = Arrays.copyOf(full, full.length - 1);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Llama2cReader.read(cut, "cut.bin"));
        assertTrue(e.getMessage().contains("truncated"), e.getMessage());
    }

    @Test
    void headerThatDisagreesWithDataIsRejected() {
        // dim 96 (heads 8 gives head size 12) describes a bigger model than the bytes that follow
        byte[] data = Checkpoints.stories260KFile();
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 96);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Llama2cReader.read(data, "bad.bin"));
        assertTrue(e.getMessage().contains("dim 96"), e.getMessage());
    }

    @Test
    void invalidHeaderValueIsNamed() {
        byte[] data = Checkpoints.stories260KFile();
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putInt(16, 0);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Llama2cReader.read(data, "bad.bin"));
        assertTrue(e.getMessage().contains("n_kv_heads"), e.getMessage());
    }

    @Test
    void wrongMagicIsRejected() {
        // "ak43" is no llama2.c magic, so the bytes are read as a version-0 header and must not make a model
        byte[] data = Checkpoints.stories260KQ8File();
        data[0] = '3';
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Llama2cReader.read(data, "bad.bin"));
        assertTrue(e.getMessage().contains("first int32 is 0x616b3433"), e.getMessage());
        assertTrue(e.getMessage().contains("a .safetensors file or a Hugging Face model directory"), e.getMessage());
    }

    @Test
    void unknownVersionIsRejected() {
        byte[] data = Checkpoints.stories260KQ8File();
        ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN).putInt(4, 7);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Llama2cReader.read(data, "bad.bin"));
        assertTrue(e.getMessage().contains("version 7"), e.getMessage());
    }

    @Test
    void validateNamesTheTensorWithWrongShape() {
        ModelWeights w = Checkpoints.stories260K();
        Map<String, Tensor> dense = new LinkedHashMap<>(w.denseTensors());
        dense.put("layers.2.attention.wk", Tensor.zeros(64, 64));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelWeights.dense(w.config(), dense).validate());
        assertTrue(e.getMessage().contains("layers.2.attention.wk"), e.getMessage());
        assertTrue(e.getMessage().contains("[32, 64]"), e.getMessage());
    }

    @Test
    void validateNamesTheMissingTensor() {
        ModelWeights w = Checkpoints.stories260K();
        Map<String, Tensor> dense = new LinkedHashMap<>(w.denseTensors());
        dense.remove("layers.4.ffn_norm");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> ModelWeights.dense(w.config(), dense).validate());
        assertTrue(e.getMessage().contains("layers.4.ffn_norm"), e.getMessage());
    }

    @Test
    void negativeVocabMeansOwnClassifier() {
        // llama2.c v0 marks an unshared classifier with a negative vocab_size and appends it after the RoPE tables
        byte[] shared = Checkpoints.stories260KFile();
        ByteBuffer file = ByteBuffer.allocate(shared.length + 512 * 64 * 4).order(ByteOrder.LITTLE_ENDIAN);
        file.put(shared);
        file.putInt(20, -512);
        for (int i = 0; i < 512 * 64; i++) {
            file.putFloat(i * 0.001f);
        }
        ModelWeights w = Llama2cReader.read(file.array(), "unshared.bin");
        assertFalse(w.config().tiedEmbeddings());
        assertEquals(512, w.config().vocabSize());
        assertEquals("output", w.outputName());
        assertEquals(3 * 0.001f, w.tensor("output").at(0, 3));
        assertEquals((512 * 64 - 1) * 0.001f, w.tensor("output").at(511, 63));
    }

    @Test
    void version1LayoutReadsNormsFirst() {
        // version 1: 256-byte header (magic, version, 7 ints, shared flag), then all norms, then the fp32 matrices
        ModelWeights v0 = Checkpoints.stories260K();
        ByteBuffer file = ByteBuffer.allocate(256 + 264128 * 4 - 512 * 4 * 2 * 4).order(ByteOrder.LITTLE_ENDIAN);
        file.putInt(0x616b3432).putInt(1);
        for (int value : new int[] {64, 172, 5, 8, 4, 512, 512}) {
            file.putInt(value);
        }
        file.put((byte) 1);
        file.position(256);
        String[] kinds = {"attention_norm", "ffn_norm"};
        for (String kind : kinds) {
            for (int l = 0; l < 5; l++) {
                putAll(file, v0.tensor("layers." + l + "." + kind));
            }
        }
        putAll(file, v0.tensor("norm"));
        putAll(file, v0.tensor("tok_embeddings"));
        String[] matrices = {"attention.wq", "attention.wk", "attention.wv", "attention.wo", "feed_forward.w1",
            "feed_forward.w2", "feed_forward.w3"};
        for (String kind : matrices) {
            for (int l = 0; l < 5; l++) {
                putAll(file, v0.tensor("layers." + l + "." + kind));
            }
        }
        assertEquals(file.capacity(), file.position());

        ModelWeights v1 = Llama2cReader.read(file.array(), "v1.bin");
        assertEquals(v0.config(), v1.config());
        for (String name : v0.denseTensors().keySet()) {
            assertTrue(Arrays.equals(v0.tensor(name).toArray(), v1.tensor(name).toArray()), name);
        }
    }

    private static void putAll(ByteBuffer file, Tensor tensor) {
        for (float value : tensor.toArray()) {
            file.putFloat(value);
        }
    }
}
