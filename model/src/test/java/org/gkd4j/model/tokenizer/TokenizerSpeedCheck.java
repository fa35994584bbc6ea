package org.gkd4j.model.tokenizer;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Sanity measurement of encode speed, run by hand (not a test):
 * {@code java -cp ... org.gkd4j.model.tokenizer.TokenizerSpeedCheck FILE}. Encodes FILE with the stories260K
 * tokenizer and the tiny GPT-2 test tokenizer, checks that decoding gives the text back and prints one line each.
 */
public final class TokenizerSpeedCheck {

    private static final int PASSES = 6;

    private TokenizerSpeedCheck() {
    }

    public static void main(String[] args) throws Exception {
        String text = Files.readString(Path.of(args[0]), StandardCharsets.UTF_8);
        int bytes = text.getBytes(StandardCharsets.UTF_8).length;
        Tokenizer[] tokenizers = {Tokenizers.stories260K(),
                ByteLevelBpeTokenizer.parse(ByteLevelBpeTokenizerTest.resource("tiny_gpt2_tokenizer.json"), "tiny_gpt2")};
        for (Tokenizer tokenizer : tokenizers) {
            // the first pass runs mostly interpreted, so report it apart from the best of the later passes
            int[] ids = null;
            double firstSeconds = 0;
            double bestSeconds = Double.MAX_VALUE;
            for (int pass = 0; pass < PASSES; pass++) {
                long start = System.nanoTime();
                ids = tokenizer.encode(text, true, false);
                double seconds = (System.nanoTime() - start) / 1e9;
                if (pass == 0) {
                    firstSeconds = seconds;
                } else {
                    bestSeconds = Math.min(bestSeconds, seconds);
                }
            }
            boolean roundTrip = tokenizer.decode(ids).equals(text);
            System.out.printf("%s: %d bytes -> %d tokens; first pass %.3f s, best of %d later passes %.3f s"
                            + " (%.2f MB/s, %.0f tokens/s); round trip %s%n",
                    tokenizer.getClass().getSimpleName(), bytes, ids.length, firstSeconds, PASSES - 1, bestSeconds,
                    bytes / bestSeconds / 1e6, ids.length / bestSeconds, roundTrip ? "ok" : "FAILED");
        }
    }
}
