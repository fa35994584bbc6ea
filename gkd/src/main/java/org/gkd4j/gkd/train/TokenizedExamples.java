package org.gkd4j.gkd.train;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.gkd4j.gkd.data.Example;
import org.gkd4j.model.tokenizer.Tokenizer;

/** Turns examples into token ids: prompts with BOS cut to their first tokens, completions cut to the sampling budget. */
public final class TokenizedExamples {

    private final Tokenizer tokenizer;
    private final int maxPromptTokens;
    private final int maxNewTokens;

    public TokenizedExamples(Tokenizer tokenizer, int maxPromptTokens, int maxNewTokens) {
        this.tokenizer = tokenizer;
        this.maxPromptTokens = maxPromptTokens;
        this.maxNewTokens = maxNewTokens;
    }

    /** Encodes BOS and the prompt's first tokens, at most maxPromptTokens in all. */
    public int[] prompt(Example example) {
        int[] ids = tokenizer.encode(example.prompt(), true, false);
        return ids.length > maxPromptTokens ? Arrays.copyOf(ids, maxPromptTokens) : ids;
    }

    /**
     * Encodes the completion with EOS, cut to maxNewTokens. Leading white space is dropped because the tokenizer
     * adds its own leading space (the SentencePiece dummy prefix).
     */
    public int[] completion(Example example) {
        int[] ids = tokenizer.encode(example.completion().stripLeading(), false, true);
        return ids.length > maxNewTokens ? Arrays.copyOf(ids, maxNewTokens) : ids;
    }

    public List<int[]> prompts(List<Example> examples) {
        List<int[]> prompts = new ArrayList<>(examples.size());
        for (Example example : examples) {
            prompts.add(prompt(example));
        }
        return prompts;
    }

    public List<int[]> completions(List<Example> examples) {
        List<int[]> completions = new ArrayList<>(examples.size());
        for (Example example : examples) {
            completions.add(completion(example));
        }
        return completions;
    }

    /** Decodes completion ids for display and for the reward. */
    public String decode(int[] ids) {
        return tokenizer.decode(ids);
    }
}
