package org.gkd4j.model.tokenizer;

import com.fasterxml.jackson.core.JacksonException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.regex.Pattern;

/**
 * Reads a Hugging Face tokenizer.json into a {@link ByteLevelBpeTokenizer}.
 *
 * <p>Supported: model type BPE with vocab, merges as "a b" strings or [a, b] arrays, ignore_merges and
 * unk_token; added_tokens; normalizer null, NFC, NFD, NFKC, NFKD or a Sequence of them; pre_tokenizer ByteLevel
 * (add_prefix_space, use_regex), Split (Regex or String pattern, behaviour Isolated or Removed, with invert),
 * Digits, or a Sequence of these that ends with ByteLevel.
 *
 * <p>BOS and EOS come from tokenizer_config.json beside the file (bos_token, eos_token) when it has them. Next
 * come the special tokens around "$A" in a TemplateProcessing post_processor, or cls and sep of a
 * RobertaProcessing one. Last come added tokens with the usual names ("&lt;|begin_of_text|&gt;", "&lt;s&gt;";
 * "&lt;|end_of_text|&gt;", "&lt;|endoftext|&gt;", "&lt;/s&gt;").
 *
 * <p>Rejected with an error: other model types (WordPiece, Unigram), byte_fallback, continuing_subword_prefix,
 * end_of_word_suffix, Metaspace-based (SentencePiece-style) files and other normalizers or pre-tokenizers.
 * dropout is ignored because it only applies while training a tokenizer.
 */
final class TokenizerJsonReader {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    /** Ids index dense arrays, so a stray huge id must not allocate gigabytes; real vocabularies stay far below. */
    private static final int MAX_ID = (1 << 24) - 1;
    private static final String[] BOS_NAMES = {"<|begin_of_text|>", "<s>", "<|startoftext|>", "<bos>"};
    private static final String[] EOS_NAMES = {"<|end_of_text|>", "<|endoftext|>", "</s>", "<eos>"};

    private final String source;
    private final Map<String, Integer> vocab = new HashMap<>();
    private final AddedTokens addedTokens = new AddedTokens();
    private String[] pieces;

    private TokenizerJsonReader(String source) {
        this.source = source;
    }

    static ByteLevelBpeTokenizer read(Path path) throws IOException {
        String json = Files.readString(path, StandardCharsets.UTF_8);
        Path config = path.resolveSibling("tokenizer_config.json");
        String configJson = Files.isRegularFile(config) ? Files.readString(config, StandardCharsets.UTF_8) : null;
        return parse(json, configJson, path.toString());
    }

    /** Parses tokenizer.json text and, when not null, tokenizer_config.json text. */
    static ByteLevelBpeTokenizer parse(String json, String configJson, String source) {
        return new TokenizerJsonReader(source).build(json, configJson);
    }

    private ByteLevelBpeTokenizer build(String json, String configJson) {
        JsonNode root = readTree(json, source);
        JsonNode model = object(root, "model");

        // model type and options this reader does not implement
        String type = model.path("type").asText("BPE");
        if (!type.equals("BPE")) {
            throw error("model.type is " + type + " but only BPE (byte-level, as in GPT-2, Llama 3, Qwen 2) is supported");
        }
        if (model.path("byte_fallback").asBoolean(false)) {
            throw error("model.byte_fallback is true, which marks a SentencePiece-style BPE; use a llama2.c"
                    + " tokenizer.bin export for such models");
        }
        for (String field : new String[] {"continuing_subword_prefix", "end_of_word_suffix"}) {
            if (!model.path(field).asText("").isEmpty()) {
                throw error("model." + field + " is set but is not supported; TODO: support subword prefixes and suffixes");
            }
        }

        // vocabulary and added tokens
        readVocab(object(model, "vocab"));
        readAddedTokens(root.path("added_tokens"));

        // merges, unk, pre-tokenizer, normalizer
        PairMergeTable merges = readMerges(model.path("merges"));
        int unkId = -1;
        if (model.hasNonNull("unk_token")) {
            unkId = idOf(model.get("unk_token").asText(), "model.unk_token");
        }
        checkByteAlphabet(unkId);
        List<PreTokenizer> preTokenizers = new ArrayList<>();
        readPreTokenizer(root.path("pre_tokenizer"), "pre_tokenizer", preTokenizers, true);
        UnaryOperator<String> normalizer = readNormalizer(root.path("normalizer"), "normalizer");

        // control tokens
        JsonNode config = configJson == null ? null : readTree(configJson, source + " (tokenizer_config.json)");
        int bosId = resolveControlToken(config, "bos_token", root.path("post_processor"), true, BOS_NAMES);
        int eosId = resolveControlToken(config, "eos_token", root.path("post_processor"), false, EOS_NAMES);

        return new ByteLevelBpeTokenizer(pieces, vocab, merges, addedTokens, preTokenizers, normalizer,
                model.path("ignore_merges").asBoolean(false), unkId, bosId, eosId);
    }

    private static JsonNode readTree(String json, String source) {
        try {
            JsonNode root = MAPPER.readTree(json);
            if (root == null || !root.isObject()) {
                throw new IllegalArgumentException(source + ": tokenizer JSON must be an object");
            }
            return root;
        } catch (JacksonException e) {
            throw new IllegalArgumentException(source + ": invalid JSON: " + e.getOriginalMessage()
                    + (e.getLocation() == null ? "" : " at line " + e.getLocation().getLineNr() + ", column "
                    + e.getLocation().getColumnNr()), e);
        }
    }

    // ----------------------------------------------------------------------------------------------------------
    // vocabulary, added tokens, merges

    private void readVocab(JsonNode vocabNode) {
        int maxId = -1;
        for (Map.Entry<String, JsonNode> entry : vocabNode.properties()) {
            JsonNode id = entry.getValue();
            if (!id.canConvertToInt() || !id.isIntegralNumber() || id.asInt() < 0 || id.asInt() > MAX_ID) {
                throw error("model.vocab[\"" + entry.getKey() + "\"] is " + id + " but must be an integer id in [0, "
                        + MAX_ID + "]");
            }
            vocab.put(entry.getKey(), id.asInt());
            maxId = Math.max(maxId, id.asInt());
        }
        if (vocab.isEmpty()) {
            throw error("model.vocab is empty");
        }
        pieces = new String[maxId + 1];
        for (Map.Entry<String, Integer> entry : vocab.entrySet()) {
            if (pieces[entry.getValue()] != null) {
                throw error("model.vocab gives id " + entry.getValue() + " to both \"" + pieces[entry.getValue()]
                        + "\" and \"" + entry.getKey() + "\"");
            }
            pieces[entry.getValue()] = entry.getKey();
        }
    }

    private void readAddedTokens(JsonNode added) {
        if (added.isMissingNode() || added.isNull()) {
            return;
        }
        if (!added.isArray()) {
            throw error("added_tokens must be an array");
        }
        for (int i = 0; i < added.size(); i++) {
            JsonNode token = added.get(i);
            JsonNode id = token.path("id");
            String content = token.path("content").asText(null);
            if (!id.canConvertToInt() || !id.isIntegralNumber() || id.asInt() < 0 || id.asInt() > MAX_ID
                    || content == null) {
                throw error("added_tokens[" + i + "] needs an integer id in [0, " + MAX_ID + "] and a string content,"
                        + " got " + token);
            }
            addedTokens.add(content, id.asInt());
            if (id.asInt() >= pieces.length) {
                pieces = java.util.Arrays.copyOf(pieces, id.asInt() + 1);
            }
            if (pieces[id.asInt()] == null) {
                pieces[id.asInt()] = content;
            }
        }
    }

    private PairMergeTable readMerges(JsonNode mergesNode) {
        if (mergesNode.isMissingNode() || mergesNode.isNull()) {
            return new PairMergeTable(0);
        }
        if (!mergesNode.isArray()) {
            throw error("model.merges must be an array");
        }
        PairMergeTable merges = new PairMergeTable(mergesNode.size());
        for (int rank = 0; rank < mergesNode.size(); rank++) {
            JsonNode merge = mergesNode.get(rank);
            String field = "model.merges[" + rank + "]";
            String left;
            String right;
            if (merge.isTextual()) {
                String[] parts = merge.asText().split(" ", -1);
                if (parts.length != 2 || parts[0].isEmpty() || parts[1].isEmpty()) {
                    throw error(field + " is \"" + merge.asText() + "\" but must be two tokens separated by one space");
                }
                left = parts[0];
                right = parts[1];
            } else if (merge.isArray() && merge.size() == 2 && merge.get(0).isTextual() && merge.get(1).isTextual()) {
                left = merge.get(0).asText();
                right = merge.get(1).asText();
            } else {
                throw error(field + " is " + merge + " but must be \"a b\" or [\"a\", \"b\"]");
            }
            int leftId = vocabId(left, field);
            int rightId = vocabId(right, field);
            int mergedId = vocabId(left + right, field + " (merged token)");
            // NOTE: a repeated pair keeps its first (lowest) rank
            merges.putIfAbsent(leftId, rightId, mergedId, rank);
        }
        return merges;
    }

    private int vocabId(String token, String field) {
        Integer id = vocab.get(token);
        if (id == null) {
            throw error(field + ": token \"" + token + "\" is not in model.vocab");
        }
        return id;
    }

    /** Id of {@code token} among the added tokens, then the vocabulary. */
    private int idOf(String token, String field) {
        int added = addedTokens.id(token);
        if (added >= 0) {
            return added;
        }
        Integer id = vocab.get(token);
        if (id == null) {
            throw error(field + " \"" + token + "\" is neither an added token nor in model.vocab");
        }
        return id;
    }

    private void checkByteAlphabet(int unkId) {
        if (unkId >= 0) {
            return;
        }
        for (int b = 0; b < 256; b++) {
            String symbol = String.valueOf(ByteLevelAlphabet.charOf(b));
            if (!vocab.containsKey(symbol)) {
                throw error(String.format("model.vocab lacks \"%s\", the byte-level symbol of byte 0x%02X, and"
                        + " has no unk_token, so text containing that byte could not be encoded", symbol, b));
            }
        }
    }

    // ----------------------------------------------------------------------------------------------------------
    // pre-tokenizer and normalizer

    private void readPreTokenizer(JsonNode node, String field, List<PreTokenizer> steps, boolean last) {
        if (node.isMissingNode() || node.isNull()) {
            throw error(field + " is missing; a byte-level BPE tokenizer.json needs a ByteLevel pre-tokenizer");
        }
        String type = node.path("type").asText("");
        switch (type) {
            case "Sequence" -> {
                JsonNode list = node.path("pretokenizers");
                if (!list.isArray() || list.isEmpty()) {
                    throw error(field + ".pretokenizers must be a non-empty array");
                }
                for (int i = 0; i < list.size(); i++) {
                    readPreTokenizer(list.get(i), field + ".pretokenizers[" + i + "]", steps, last && i == list.size() - 1);
                }
            }
            case "ByteLevel" -> {
                if (!last) {
                    throw error(field + " is a ByteLevel step that is not the last pre-tokenizer; TODO: support"
                            + " steps after the byte mapping");
                }
                if (node.path("add_prefix_space").asBoolean(false)) {
                    steps.add(new PreTokenizer.PrefixSpace());
                }
                if (node.path("use_regex").asBoolean(true)) {
                    steps.add(new PreTokenizer.RegexSplit(PreTokenizer.compile(PreTokenizer.GPT2_PATTERN, field), true, true));
                }
            }
            case "Split" -> steps.add(readSplit(node, field));
            case "Digits" -> {
                String pattern = node.path("individual_digits").asBoolean(false) ? "\\p{N}" : "\\p{N}+";
                steps.add(new PreTokenizer.RegexSplit(PreTokenizer.compile(pattern, field), true, true));
            }
            default -> throw error(field + ".type is \"" + type + "\" but only ByteLevel, Split, Digits and Sequence"
                    + " are supported (Metaspace files are SentencePiece-style: use a llama2.c tokenizer.bin)");
        }
        if (last && !type.equals("ByteLevel") && !type.equals("Sequence")) {
            throw error(field + " is the last pre-tokenizer but is " + type + ", not ByteLevel; this is not a"
                    + " byte-level BPE tokenizer.json");
        }
    }

    private PreTokenizer readSplit(JsonNode node, String field) {
        JsonNode pattern = node.path("pattern");
        String regex;
        if (pattern.hasNonNull("Regex")) {
            regex = pattern.get("Regex").asText();
        } else if (pattern.hasNonNull("String")) {
            regex = Pattern.quote(pattern.get("String").asText());
        } else {
            throw error(field + ".pattern must be {\"Regex\": ...} or {\"String\": ...}, got " + pattern);
        }
        boolean invert = node.path("invert").asBoolean(false);
        String behavior = node.path("behavior").asText("Isolated");
        if (!behavior.equals("Isolated") && !behavior.equals("Removed")) {
            throw error(field + ".behavior is " + behavior + " but only Isolated and Removed are supported;"
                    + " TODO: MergedWithPrevious, MergedWithNext, Contiguous");
        }
        // Isolated keeps both matches and gaps, so invert changes nothing there
        boolean isolated = behavior.equals("Isolated");
        Pattern compiled = PreTokenizer.compile(regex, field + ".pattern");
        return new PreTokenizer.RegexSplit(compiled, isolated || invert, isolated || !invert);
    }

    private UnaryOperator<String> readNormalizer(JsonNode node, String field) {
        if (node.isMissingNode() || node.isNull()) {
            return null;
        }
        String type = node.path("type").asText("");
        return switch (type) {
            case "NFC" -> text -> Normalizer.normalize(text, Normalizer.Form.NFC);
            case "NFD" -> text -> Normalizer.normalize(text, Normalizer.Form.NFD);
            case "NFKC" -> text -> Normalizer.normalize(text, Normalizer.Form.NFKC);
            case "NFKD" -> text -> Normalizer.normalize(text, Normalizer.Form.NFKD);
            case "Sequence" -> {
                List<UnaryOperator<String>> parts = new ArrayList<>();
                JsonNode list = node.path("normalizers");
                for (int i = 0; i < list.size(); i++) {
                    UnaryOperator<String> part = readNormalizer(list.get(i), field + ".normalizers[" + i + "]");
                    if (part != null) {
                        parts.add(part);
                    }
                }
                yield text -> {
                    String out = text;
                    for (UnaryOperator<String> part : parts) {
                        out = part.apply(out);
                    }
                    return out;
                };
            }
            default -> throw error(field + ".type is \"" + type + "\" but only NFC, NFD, NFKC, NFKD and Sequence are"
                    + " supported; TODO: other normalizers");
        };
    }

    // ----------------------------------------------------------------------------------------------------------
    // BOS and EOS

    /**
     * Id of BOS ({@code beforeText} true) or EOS: from tokenizer_config.json when it has the key (null there means
     * none), else from the post-processor template, else from an added token with one of {@code names}; -1 when
     * none applies.
     */
    private int resolveControlToken(JsonNode config, String key, JsonNode postProcessor, boolean beforeText,
                                    String[] names) {
        if (config != null && config.has(key)) {
            JsonNode value = config.get(key);
            if (value.isNull()) {
                return -1;
            }
            String content = value.isObject() ? value.path("content").asText(null) : value.asText(null);
            if (content == null) {
                throw error("tokenizer_config.json " + key + " is " + value + " but must be a string or {\"content\": ...}");
            }
            return idOf(content, "tokenizer_config.json " + key);
        }
        // TODO: read eos_token_id (a single id or a list) from generation_config.json, which chat models use
        int fromTemplate = templateToken(postProcessor, beforeText);
        if (fromTemplate >= 0) {
            return fromTemplate;
        }
        for (String name : names) {
            if (addedTokens.id(name) >= 0) {
                return addedTokens.id(name);
            }
        }
        return -1;
    }

    /** Returns the id of the special token before (or after) "$A" in a post-processor's single-sequence template, or -1. */
    private int templateToken(JsonNode processor, boolean beforeText) {
        String type = processor.path("type").asText("");
        switch (type) {
            case "Sequence" -> {
                for (JsonNode part : processor.path("processors")) {
                    int id = templateToken(part, beforeText);
                    if (id >= 0) {
                        return id;
                    }
                }
                return -1;
            }
            case "TemplateProcessing" -> {
                JsonNode single = processor.path("single");
                int textIndex = -1;
                for (int i = 0; i < single.size(); i++) {
                    if (single.get(i).has("Sequence")) {
                        textIndex = i;
                    }
                }
                if (textIndex < 0) {
                    return -1;
                }
                int index = beforeText ? textIndex - 1 : textIndex + 1;
                if (index < 0 || index >= single.size() || !single.get(index).has("SpecialToken")) {
                    return -1;
                }
                String name = single.get(index).get("SpecialToken").path("id").asText();
                JsonNode ids = processor.path("special_tokens").path(name).path("ids");
                if (ids.isArray() && ids.size() == 1 && ids.get(0).canConvertToInt()) {
                    return ids.get(0).asInt();
                }
                return idOf(name, "post_processor special token");
            }
            case "RobertaProcessing", "BertProcessing" -> {
                JsonNode pair = processor.path(beforeText ? "cls" : "sep");
                return pair.isArray() && pair.size() == 2 && pair.get(1).canConvertToInt() ? pair.get(1).asInt() : -1;
            }
            default -> {
                return -1;
            }
        }
    }

    private JsonNode object(JsonNode parent, String field) {
        JsonNode node = parent.path(field);
        if (!node.isObject()) {
            throw error(field + " is missing or not a JSON object");
        }
        return node;
    }

    private IllegalArgumentException error(String message) {
        return new IllegalArgumentException(source + ": " + message);
    }
}
