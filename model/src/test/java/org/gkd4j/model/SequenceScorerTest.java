package org.gkd4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class SequenceScorerTest {

    static final ModelConfig CONFIG = new ModelConfig(16, 1, 2, 1, 24, 19, 6, 10000f, 1e-5f, true);

    @Test
    void logprobsMatchReferenceWithinOneWindow() {
        Transformer model = Transformer.init(CONFIG, 3);
        TestModels.scaleUp(model, 20f);
        int[] ids = {1, 4, 9, 16, 2, 11};
        double[][] logits = TestModels.referenceLogits(model, ids);
        float[] logprobs;
        try (SequenceScorer scorer = new SequenceScorer(model, null, 1)) {
            logprobs = scorer.logprobs(ids);
        }
        assertEquals(ids.length - 1, logprobs.length);
        for (int i = 1; i < ids.length; i++) {
            assertEquals(TestModels.logSoftmax(logits[i - 1])[ids[i]], logprobs[i - 1], 1e-4, "token " + i);
        }
    }

    @Test
    void longSequenceIsScoredInOverlappingWindows() {
        Transformer model = Transformer.init(CONFIG, 4);
        TestModels.scaleUp(model, 20f);
        int[] ids = {1, 4, 9, 16, 2, 11, 7, 7, 3, 0, 18, 5, 6};
        float[] logprobs;
        try (SequenceScorer scorer = new SequenceScorer(model, null, 1)) {
            logprobs = scorer.logprobs(ids);
        }
        assertEquals(ids.length - 1, logprobs.length);

        // context 6: windows start at tokens 0, 5 and 10, each scored from a fresh cache
        for (int start = 0; start < ids.length - 1; start += 5) {
            int end = Math.min(start + 6, ids.length);
            int[] window = java.util.Arrays.copyOfRange(ids, start, end);
            double[][] logits = TestModels.referenceLogits(model, window);
            for (int i = 1; i < window.length; i++) {
                assertEquals(TestModels.logSoftmax(logits[i - 1])[window[i]], logprobs[start + i - 1], 1e-4,
                        "token " + (start + i));
            }
        }
    }
}
