package org.gkd4j.gkd.data;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Locale;

/**
 * Reads training data: JSONL with a {@code prompt} and an optional {@code completion} per line (other fields are
 * ignored unless they look like a misspelling of these two), or plain text whose documents (separated by blank lines)
 * are split into a prompt and its continuation.
 */
public final class DatasetLoader {

    /** The shipped TinyStories sample (CDLA-Sharing-1.0), used when no {@code --data} is given. */
    public static final String TINYSTORIES_RESOURCE = "/org/gkd4j/gkd/data/tinystories/tinystories_valid_first.txt";

    // A key given twice, or text after the object on a line, would otherwise drop part of the line silently.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS)
            .build();
    /** The JSONL fields that are read. */
    private static final List<String> FIELDS = List.of("prompt", "completion");

    private DatasetLoader() {
    }

    /** Loads a file: JSONL when its name ends in .jsonl or its first non-blank character is '{', else plain text. */
    public static List<Example> load(Path path, PromptSplit split, TextCodec codec) throws IOException {
        if (!Files.isRegularFile(path)) {
            throw new IllegalArgumentException("data file " + path + " is not found or is not a regular file");
        }
        if (!Files.isReadable(path)) {
            throw new IllegalArgumentException("data file " + path + " is not readable; check its permissions");
        }
        String text = Utf8Text.read(path, "data file " + path);
        boolean jsonl = path.getFileName().toString().endsWith(".jsonl") || text.stripLeading().startsWith("{");
        List<Example> examples = jsonl ? parseJsonl(text, path.toString()) : parsePlainText(text, split, codec);
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("data file " + path + " contains no examples" + (jsonl ? ""
                    : ": no document splits into a prompt and a continuation with --prompt-split " + split
                    + "; separate documents with blank lines, each longer than its prompt"));
        }
        return examples;
    }

    /** Loads the shipped TinyStories sample. */
    public static List<Example> loadTinyStories(PromptSplit split, TextCodec codec) throws IOException {
        try (InputStream in = DatasetLoader.class.getResourceAsStream(TINYSTORIES_RESOURCE)) {
            if (in == null) {
                throw new IOException("resource " + TINYSTORIES_RESOURCE + " is missing from the class path");
            }
            return parsePlainText(new String(in.readAllBytes(), StandardCharsets.UTF_8), split, codec);
        }
    }

    /** Parses JSONL; a malformed line raises an error naming its 1-based line number and the field. */
    public static List<Example> parseJsonl(String text, String source) {
        List<Example> examples = new ArrayList<>();
        String[] lines = text.split("\n", -1);
        for (int i = 0; i < lines.length; i++) {
            String line = lines[i].strip();
            if (line.isEmpty()) {
                continue;
            }
            int lineNumber = i + 1;
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException(source + " line " + lineNumber + ": invalid JSON ("
                        + e.getOriginalMessage() + "); each line must be an object like {\"prompt\": \"...\"}");
            }
            if (node == null || !node.isObject()) {
                throw new IllegalArgumentException(source + " line " + lineNumber
                        + ": expected a JSON object with a \"prompt\" field");
            }
            rejectMisspelledFields(node, source, lineNumber);
            JsonNode prompt = node.get("prompt");
            if (prompt == null || prompt.isNull()) {
                throw new IllegalArgumentException(source + " line " + lineNumber + ": field \"prompt\" is missing");
            }
            if (!prompt.isTextual()) {
                throw new IllegalArgumentException(source + " line " + lineNumber
                        + ": field \"prompt\" must be a string but is " + prompt.getNodeType().toString().toLowerCase());
            }
            JsonNode completion = node.get("completion");
            if (completion != null && !completion.isNull() && !completion.isTextual()) {
                throw new IllegalArgumentException(source + " line " + lineNumber
                        + ": field \"completion\" must be a string but is "
                        + completion.getNodeType().toString().toLowerCase());
            }
            boolean hasCompletion = completion != null && !completion.isNull();
            examples.add(new Example(prompt.asText(), hasCompletion ? completion.asText() : null));
        }
        return examples;
    }

    /**
     * Rejects a field name within two edits of "prompt" or "completion" (such as "completon" or "Prompt"), because
     * reading on would silently drop that text. Other extra fields, such as "id" or "source", are ignored.
     */
    private static void rejectMisspelledFields(JsonNode node, String source, int lineNumber) {
        for (Iterator<String> names = node.fieldNames(); names.hasNext(); ) {
            String name = names.next();
            for (String known : FIELDS) {
                if (!name.equals(known) && EditDistance.between(name.toLowerCase(Locale.ROOT), known) <= 2) {
                    String fix = node.has(known) ? "remove it, since the line already has \"" + known + "\""
                            : "rename it to \"" + known + "\"";
                    throw new IllegalArgumentException(source + " line " + lineNumber + ": unknown field \"" + name
                            + "\"; " + fix + " (the fields read are \"prompt\" and \"completion\")");
                }
            }
        }
    }

    /** Splits plain text into documents on blank lines, then each document into a prompt and its continuation. */
    public static List<Example> parsePlainText(String text, PromptSplit split, TextCodec codec) {
        List<Example> examples = new ArrayList<>();
        for (String document : text.replace("\r\n", "\n").split("\n\\s*\n")) {
            String story = document.strip().replaceAll("\\s*\n\\s*", " ");
            if (story.isEmpty()) {
                continue;
            }
            Example example = split.bySentence() ? splitAfterSentence(story) : splitAfterTokens(story, split, codec);
            if (example != null) {
                examples.add(example);
            }
        }
        return examples;
    }

    /** Splits after the first sentence end (. ! ?, with a closing quote kept); null when there is no second part. */
    static Example splitAfterSentence(String story) {
        for (int i = 0; i < story.length() - 1; i++) {
            char c = story.charAt(i);
            if (c != '.' && c != '!' && c != '?') {
                continue;
            }
            int end = i + 1;
            while (end < story.length() && (story.charAt(end) == '"' || story.charAt(end) == '\'')) {
                end++;
            }
            if (end < story.length() && Character.isWhitespace(story.charAt(end))) {
                String prompt = story.substring(0, end);
                String completion = story.substring(end);
                return completion.isBlank() ? null : new Example(prompt, completion);
            }
        }
        return null;
    }

    private static Example splitAfterTokens(String story, PromptSplit split, TextCodec codec) {
        if (codec == null) {
            throw new IllegalArgumentException("prompt split " + split + " needs a tokenizer");
        }
        int[] ids = codec.encode(story);
        if (ids.length <= split.promptTokens()) {
            return null;
        }
        String prompt = codec.decode(Arrays.copyOfRange(ids, 0, split.promptTokens()));
        String completion = codec.decode(Arrays.copyOfRange(ids, split.promptTokens(), ids.length));
        return new Example(prompt, completion);
    }
}
