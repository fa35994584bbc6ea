package org.gkd4j.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class LlamaSafetensorsTest {

    @TempDir
    Path dir;

    @Test
    void roundTripKeepsTensorsAndConfig() {
        ModelWeights original = Checkpoints.stories260K();
        Path file = dir.resolve("stories.safetensors");
        Checkpoints.save(file, original);

        ModelWeights read = Checkpoints.load(file);
        assertEquals(original.config(), read.config());
        assertEquals(List.copyOf(original.denseTensors().keySet()), List.copyOf(read.denseTensors().keySet()));
        for (String name : original.denseTensors().keySet()) {
            assertArrayEquals(original.tensor(name).toArray(), read.tensor(name).toArray(), name);
            assertEquals(original.tensor(name).shapeString(), read.tensor(name).shapeString(), name);
        }
    }

    @Test
    void metadataDescribesTheModel() {
        Path file = dir.resolve("m.safetensors");
        Checkpoints.save(file, Checkpoints.stories260K());
        Map<String, String> metadata = SafetensorsFile.readMetadata(file);
        assertEquals("llama", metadata.get("gkd4j.format"));
        assertEquals("gkd4j", metadata.get("gkd4j.tensor_names"));
        assertEquals("64", metadata.get("dim"));
        assertEquals("172", metadata.get("hiddenDim"));
        assertEquals("4", metadata.get("kvHeads"));
        assertEquals("true", metadata.get("tiedEmbeddings"));
        assertEquals("10000.0", metadata.get("ropeTheta"));
    }

    @Test
    void q8ModelIsSavedDequantized() {
        ModelWeights q8 = Checkpoints.stories260KQ8();
        Path file = dir.resolve("q8.safetensors");
        Checkpoints.save(file, q8);
        ModelWeights read = Checkpoints.load(file);
        assertTrue(read.quantizedTensors().isEmpty());
        assertArrayEquals(q8.dequantized("layers.2.feed_forward.w2").toArray(),
                read.tensor("layers.2.feed_forward.w2").toArray());
    }

    @Test
    void missingConfigFieldIsNamed() {
        Map<String, String> metadata = new LinkedHashMap<>(LlamaSafetensors.metadata(Checkpoints.stories260K()
                .config()));
        metadata.remove("normEps");
        Path file = dir.resolve("bad.safetensors");
        SafetensorsFile.write(file, Checkpoints.stories260K().denseTensors(), metadata);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(file));
        assertTrue(e.getMessage().contains("normEps is missing"), e.getMessage());
    }

    @Test
    void shapesThatDisagreeWithConfigAreRejected() {
        ModelWeights w = Checkpoints.stories260K();
        Map<String, String> metadata = new LinkedHashMap<>(LlamaSafetensors.metadata(w.config()));
        metadata.put("hiddenDim", "128");
        Path file = dir.resolve("bad.safetensors");
        SafetensorsFile.write(file, w.denseTensors(), metadata);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(file));
        assertTrue(e.getMessage().contains("layers.0.feed_forward.w1"), e.getMessage());
        assertTrue(e.getMessage().contains("[128, 64]"), e.getMessage());
    }

    @Test
    void fileWithoutFormatMarkerIsRejected() {
        Path file = dir.resolve("plain.safetensors");
        SafetensorsFile.write(file, Map.of("a", Tensor.zeros(2)), Map.of());
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Checkpoints.load(file));
        assertTrue(e.getMessage().contains(file + " is a safetensors file without gkd4j metadata"), e.getMessage());
        assertTrue(e.getMessage().contains("pass its directory (with config.json)"), e.getMessage());
    }

    @Test
    void missingFileIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Checkpoints.load(dir.resolve("nothing.bin")));
        assertTrue(e.getMessage().contains("not found"), e.getMessage());
    }
}
