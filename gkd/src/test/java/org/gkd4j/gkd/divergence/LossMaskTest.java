package org.gkd4j.gkd.divergence;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LossMaskTest {

    @Test
    void keptPositionsPredictCompletionTokens() {
        // tokens: prompt at 0..2, completion at 3..4 (4 is EOS), padding at 5..7
        LossMask mask = LossMask.of(8, new int[] {3}, new int[] {2});
        boolean[] expected = {false, false, true, true, false, false, false, false};
        for (int p = 0; p < 8; p++) {
            assertEquals(expected[p], mask.isKept(0, p), "position " + p);
        }
        assertEquals(2, mask.firstKeptPosition(0));
        assertEquals(2, mask.keptTokens());
    }

    @Test
    void leftPaddingShiftsKeptPositions() {
        LossMask mask = LossMask.of(6, new int[] {2}, new int[] {1}, new int[] {2});
        float[] weights = mask.positionWeights(Reduction.SUM);
        assertArrayEquals(new float[] {0, 0, 1, 1, 0, 0}, weights);
    }

    @Test
    void completionLengthStopsAtFirstEos() {
        int[] generated = {99, 5, 9, 2, 2, 7};
        assertEquals(3, LossMask.completionLength(generated, 1, 5, 2));
        assertEquals(1, LossMask.completionLength(generated, 3, 3, 2));
        assertEquals(2, LossMask.completionLength(generated, 1, 2, 2));
        assertEquals(0, LossMask.completionLength(generated, 1, 0, 2));
    }

    @Test
    void completionWithoutEosRunsToItsEnd() {
        // pad id == EOS id: padding after the generated range is never scanned
        int[] generated = {4, 4, 4, 0, 0};
        assertEquals(3, LossMask.completionLength(generated, 0, 3, 0));
    }

    @Test
    void tokenMeanWeightsOverWindow() {
        LossMask mask = LossMask.of(4, new int[] {1, 2}, new int[] {3, 1});
        float[] weights = mask.positionWeights(Reduction.TOKEN_MEAN);
        assertArrayEquals(new float[] {0.25f, 0.25f, 0.25f, 0, 0, 0.25f, 0, 0}, weights);
        float[] window = mask.positionWeights(Reduction.TOKEN_MEAN, 10, 3);
        assertEquals(0.1f, window[0]);
        assertEquals(0f, window[3]);
    }

    @Test
    void sequenceMeanWeightsEachSequenceEqually() {
        LossMask mask = LossMask.of(4, new int[] {1, 2, 3}, new int[] {3, 1, 0});
        float[] weights = mask.positionWeights(Reduction.SEQUENCE_MEAN);
        // two sequences with tokens: 1/(3·2) for the first, 1/(1·2) for the second, nothing for the empty one
        assertArrayEquals(new float[] {1f / 6, 1f / 6, 1f / 6, 0, 0, 0.5f, 0, 0, 0, 0, 0, 0}, weights, 1e-7f);
        assertEquals(2, mask.sequencesWithTokens());
    }

    @Test
    void sumWeightsAreOne() {
        LossMask mask = LossMask.of(3, new int[] {1}, new int[] {2});
        assertArrayEquals(new float[] {1, 1, 0}, mask.positionWeights(Reduction.SUM));
    }

    @Test
    void emptyWindowGivesZeroWeightsNotNaN() {
        LossMask mask = LossMask.of(3, new int[] {3, 2}, new int[] {0, 0});
        for (Reduction reduction : Reduction.values()) {
            for (float weight : mask.positionWeights(reduction)) {
                assertEquals(0f, weight, reduction.name());
            }
        }
    }

    @Test
    void microBatchWeightsSumToWindowTokenMean() {
        // micro-batches with 1 and 3 kept tokens and per-token losses a and (b, c, d) give (a + b + c + d) / 4
        double a = 0.7;
        double b = 1.9;
        double c = 0.05;
        double d = 3.2;
        LossMask first = LossMask.of(3, new int[] {2}, new int[] {1});
        LossMask second = LossMask.of(4, new int[] {1}, new int[] {3});
        int windowTokens = first.keptTokens() + second.keptTokens();
        int windowSequences = first.sequencesWithTokens() + second.sequencesWithTokens();
        float[] w1 = first.positionWeights(Reduction.TOKEN_MEAN, windowTokens, windowSequences);
        float[] w2 = second.positionWeights(Reduction.TOKEN_MEAN, windowTokens, windowSequences);
        double accumulated = w1[1] * a + w2[0] * b + w2[1] * c + w2[2] * d;
        assertEquals((a + b + c + d) / 4, accumulated, 1e-7);
    }

    @Test
    void invalidLengthsAreRejected() {
        IllegalArgumentException tooLong = assertThrows(IllegalArgumentException.class,
                () -> LossMask.of(4, new int[] {3}, new int[] {2}));
        assertTrue(tooLong.getMessage().contains("sequence 0"), tooLong.getMessage());
        assertThrows(IllegalArgumentException.class, () -> LossMask.of(4, new int[] {0}, new int[] {2}));
        assertThrows(IllegalArgumentException.class, () -> LossMask.of(4, new int[] {1, 1}, new int[] {2}));
        LossMask mask = LossMask.of(4, new int[] {1}, new int[] {2});
        IllegalArgumentException window = assertThrows(IllegalArgumentException.class,
                () -> mask.positionWeights(Reduction.TOKEN_MEAN, 1, 1));
        assertTrue(window.getMessage().contains("window"), window.getMessage());
        assertFalse(mask.isKept(0, 3));
    }

    @Test
    void reductionParsesCliNames() {
        assertEquals(Reduction.TOKEN_MEAN, Reduction.parse("token-mean"));
        assertEquals(Reduction.SEQUENCE_MEAN, Reduction.parse("SEQUENCE_MEAN"));
        assertEquals(Reduction.SUM, Reduction.parse("sum"));
        assertThrows(IllegalArgumentException.class, () -> Reduction.parse("mean"));
    }
}
