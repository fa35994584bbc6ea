package org.gkd4j.model.checkpoint;

import java.nio.file.Path;
import java.util.Optional;

/**
 * A Hugging Face Llama model directory after loading: the validated weights and the path of its tokenizer.json,
 * when the directory has one, for the tokenizer to parse.
 */
public record HuggingFaceCheckpoint(ModelWeights weights, Optional<Path> tokenizerJson) {
}
