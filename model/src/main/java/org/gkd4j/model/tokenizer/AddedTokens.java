package org.gkd4j.model.tokenizer;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The added tokens of a tokenizer.json (special tokens such as "&lt;|endoftext|&gt;" and user-added ones). They
 * are found verbatim in the raw text before normalization and pre-tokenization, leftmost first and longest at a
 * position, and each becomes its id without passing through BPE.
 *
 * <p>TODO: the single_word, lstrip, rstrip and normalized flags are ignored (each token matches exactly its
 * content wherever it occurs); GPT-2, Llama 3 and Qwen 2 set them all to false except normalized.
 */
final class AddedTokens {

    /** Receives the text between added tokens and the ids of the tokens, in text order. */
    interface Visitor {
        void text(String segment);

        void token(int id);
    }

    private record Entry(String content, int id) {
    }

    /** Entries by first char, longest content first. */
    private final Map<Character, List<Entry>> byFirstChar = new HashMap<>();
    private final Map<Integer, String> contentById = new HashMap<>();
    private final Map<String, Integer> idByContent = new HashMap<>();

    void add(String content, int id) {
        if (content.isEmpty()) {
            return;
        }
        contentById.put(id, content);
        idByContent.put(content, id);
        List<Entry> entries = byFirstChar.computeIfAbsent(content.charAt(0), c -> new ArrayList<>());
        entries.add(new Entry(content, id));
        entries.sort(Comparator.comparingInt((Entry e) -> e.content().length()).reversed());
    }

    /** Content of added token {@code id}, or null when {@code id} is not an added token. */
    String content(int id) {
        return contentById.get(id);
    }

    /** Id of the added token with this content, or -1. */
    int id(String content) {
        Integer id = idByContent.get(content);
        return id == null ? -1 : id;
    }

    /** Walks {@code text}, reporting the segments between added tokens and the tokens themselves. */
    void split(String text, Visitor visitor) {
        if (byFirstChar.isEmpty()) {
            if (!text.isEmpty()) {
                visitor.text(text);
            }
            return;
        }
        int segmentStart = 0;
        int i = 0;
        while (i < text.length()) {
            Entry match = matchAt(text, i);
            if (match == null) {
                i++;
                continue;
            }
            if (i > segmentStart) {
                visitor.text(text.substring(segmentStart, i));
            }
            visitor.token(match.id());
            i += match.content().length();
            segmentStart = i;
        }
        if (segmentStart < text.length()) {
            visitor.text(text.substring(segmentStart));
        }
    }

    private Entry matchAt(String text, int position) {
        List<Entry> entries = byFirstChar.get(text.charAt(position));
        if (entries == null) {
            return null;
        }
        for (Entry entry : entries) {
            if (text.startsWith(entry.content(), position)) {
                return entry;
            }
        }
        return null;
    }
}
