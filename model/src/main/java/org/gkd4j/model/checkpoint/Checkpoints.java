package org.gkd4j.model.checkpoint;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads model weights from any supported checkpoint format, and the stories260K model shipped as a resource. */
public final class Checkpoints {

    private static final String RESOURCES = "/org/gkd4j/model/stories260K/";
    /** The formats that {@link #load} reads, for error messages. */
    static final String ACCEPTED_FORMATS =
            "pass a llama2.c .bin file, a .safetensors file or a Hugging Face model directory";

    private Checkpoints() {
    }

    /**
     * Loads and validates the weights at {@code path}: a Hugging Face Llama directory (config.json and
     * safetensors) or a safetensors file beside its config.json, a {@code .safetensors} file written by gkd4j, or a
     * llama2.c {@code .bin} of version 0, 1 or 2.
     */
    public static ModelWeights load(Path path) {
        if (Files.isDirectory(path)) {
            Path student = path.resolve("student.safetensors");
            if (Files.isRegularFile(student) && !Files.exists(path.resolve("model.safetensors"))) {
                throw new IllegalArgumentException("checkpoint " + path + " is a gkd4j run directory, not a Hugging"
                        + " Face model; pass its weights file " + student);
            }
            return HuggingFaceReader.read(path).weights();
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("checkpoint " + path + " not found; " + ACCEPTED_FORMATS);
        }
        if (isEmpty(path)) {
            throw new IllegalArgumentException("checkpoint " + path + " is an empty file; " + ACCEPTED_FORMATS);
        }
        if (path.getFileName().toString().endsWith(".json")) {
            throw new IllegalArgumentException("checkpoint " + path + " is a JSON file, not weights; pass the "
                    + "Hugging Face model directory that holds it, a .safetensors file or a llama2.c .bin file");
        }
        if (path.getFileName().toString().endsWith(".safetensors") || looksLikeSafetensors(path)) {
            // a Hugging Face weight file gets its config from the config.json beside it
            Path parent = path.toAbsolutePath().getParent();
            boolean gkd4j = SafetensorsFile.readMetadata(path).containsKey(LlamaSafetensors.FORMAT_KEY);
            if (!gkd4j && parent != null && Files.isRegularFile(parent.resolve("config.json"))) {
                return HuggingFaceReader.read(parent).weights();
            }
            return LlamaSafetensors.read(path);
        }
        return Llama2cReader.read(path);
    }

    private static boolean isEmpty(Path path) {
        try {
            return Files.size(path) == 0;
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint " + path + ": failed to read: " + e.getMessage(), e);
        }
    }

    /** Returns true when the file starts with a plausible safetensors header length followed by '{'. */
    private static boolean looksLikeSafetensors(Path path) {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] start = in.readNBytes(9);
            if (start.length < 9) {
                return false;
            }
            long headerLength = ByteBuffer.wrap(start).order(ByteOrder.LITTLE_ENDIAN).getLong();
            return start[8] == '{' && headerLength > 1 && headerLength < Files.size(path);
        } catch (IOException e) {
            throw new UncheckedIOException("checkpoint " + path + ": failed to read: " + e.getMessage(), e);
        }
    }

    /** Writes {@code weights} as a self-describing gkd4j safetensors file (F32, atomic). */
    public static void save(Path file, ModelWeights weights) {
        LlamaSafetensors.write(file, weights);
    }

    /** Returns Karpathy's stories260K model (fp32, llama2.c version 0): dim 64, 5 layers, 8 heads, 4 kv heads. */
    public static ModelWeights stories260K() {
        return Llama2cReader.read(stories260KFile(), "stories260K.bin");
    }

    /** Returns the same model exported by llama2.c in Q8_0 (version 2, group size 32, shared classifier). */
    public static ModelWeights stories260KQ8() {
        return Llama2cReader.read(stories260KQ8File(), "stories260K_q80.bin");
    }

    /** Returns the bytes of stories260K.bin, for tests that corrupt a copy. */
    static byte[] stories260KFile() {
        return resource("stories260K.bin");
    }

    /** Returns the bytes of stories260K_q80.bin, for tests that corrupt a copy. */
    static byte[] stories260KQ8File() {
        return resource("stories260K_q80.bin");
    }

    /** Returns the bytes of the llama2.c tokenizer file tok512.bin that goes with stories260K. */
    public static byte[] stories260KTokenizer() {
        return resource("tok512.bin");
    }

    private static byte[] resource(String name) {
        try (InputStream in = Checkpoints.class.getResourceAsStream(RESOURCES + name)) {
            if (in == null) {
                throw new IllegalStateException("resource " + RESOURCES + name + " is missing from the classpath;"
                        + " rebuild the model module");
            }
            return in.readAllBytes();
        } catch (IOException e) {
            throw new UncheckedIOException("failed to read resource " + RESOURCES + name, e);
        }
    }
}
