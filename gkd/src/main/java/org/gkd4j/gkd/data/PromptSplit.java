package org.gkd4j.gkd.data;

/**
 * How plain text becomes a prompt and a continuation: after the first sentence, or after the first N tokens.
 *
 * @param promptTokens the number of prompt tokens, or 0 to split after the first sentence
 */
public record PromptSplit(int promptTokens) {

    public static final PromptSplit SENTENCE = new PromptSplit(0);

    public PromptSplit {
        if (promptTokens < 0) {
            throw new IllegalArgumentException("prompt split: promptTokens is " + promptTokens
                    + " but must be 0 (first sentence) or positive");
        }
    }

    /** Parses {@code sentence} or {@code tokens:N}. */
    public static PromptSplit parse(String text) {
        if (text == null) {
            throw new IllegalArgumentException("--prompt-split is missing: use 'sentence' or 'tokens:N'");
        }
        if (text.equals("sentence")) {
            return SENTENCE;
        }
        if (text.startsWith("tokens:")) {
            try {
                int n = Integer.parseInt(text.substring("tokens:".length()));
                if (n > 0) {
                    return new PromptSplit(n);
                }
            } catch (NumberFormatException ignored) {
                // reported below with the accepted forms
            }
        }
        throw new IllegalArgumentException("--prompt-split '" + text
                + "' is invalid: use 'sentence' or 'tokens:N' with N a positive whole number");
    }

    public boolean bySentence() {
        return promptTokens == 0;
    }

    @Override
    public String toString() {
        return bySentence() ? "sentence" : "tokens:" + promptTokens;
    }
}
