package org.gkd4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.gkd4j.model.checkpoint.Checkpoints;
import org.gkd4j.model.checkpoint.ModelWeights;
import org.gkd4j.model.sampling.Generation;
import org.gkd4j.model.sampling.Generator;
import org.gkd4j.model.sampling.SamplingOptions;
import org.gkd4j.model.tokenizer.Tokenizer;
import org.gkd4j.model.tokenizer.Tokenizers;
import org.junit.jupiter.api.Test;

/**
 * Greedy decoding of Karpathy's stories260K from BOS. The ids and the text come from an independent numpy
 * re-implementation of llama2.c's forward pass, whose text matches the temperature-0 sample printed in llama2.c's
 * doc/stories260K.md.
 */
class Stories260KGoldenTest {

    static final int[] GREEDY_FROM_BOS = {403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426,
            338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261,
            370, 432, 352, 266, 268, 388, 426, 338, 391, 266, 267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333,
            415, 426, 13, 438, 310};
    static final String FIRST_SENTENCE = "Once upon a time, there was a little girl named Lily.";
    static final String FIRST_TWO_SENTENCES = FIRST_SENTENCE + " She loved to play outside in the park.";

    @Test
    void greedyFromBosMatchesGoldenIds() {
        ModelWeights weights = Checkpoints.stories260K();
        try (Generator generator = Generator.forWeights(Transformer.fromWeights(weights), weights, 1, 1)) {
            Generation generation = generator.generate(new int[][] {{1}}, SamplingOptions.greedy(64, -1))[0];
            assertArrayEquals(GREEDY_FROM_BOS, generation.tokens());
        }
    }

    @Test
    void greedyFromBosDecodesToGoldenText() {
        ModelWeights weights = Checkpoints.stories260K();
        Tokenizer tokenizer = Tokenizers.stories260K();
        try (Generator generator = Generator.forWeights(Transformer.fromWeights(weights), weights, 1, 1)) {
            Generation generation = generator.generate(new int[][] {{tokenizer.bosId()}},
                    SamplingOptions.greedy(64, -1))[0];
            String text = tokenizer.decode(generation.tokens());
            assertTrue(text.strip().startsWith(FIRST_TWO_SENTENCES), text);
        }
    }

    @Test
    void batchOfSixteenGreedyMatchesGoldenIds() {
        ModelWeights weights = Checkpoints.stories260K();
        int[][] prompts = new int[16][];
        for (int i = 0; i < prompts.length; i++) {
            prompts[i] = new int[] {1};
        }
        try (Generator generator = Generator.forWeights(Transformer.fromWeights(weights), weights, 16, 2)) {
            Generation[] generations = generator.generate(prompts, SamplingOptions.greedy(64, -1));
            for (Generation generation : generations) {
                assertArrayEquals(GREEDY_FROM_BOS, generation.tokens());
            }
        }
    }

    @Test
    void q8GreedyFromBosGivesSameFirstSentence() {
        ModelWeights weights = Checkpoints.stories260KQ8();
        Tokenizer tokenizer = Tokenizers.stories260K();
        try (Generator generator = Generator.forWeights(Transformer.fromWeights(weights), weights, 1, 1)) {
            Generation generation = generator.generate(new int[][] {{1}}, SamplingOptions.greedy(40, -1))[0];
            String text = tokenizer.decode(generation.tokens());
            assertTrue(text.strip().startsWith(FIRST_SENTENCE), text);
        }
    }
}
