package org.gkd4j.model.tokenizer;

import java.util.function.Consumer;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.regex.PatternSyntaxException;

/**
 * One step of a Hugging Face pre-tokenizer: it cuts a piece of text into smaller pieces, and BPE never merges
 * across a cut. The steps of a tokenizer.json run in order, each on every piece the previous step produced.
 */
sealed interface PreTokenizer {

    /** GPT-2's split pattern, which a ByteLevel pre-tokenizer with use_regex true applies. */
    String GPT2_PATTERN = "'s|'t|'re|'ve|'m|'ll|'d| ?\\p{L}+| ?\\p{N}+| ?[^\\s\\p{L}\\p{N}]+|\\s+(?!\\S)|\\s+";

    /** Passes the pieces of {@code text} to {@code sink} in text order; empty pieces are dropped. */
    void split(String text, Consumer<String> sink);

    /**
     * Compiles a split pattern written for Oniguruma (the regex engine of Hugging Face tokenizers). The GPT-2,
     * Llama 3 and Qwen 2 patterns need no rewriting for java.util.regex: both engines know \p{L}, \p{N}, (?i:...),
     * {1,3}, possessive quantifiers and (?!...). The one difference is \s, which is ASCII-only in Java unless
     * UNICODE_CHARACTER_CLASS makes it the Unicode White_Space property, as it is in Oniguruma.
     */
    static Pattern compile(String pattern, String field) {
        try {
            return Pattern.compile(pattern, Pattern.UNICODE_CHARACTER_CLASS);
        } catch (PatternSyntaxException e) {
            throw new IllegalArgumentException(field + ": regex " + pattern + " is not valid in java.util.regex ("
                    + e.getDescription() + " at index " + e.getIndex() + "); rewrite it in Java syntax", e);
        }
    }

    /**
     * Split on a pattern. Behaviour "Isolated" keeps every match and every gap between matches as pieces. "Removed"
     * keeps only the gaps, or with invert true only the matches (GPT-4o's tokenizer.json uses the latter).
     */
    record RegexSplit(Pattern pattern, boolean keepMatches, boolean keepGaps) implements PreTokenizer {
        @Override
        public void split(String text, Consumer<String> sink) {
            Matcher matcher = pattern.matcher(text);
            int last = 0;
            while (matcher.find()) {
                if (keepGaps && matcher.start() > last) {
                    sink.accept(text.substring(last, matcher.start()));
                }
                if (keepMatches && matcher.end() > matcher.start()) {
                    sink.accept(text.substring(matcher.start(), matcher.end()));
                }
                last = matcher.end();
            }
            if (keepGaps && last < text.length()) {
                sink.accept(text.substring(last));
            }
        }
    }

    /** ByteLevel's add_prefix_space: a piece that does not start with a space gets one. */
    record PrefixSpace() implements PreTokenizer {
        @Override
        public void split(String text, Consumer<String> sink) {
            sink.accept(text.startsWith(" ") ? text : " " + text);
        }
    }
}
