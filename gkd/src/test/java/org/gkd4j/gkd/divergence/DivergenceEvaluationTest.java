package org.gkd4j.gkd.divergence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class DivergenceEvaluationTest {

    private static final Tensor IDENTITY = Tensor.of(new float[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, 3, 3);

    @Test
    void meansMatchReferenceValues() {
        // Identity heads make the hidden rows the logits. Sequence 0 keeps positions 0 (the mirror pair) and 1,
        // and sequence 1 keeps position 1. Every other row is junk outside the mask.
        float[] e1Student = {1, 2, 3};
        float[] e1Teacher = {3, 2, 1};
        float[] e5Student = {0.5f, 1.5f, -1.0f};
        float[] e5Teacher = {2.0f, 0.0f, 0.5f};
        float[] junk = {40, -40, 7};
        Tensor student = rows(e1Student, e5Student, junk, junk, e5Student, junk);
        Tensor teacher = rows(e1Teacher, e5Teacher, junk, e1Teacher, e5Teacher, e1Teacher);
        LossMask mask = LossMask.of(3, new int[] {1, 2}, new int[] {2, 1});

        DivergenceEvaluation.Result result = DivergenceEvaluation.klPerToken(student, IDENTITY, teacher, IDENTITY,
                mask, 1f, 2);

        double e1 = 1.1504207652;
        double e5Forward = 0.7663123754;
        double e5Reverse = 1.0038329387;
        assertEquals(3, result.tokens());
        assertEquals((e1 + 2 * e5Forward) / 3, result.forwardKl(), 1e-6);
        assertEquals((e1 + 2 * e5Reverse) / 3, result.reverseKl(), 1e-6);
        assertEquals((e1 + e5Forward) / 2, result.sequenceForwardKl()[0], 1e-6);
        assertEquals(e5Reverse, result.sequenceReverseKl()[1], 1e-6);
    }

    @Test
    void noKeptPositionGivesZero() {
        Tensor rows = rows(new float[] {1, 2, 3}, new float[] {0, 0, 1});
        LossMask mask = LossMask.of(2, new int[] {2}, new int[] {0});
        DivergenceEvaluation.Result result = DivergenceEvaluation.klPerToken(rows, IDENTITY, rows, IDENTITY, mask,
                1f, 4);
        assertEquals(0, result.tokens());
        assertEquals(0.0, result.forwardKl());
        assertEquals(0.0, result.reverseKl());
    }

    private static Tensor rows(float[]... rows) {
        float[] data = new float[rows.length * 3];
        for (int r = 0; r < rows.length; r++) {
            System.arraycopy(rows[r], 0, data, 3 * r, 3);
        }
        return Tensor.of(data, rows.length, 3);
    }
}
