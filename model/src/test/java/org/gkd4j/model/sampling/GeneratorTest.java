package org.gkd4j.model.sampling;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Arrays;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.model.Transformer;
import org.gkd4j.model.TestModels;
import org.junit.jupiter.api.Test;

class GeneratorTest {

    static final ModelConfig CONFIG = new ModelConfig(32, 2, 4, 2, 48, 41, 40, 10000f, 1e-5f, true);
    static final int[][] PROMPTS = {{1, 7, 3, 9, 22}, {1}, {1, 30, 2}, {1, 5, 6, 7, 8, 9, 10, 11, 12, 13}};

    private static Transformer model() {
        Transformer model = Transformer.init(CONFIG, 21);
        TestModels.scaleUp(model, 15f);
        return model;
    }

    @Test
    void batchedGreedyEqualsEachPromptAlone() {
        Transformer model = model();
        SamplingOptions greedy = SamplingOptions.greedy(12, -1);
        Generation[] batched;
        try (Generator generator = new Generator(model, null, 8, 2)) {
            batched = generator.generate(PROMPTS, greedy);
        }
        try (Generator generator = new Generator(model, null, 1, 1)) {
            for (int i = 0; i < PROMPTS.length; i++) {
                Generation alone = generator.generate(new int[][] {PROMPTS[i]}, greedy)[0];
                assertArrayEquals(alone.tokens(), batched[i].tokens(), "prompt " + i);
                assertArrayEquals(alone.logprobs(), batched[i].logprobs(), "prompt " + i + " bit for bit");
            }
        }
    }

    @Test
    void greedyTokensAreArgmaxOfReferenceLogits() {
        Transformer model = model();
        Generation generation;
        try (Generator generator = new Generator(model)) {
            generation = generator.generate(new int[][] {PROMPTS[0]}, SamplingOptions.greedy(8, -1))[0];
        }
        int[] sequence = Arrays.copyOf(PROMPTS[0], PROMPTS[0].length + generation.length());
        System.arraycopy(generation.tokens(), 0, sequence, PROMPTS[0].length, generation.length());
        double[][] logits = TestModels.referenceLogits(model, sequence);
        for (int j = 0; j < generation.length(); j++) {
            double[] row = logits[PROMPTS[0].length - 1 + j];
            int argmax = 0;
            for (int v = 1; v < row.length; v++) {
                if (row[v] > row[argmax]) {
                    argmax = v;
                }
            }
            assertEquals(argmax, generation.tokens()[j], "token " + j);
            assertEquals(0f, generation.sampledLogprobs()[j], "greedy picks with probability 1");
        }
    }

    @Test
    void logprobsMatchReferenceLogSoftmax() {
        Transformer model = model();
        SamplingOptions options = new SamplingOptions(1.3f, 0, 1f, 99L, 10, -1);
        Generation generation;
        try (Generator generator = new Generator(model)) {
            generation = generator.generate(new int[][] {PROMPTS[2]}, options)[0];
        }
        int[] sequence = Arrays.copyOf(PROMPTS[2], PROMPTS[2].length + generation.length());
        System.arraycopy(generation.tokens(), 0, sequence, PROMPTS[2].length, generation.length());
        double[][] logits = TestModels.referenceLogits(model, sequence);
        for (int j = 0; j < generation.length(); j++) {
            double[] raw = logits[PROMPTS[2].length - 1 + j];
            int token = generation.tokens()[j];
            double[] scaled = new double[raw.length];
            for (int v = 0; v < raw.length; v++) {
                scaled[v] = raw[v] / 1.3;
            }
            assertTrue(generation.logprobs()[j] <= 0f, "logprob " + j + " is " + generation.logprobs()[j]);
            assertEquals(TestModels.logSoftmax(raw)[token], generation.logprobs()[j], 1e-4, "raw logprob " + j);
            assertEquals(TestModels.logSoftmax(scaled)[token], generation.sampledLogprobs()[j], 1e-4,
                    "sampled logprob " + j);
        }
    }

    @Test
    void seededSamplingIsReproducibleAndBatchIndependent() {
        Transformer model = model();
        SamplingOptions options = new SamplingOptions(1f, 10, 0.9f, 1234L, 15, -1);
        try (Generator generator = new Generator(model, null, 4, 1)) {
            Generation[] first = generator.generate(PROMPTS, options);
            Generation[] second = generator.generate(PROMPTS, options);
            for (int i = 0; i < PROMPTS.length; i++) {
                assertArrayEquals(first[i].tokens(), second[i].tokens(), "prompt " + i);
            }
            Generation alone = generator.generate(new int[][] {PROMPTS[0]}, options)[0];
            assertArrayEquals(first[0].tokens(), alone.tokens());
            Generation otherSeed = generator.generate(new int[][] {PROMPTS[0]},
                    new SamplingOptions(1f, 10, 0.9f, 4321L, 15, -1))[0];
            assertFalse(Arrays.equals(first[0].tokens(), otherSeed.tokens()), "another seed gives other tokens");
        }
    }

    @Test
    void topKOfOneEqualsGreedy() {
        Transformer model = model();
        try (Generator generator = new Generator(model)) {
            Generation[] greedy = generator.generate(PROMPTS, SamplingOptions.greedy(10, -1));
            Generation[] topOne = generator.generate(PROMPTS, new SamplingOptions(0.8f, 1, 1f, 5L, 10, -1));
            for (int i = 0; i < PROMPTS.length; i++) {
                assertArrayEquals(greedy[i].tokens(), topOne[i].tokens(), "prompt " + i);
                for (float logprob : topOne[i].sampledLogprobs()) {
                    assertEquals(0f, logprob, 1e-6f);
                }
            }
        }
    }

    @Test
    void stopsAfterStopTokenAndAtContextEnd() {
        Transformer model = model();
        try (Generator generator = new Generator(model)) {
            Generation free = generator.generate(new int[][] {PROMPTS[3]}, SamplingOptions.greedy(6, -1))[0];
            int stop = free.tokens()[2];
            int firstStop = 0;
            while (free.tokens()[firstStop] != stop) {
                firstStop++;
            }
            Generation stopped = generator.generate(new int[][] {PROMPTS[3]}, SamplingOptions.greedy(6, stop))[0];
            assertTrue(stopped.stopped());
            assertArrayEquals(Arrays.copyOf(free.tokens(), firstStop + 1), stopped.tokens());

            Generation full = generator.generate(new int[][] {PROMPTS[3]}, SamplingOptions.greedy(1000, -1))[0];
            assertEquals(CONFIG.contextLength() - PROMPTS[3].length, full.length());
        }
    }

    @Test
    void rejectsEmptyPrompt() {
        try (Generator generator = new Generator(model())) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                    () -> generator.generate(new int[][] {{}}, SamplingOptions.greedy(3, -1)));
            assertTrue(error.getMessage().contains("empty"), error.getMessage());
        }
    }
}
