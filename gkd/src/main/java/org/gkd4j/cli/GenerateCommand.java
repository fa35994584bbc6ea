package org.gkd4j.cli;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import org.gkd4j.gkd.data.Utf8Text;
import org.gkd4j.model.sampling.Generation;
import org.gkd4j.model.sampling.Generator;
import org.gkd4j.model.sampling.SamplingOptions;
import org.gkd4j.model.tokenizer.Tokenizer;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/** {@code gkd4j generate}: completes one prompt or a JSONL file of prompts with the KV-cache sampler. */
@Command(name = "generate", mixinStandardHelpOptions = true, description = "Generates completions with a KV cache.")
public final class GenerateCommand implements Callable<Integer> {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Mixin
    ModelOptions modelOptions = new ModelOptions();

    @Option(names = "--prompt", paramLabel = "TEXT", description = "Prompt text; empty or absent (the default) starts from BOS.")
    String prompt;

    @Option(names = "--prompts", paramLabel = "FILE.jsonl",
            description = "One JSON object per line with a \"prompt\" string; all are generated in batches (default: --prompt).")
    Path promptsFile;

    @Option(names = "--temperature", paramLabel = "T", description = "Softmax temperature; 0 is greedy (default 1.0).")
    float temperature = 1f;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample among the K most probable tokens; 0 keeps all (default 0).")
    int topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass in (0, 1]; 1 keeps all (default 0.9, which cuts the unlikely tail; distill samples with 1).")
    float topP = 0.9f;

    @Option(names = "--seed", paramLabel = "SEED", description = "Random seed; the same seed gives the same text (default 42).")
    long seed = 42;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Maximum tokens generated per prompt; generation stops earlier at EOS (default 256).")
    int maxNewTokens = 256;

    @Option(names = "--batch-size", paramLabel = "N", description = "Prompts decoded together (default 16).")
    int batchSize = 16;

    @Option(names = "--format", paramLabel = "text|jsonl",
            description = "text: prompt and completion; jsonl: prompt, completion, token_ids, logprobs per line (default text).")
    String format = "text";

    @Override
    public Integer call() {
        PrintStream out = System.out;
        try {
            return run(out);
        } catch (ModelOptions.CliException | IllegalArgumentException e) {
            System.err.println("gkd4j generate: " + e.getMessage());
            return Main.EXIT_USAGE;
        }
    }

    private int run(PrintStream out) {
        if (!format.equals("text") && !format.equals("jsonl")) {
            throw new ModelOptions.CliException("--format is '" + format + "' but must be text or jsonl");
        }
        if (prompt != null && promptsFile != null) {
            throw new ModelOptions.CliException("--prompt and --prompts exclude each other; pass one of them");
        }
        if (batchSize < 1) {
            throw new ModelOptions.CliException("--batch-size is " + batchSize + " but must be at least 1");
        }
        List<String> texts = promptsFile != null ? readPrompts(promptsFile) : List.of(prompt == null ? "" : prompt);
        SamplingOptions options;
        try {
            options = new SamplingOptions(temperature, topK, topP, seed, maxNewTokens, -1);
        } catch (IllegalArgumentException e) {
            throw new ModelOptions.CliException(optionNames(e.getMessage()));
        }
        ModelOptions.Loaded loaded = modelOptions.load();
        Tokenizer tokenizer = loaded.tokenizer();
        int contextLength = loaded.weights().config().contextLength();
        if (maxNewTokens >= contextLength) {
            throw new ModelOptions.CliException("--max-new-tokens is " + maxNewTokens + " but the model's context"
                    + " length is " + contextLength + " (prompt included); pass at most " + (contextLength - 1));
        }
        options = new SamplingOptions(temperature, topK, topP, seed, maxNewTokens, tokenizer.eosId());

        // prompts: token ids, BOS first; an empty prompt is BOS alone
        int[][] prompts = new int[texts.size()][];
        for (int i = 0; i < prompts.length; i++) {
            prompts[i] = tokenizer.encode(texts.get(i), true, false);
            if (prompts[i].length == 0) {
                throw new ModelOptions.CliException("prompt " + (i + 1) + " is empty and the tokenizer has no BOS"
                        + " token to start from; give a non-empty prompt");
            }
            if (prompts[i].length >= contextLength) {
                throw new ModelOptions.CliException("prompt " + (i + 1) + " has " + prompts[i].length + " tokens (BOS"
                        + " included) but the model's context length is " + contextLength + ", which leaves no room"
                        + " for new tokens; shorten it");
            }
        }

        Generation[] generations;
        try (Generator generator = Generator.forWeights(loaded.transformer(), loaded.weights(),
                Math.min(batchSize, prompts.length), modelOptions.threads)) {
            generations = generator.generate(prompts, options);
        }

        for (int i = 0; i < prompts.length; i++) {
            String completion = completionText(tokenizer, prompts[i], generations[i].tokens());
            if (format.equals("text")) {
                out.println(texts.get(i) + completion);
            } else {
                out.println(jsonLine(texts.get(i), completion, generations[i]));
            }
        }
        out.flush();
        return 0;
    }

    /** Rewrites a SamplingOptions message from its field names to this command's option names. */
    static String optionNames(String message) {
        return message.replace("sampling: ", "")
                .replace("maxNewTokens", "--max-new-tokens")
                .replace("topP", "--top-p")
                .replace("topK", "--top-k")
                .replace("temperature", "--temperature");
    }

    /** Decodes the generated ids as they continue the prompt (the first piece's spacing depends on its predecessor). */
    static String completionText(Tokenizer tokenizer, int[] prompt, int[] generated) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        int previous = prompt[prompt.length - 1];
        for (int id : generated) {
            bytes.writeBytes(tokenizer.decodePieceBytes(previous, id));
            previous = id;
        }
        return bytes.toString(StandardCharsets.UTF_8);
    }

    private static String jsonLine(String prompt, String completion, Generation generation) {
        ObjectNode line = JSON.createObjectNode();
        line.put("prompt", prompt);
        line.put("completion", completion);
        ArrayNode ids = line.putArray("token_ids");
        for (int id : generation.tokens()) {
            ids.add(id);
        }
        ArrayNode logprobs = line.putArray("logprobs");
        for (float logprob : generation.logprobs()) {
            logprobs.add(logprob);
        }
        return line.toString();
    }

    /** Reads the "prompt" string of every non-blank line; a malformed line is a usage error naming its number. */
    private static List<String> readPrompts(Path file) {
        List<String> lines;
        if (!Files.exists(file)) {
            throw new ModelOptions.CliException("--prompts " + file + " not found; pass an existing JSONL file");
        }
        try {
            lines = Utf8Text.read(file, "--prompts " + file).lines().toList();
        } catch (IOException e) {
            throw new ModelOptions.CliException("cannot read --prompts " + file + ": " + e.getMessage());
        }
        List<String> prompts = new ArrayList<>();
        for (int i = 0; i < lines.size(); i++) {
            if (lines.get(i).isBlank()) {
                continue;
            }
            prompts.add(JsonlField.string(file, i + 1, lines.get(i), "prompt"));
        }
        if (prompts.isEmpty()) {
            throw new ModelOptions.CliException("--prompts " + file + " has no prompt lines");
        }
        return prompts;
    }

    /** Reads one string field from a JSONL line, for both generate and eval. */
    static final class JsonlField {
        private JsonlField() {
        }

        static String string(Path file, int lineNumber, String line, String field) {
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new ModelOptions.CliException(file + " line " + lineNumber + ": invalid JSON ("
                        + e.getOriginalMessage() + "); each line must be one JSON object with a \"" + field
                        + "\" string");
            }
            if (node == null || !node.isObject()) {
                throw new ModelOptions.CliException(file + " line " + lineNumber + ": expected a JSON object with a \""
                        + field + "\" string");
            }
            JsonNode value = node.get(field);
            if (value == null) {
                throw new ModelOptions.CliException(file + " line " + lineNumber + ": field \"" + field
                        + "\" is missing");
            }
            if (!value.isTextual()) {
                throw new ModelOptions.CliException(file + " line " + lineNumber + ": field \"" + field
                        + "\" must be a string but is " + value.getNodeType().toString().toLowerCase(java.util.Locale.ROOT));
            }
            return value.asText();
        }
    }
}
