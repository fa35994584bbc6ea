package org.gkd4j.cli;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gkd4j.model.Transformer;
import org.gkd4j.model.checkpoint.Checkpoints;
import org.gkd4j.model.checkpoint.ModelWeights;
import org.gkd4j.model.tokenizer.Llama2cTokenizer;
import org.gkd4j.model.tokenizer.Tokenizer;
import org.gkd4j.model.tokenizer.Tokenizers;
import org.gkd4j.tensor.kernels.Parallel;
import picocli.CommandLine.Option;

/** The model, tokenizer and thread options shared by {@code gkd4j generate} and {@code gkd4j eval}. */
public final class ModelOptions {

    @Option(names = "--model", paramLabel = "PATH",
            description = "llama2.c .bin, .safetensors file or Hugging Face directory (default: the shipped stories260K).")
    Path model;

    @Option(names = "--tokenizer", paramLabel = "PATH",
            description = "tokenizer.bin or tokenizer.json (default: the one in or beside --model; for a model"
                    + " with a 512-token vocabulary and none beside it, the shipped stories260K tokenizer).")
    Path tokenizer;

    @Option(names = "--threads", paramLabel = "N", description = "Threads for the forward pass (default 1).")
    int threads = 1;

    /** Vocabulary size of the shipped stories260K tokenizer, the fallback for models without their own. */
    static final int STORIES_260K_VOCAB = 512;

    /** The loaded model: weights (possibly Q8_0), the float model over them and the tokenizer. */
    record Loaded(ModelWeights weights, Transformer transformer, Tokenizer tokenizer) {
    }

    /**
     * Loads the model and its tokenizer, checking that they agree on the vocabulary size.
     *
     * @throws CliException for a missing or unreadable file, with a message that names it
     */
    Loaded load() {
        if (threads < 1) {
            throw new CliException("--threads is " + threads + " but must be at least 1");
        }
        Parallel.setThreads(threads);
        ModelWeights weights;
        try {
            weights = model == null ? Checkpoints.stories260K() : Checkpoints.load(model);
        } catch (IllegalArgumentException | UncheckedIOException e) {
            throw new CliException("cannot load --model " + model + ": " + e.getMessage());
        }
        Tokenizer loadedTokenizer = loadTokenizer(weights.config().vocabSize());
        // a tokenizer.bin must match the model's vocabulary exactly; a tokenizer.json may have fewer ids (padding)
        boolean exact = loadedTokenizer instanceof Llama2cTokenizer;
        if (exact ? loadedTokenizer.vocabSize() != weights.config().vocabSize()
                : loadedTokenizer.vocabSize() > weights.config().vocabSize()) {
            throw new CliException("the tokenizer has " + loadedTokenizer.vocabSize() + " tokens but the model's"
                    + " vocabulary has " + weights.config().vocabSize() + "; pass the tokenizer the model was trained with");
        }
        return new Loaded(weights, Transformer.fromWeights(weights), loadedTokenizer);
    }

    private Tokenizer loadTokenizer(int modelVocabSize) {
        Path path = tokenizer;
        if (path == null && model == null) {
            return Tokenizers.stories260K();
        }
        if (path == null) {
            Path folder = Files.isDirectory(model) ? model : model.toAbsolutePath().getParent();
            for (String name : new String[] {"tokenizer.json", "tokenizer.bin"}) {
                if (folder != null && Files.isRegularFile(folder.resolve(name))) {
                    path = folder.resolve(name);
                    break;
                }
            }
            if (path == null && modelVocabSize == STORIES_260K_VOCAB) {
                // a 512-token model is a stories260K student: its tokenizer ships inside the jar
                System.err.println("gkd4j: no tokenizer beside --model " + model + "; using the shipped stories260K"
                        + " tokenizer (the model's vocabulary is " + STORIES_260K_VOCAB + ")");
                return Tokenizers.stories260K();
            }
            if (path == null) {
                throw new CliException("no tokenizer.json or tokenizer.bin found beside --model " + model
                        + "; pass --tokenizer PATH");
            }
        }
        // name the file as the user gave it: --tokenizer, or the one found beside --model
        String source = tokenizer != null ? "--tokenizer " + path
                : "tokenizer " + path + " (found beside --model; pass --tokenizer to use another)";
        try {
            return Tokenizers.load(path);
        } catch (IllegalArgumentException | IOException | UncheckedIOException e) {
            throw new CliException("cannot load " + source + ": " + e.getMessage());
        }
    }

    /** A user error: the command prints the message and exits with {@link Main#EXIT_USAGE}. */
    static final class CliException extends RuntimeException {
        CliException(String message) {
            super(message);
        }
    }
}
