package org.gkd4j.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The shipped files were made by llama2.c's export.py, so they are the reference for the writer's output. */
class Llama2cWriterTest {

    /** Bytes before the RoPE tables: the 28-byte header and 264,128 floats minus the two [512, 4] tables. */
    private static final int WEIGHT_BYTES_BEFORE_ROPE = 28 + (264128 - 512 * 4 * 2) * 4;

    @TempDir
    Path dir;

    @Test
    void legacyExportMatchesShippedFileBytes() throws IOException {
        Path file = dir.resolve("out.bin");
        Llama2cWriter.writeLegacy(file, Checkpoints.stories260K());
        byte[] written = Files.readAllBytes(file);
        byte[] shipped = Checkpoints.stories260KFile();
        assertEquals(shipped.length, written.length);
        assertArrayEquals(Arrays.copyOf(shipped, WEIGHT_BYTES_BEFORE_ROPE),
                Arrays.copyOf(written, WEIGHT_BYTES_BEFORE_ROPE));

        // RoPE tables: computed here in Java, there in float32 PyTorch, so they agree to rounding
        ByteBuffer a = ByteBuffer.wrap(shipped).order(ByteOrder.LITTLE_ENDIAN);
        ByteBuffer b = ByteBuffer.wrap(written).order(ByteOrder.LITTLE_ENDIAN);
        for (int offset = WEIGHT_BYTES_BEFORE_ROPE; offset < shipped.length; offset += 4) {
            assertEquals(a.getFloat(offset), b.getFloat(offset), 2e-6f, "byte offset " + offset);
        }
    }

    @Test
    void q8ExportMatchesShippedQ8File() throws IOException {
        // quantizing the fp32 model here must reproduce export.py's Q8_0 file byte for byte
        Path file = dir.resolve("q80.bin");
        Llama2cWriter.writeQ8(file, Checkpoints.stories260K(), 32);
        byte[] written = Files.readAllBytes(file);
        byte[] shipped = Checkpoints.stories260KQ8File();
        assertEquals(shipped.length, written.length);
        int differences = 0;
        for (int i = 0; i < shipped.length; i++) {
            if (shipped[i] != written[i]) {
                differences++;
            }
        }
        assertEquals(0, differences, "bytes that differ from export.py's output");
    }

    @Test
    void q8ExportOfQ8ModelRoundTrips() throws IOException {
        Path file = dir.resolve("again.bin");
        Llama2cWriter.writeQ8(file, Checkpoints.stories260KQ8(), 32);
        assertArrayEquals(Checkpoints.stories260KQ8File(), Files.readAllBytes(file));
    }

    @Test
    void unsharedClassifierRoundTrips() throws IOException {
        ModelWeights tied = Checkpoints.stories260K();
        ModelConfig config = tied.config();
        ModelConfig untied = new ModelConfig(config.dim(), config.layers(), config.heads(), config.kvHeads(),
                config.hiddenDim(), config.vocabSize(), config.contextLength(), config.ropeTheta(), config.normEps(),
                false);
        Map<String, Tensor> tensors = new LinkedHashMap<>(tied.denseTensors());
        Tensor head = tied.tensor("tok_embeddings").copy();
        head.set(5, 42f);
        tensors.put("output", head);
        ModelWeights weights = ModelWeights.dense(untied, tensors);

        Path v0 = dir.resolve("v0.bin");
        Llama2cWriter.writeLegacy(v0, weights);
        ModelWeights read0 = Checkpoints.load(v0);
        assertFalse(read0.config().tiedEmbeddings());
        assertEquals(42f, read0.tensor("output").get(5));

        Path v2 = dir.resolve("v2.bin");
        Llama2cWriter.writeQ8(v2, weights, 32);
        ModelWeights read2 = Checkpoints.load(v2);
        assertFalse(read2.config().tiedEmbeddings());
        assertTrue(read2.isQuantized("output"));
        assertEquals(42f, read2.dequantized("output").get(5), 42f / 127 / 2);
    }

    @Test
    void ropeThetaOtherThanLlama2cIsRejected() {
        ModelConfig c = Checkpoints.stories260K().config();
        ModelConfig other = new ModelConfig(c.dim(), c.layers(), c.heads(), c.kvHeads(), c.hiddenDim(),
                c.vocabSize(), c.contextLength(), 500000f, c.normEps(), true);
        ModelWeights weights = ModelWeights.dense(other, Checkpoints.stories260K().denseTensors());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Llama2cWriter.writeLegacy(dir.resolve("x.bin"), weights));
        assertTrue(e.getMessage().contains("ropeTheta 500000"), e.getMessage());
    }
}
