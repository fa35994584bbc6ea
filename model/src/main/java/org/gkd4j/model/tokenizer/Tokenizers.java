package org.gkd4j.model.tokenizer;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Loads tokenizers from files and from the resources shipped with gkd4j. */
public final class Tokenizers {

    /** Classpath resource of the 512-piece llama2.c tokenizer of stories260K. */
    public static final String STORIES_260K_RESOURCE = "/org/gkd4j/model/stories260K/tok512.bin";

    private Tokenizers() {
    }

    /**
     * Loads a tokenizer. A file named *.json is read as a Hugging Face tokenizer.json and a file named *.bin as a
     * llama2.c tokenizer.bin; any other name is read as JSON when its first non-blank byte is '{'. A directory is
     * searched for tokenizer.json, then tokenizer.bin.
     *
     * <p>NOTE: a tokenizer.bin does not store its token count, so a file cut exactly between two tokens past id
     * 258 loads with fewer pieces; {@link #load(Path, int)} catches that.
     */
    public static Tokenizer load(Path path) throws IOException {
        if (Files.isDirectory(path)) {
            for (String name : new String[] {"tokenizer.json", "tokenizer.bin"}) {
                Path candidate = path.resolve(name);
                if (Files.isRegularFile(candidate)) {
                    return load(candidate);
                }
            }
            throw new IllegalArgumentException("tokenizer: directory " + path
                    + " has neither tokenizer.json nor tokenizer.bin; pass the tokenizer file itself");
        }
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("tokenizer: file " + path + " not found");
        }
        String name = path.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".json")) {
            return ByteLevelBpeTokenizer.read(path);
        }
        if (name.endsWith(".bin")) {
            return Llama2cTokenizer.read(path);
        }
        return startsWithBrace(path) ? ByteLevelBpeTokenizer.read(path) : Llama2cTokenizer.read(path);
    }

    /**
     * Loads a tokenizer for a model with {@code modelVocabSize} logits: a tokenizer.bin must hold exactly that many
     * pieces, and a tokenizer.json may have fewer ids than the model (models often pad their vocabulary) but not
     * more.
     */
    public static Tokenizer load(Path path, int modelVocabSize) throws IOException {
        if (modelVocabSize <= 0) {
            throw new IllegalArgumentException("tokenizer: model vocabulary size " + modelVocabSize + " must be positive");
        }
        Path file = path;
        if (Files.isDirectory(path)) {
            Path json = path.resolve("tokenizer.json");
            file = Files.isRegularFile(json) ? json : path.resolve("tokenizer.bin");
        }
        String name = file.getFileName().toString().toLowerCase(java.util.Locale.ROOT);
        if (name.endsWith(".bin") && Files.isRegularFile(file)) {
            return Llama2cTokenizer.read(file, modelVocabSize);
        }
        Tokenizer tokenizer = load(file);
        if (tokenizer.vocabSize() > modelVocabSize) {
            throw new IllegalArgumentException("tokenizer: " + file + " has " + tokenizer.vocabSize()
                    + " ids but the model has only " + modelVocabSize + " logits; use the model's own tokenizer");
        }
        return tokenizer;
    }

    private static boolean startsWithBrace(Path path) throws IOException {
        try (InputStream in = Files.newInputStream(path)) {
            byte[] head = in.readNBytes(64);
            for (byte b : head) {
                if (b == '{') {
                    return true;
                }
                // skip blanks and a UTF-8 byte order mark
                if (b != ' ' && b != '\n' && b != '\r' && b != '\t' && b != (byte) 0xEF && b != (byte) 0xBB
                        && b != (byte) 0xBF) {
                    return false;
                }
            }
            return false;
        }
    }

    /** Returns the llama2.c tokenizer of stories260K (512 pieces) shipped in this jar. */
    public static Llama2cTokenizer stories260K() {
        return Stories260K.TOKENIZER;
    }

    /** Loaded on first use and shared, because tokenizers are immutable. */
    private static final class Stories260K {
        static final Llama2cTokenizer TOKENIZER = loadResource();

        private static Llama2cTokenizer loadResource() {
            try (InputStream in = Tokenizers.class.getResourceAsStream(STORIES_260K_RESOURCE)) {
                if (in == null) {
                    throw new IllegalStateException("tokenizer: classpath resource " + STORIES_260K_RESOURCE
                            + " not found; the gkd4j-model jar is incomplete");
                }
                return Llama2cTokenizer.parse(in.readAllBytes(), 512, STORIES_260K_RESOURCE);
            } catch (IOException e) {
                throw new UncheckedIOException("tokenizer: failed to read " + STORIES_260K_RESOURCE, e);
            }
        }
    }
}
