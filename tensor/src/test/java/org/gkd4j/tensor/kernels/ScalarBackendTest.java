package org.gkd4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Checks the scalar reference kernels against values worked out by hand. */
class ScalarBackendTest {

    private static final float TOLERANCE = 1e-5f;
    private final ScalarBackend scalar = new ScalarBackend();

    @Test
    void softmaxMatchesHandValues() {
        Tensor y = Tensor.zeros(1, 3);
        scalar.softmax(Tensor.of(new float[] {1, 2, 3}, 1, 3), y);
        assertArrayEquals(new float[] {0.09003057f, 0.24472847f, 0.66524096f}, y.toArray(), TOLERANCE);
    }

    @Test
    void softmaxIsStableForLargeLogits() {
        Tensor y = Tensor.zeros(1, 3);
        scalar.softmax(Tensor.of(new float[] {1001, 1002, 1003}, 1, 3), y);
        assertArrayEquals(new float[] {0.09003057f, 0.24472847f, 0.66524096f}, y.toArray(), TOLERANCE);
    }

    @Test
    void logSoftmaxMatchesHandValues() {
        Tensor x = Tensor.of(new float[] {1, 2, 3, -1000, -1000, -1000}, 2, 3);
        scalar.logSoftmax(x, x);
        float third = (float) -Math.log(3);
        assertArrayEquals(new float[] {-2.40760596f, -1.40760596f, -0.40760596f, third, third, third},
                x.toArray(), TOLERANCE);
    }

    @Test
    void rmsNormMatchesHandValues() {
        // mean(x²) = (1 + 4 + 9 + 16) / 4 = 7.5
        Tensor y = Tensor.zeros(1, 4);
        Tensor invRms = Tensor.zeros(1);
        scalar.rmsNorm(Tensor.of(new float[] {1, 2, 3, 4}, 1, 4), Tensor.of(new float[] {1, 1, 2, 0.5f}, 4), 0f,
                y, invRms);
        float r = (float) (1 / Math.sqrt(7.5));
        assertEquals(r, invRms.get(0), TOLERANCE);
        assertArrayEquals(new float[] {r, 2 * r, 6 * r, 2 * r}, y.toArray(), TOLERANCE);
    }

    @Test
    void layerNormMatchesHandValues() {
        // mean 2, variance 2/3
        Tensor y = Tensor.zeros(1, 3);
        Tensor mean = Tensor.zeros(1);
        Tensor invStd = Tensor.zeros(1);
        scalar.layerNorm(Tensor.of(new float[] {1, 2, 3}, 1, 3), Tensor.of(new float[] {1, 2, 3}, 3),
                Tensor.of(new float[] {0, 1, -1}, 3), 0f, y, mean, invStd);
        float s = (float) Math.sqrt(1.5);
        assertEquals(2f, mean.get(0), TOLERANCE);
        assertEquals(s, invStd.get(0), TOLERANCE);
        assertArrayEquals(new float[] {-s, 1, 3 * s - 1}, y.toArray(), TOLERANCE);
    }

    @Test
    void activationsMatchHandValues() {
        Tensor x = Tensor.of(new float[] {1, -2}, 2);
        Tensor silu = Tensor.zeros(2);
        Tensor gelu = Tensor.zeros(2);
        Tensor swiglu = Tensor.zeros(2);
        scalar.silu(x, silu);
        scalar.gelu(x, gelu);
        scalar.swiglu(x, Tensor.of(new float[] {2, 3}, 2), swiglu);
        assertArrayEquals(new float[] {0.73105858f, -0.23840584f}, silu.toArray(), TOLERANCE);
        assertArrayEquals(new float[] {0.84119199f, -0.04540231f}, gelu.toArray(), TOLERANCE);
        assertArrayEquals(new float[] {2 * 0.73105858f, 3 * -0.23840584f}, swiglu.toArray(), TOLERANCE);
    }

    @Test
    void ropeRotatesPairsByPositionAngle() {
        // N = 1 at position 2, H = 1, D = 4, theta 100: pair 0 turns by 2 rad, pair 1 by 2·100^(-1/2) = 0.2 rad
        Tensor x = Tensor.of(new float[] {1, 0, 0, 1}, 1, 1, 4);
        scalar.rope(x, new int[] {2}, 100f, false);
        float[] expected = {(float) Math.cos(2), (float) Math.sin(2), (float) -Math.sin(0.2), (float) Math.cos(0.2)};
        assertArrayEquals(expected, x.toArray(), TOLERANCE);
    }

    @Test
    void ropeInverseUndoesRotation() {
        float[] original = {0.3f, -1.2f, 2.5f, 0.7f, 1f, 2f, 3f, 4f};
        Tensor x = Tensor.of(original.clone(), 2, 1, 4);
        scalar.rope(x, new int[] {5, 9}, 10000f, false);
        scalar.rope(x, new int[] {5, 9}, 10000f, true);
        assertArrayEquals(original, x.toArray(), TOLERANCE);
    }

    @Test
    void attentionMatchesHandValues() {
        // B = 1, T = 2, H = G = 1, D = 1: query 1 attends to keys 1 and 2 with scores 1 and 2
        Tensor q = Tensor.of(new float[] {1, 1}, 1, 2, 1, 1);
        Tensor k = Tensor.of(new float[] {1, 2}, 1, 2, 1, 1);
        Tensor v = Tensor.of(new float[] {10, 20}, 1, 2, 1, 1);
        Tensor out = Tensor.zeros(1, 2, 1, 1);
        Tensor lse = Tensor.zeros(1, 1, 2);
        scalar.attention(q, k, v, null, out, lse);
        assertArrayEquals(new float[] {10f, 17.3105858f}, out.toArray(), 1e-4f);
        assertArrayEquals(new float[] {1f, 2.31326169f}, lse.toArray(), TOLERANCE);
    }

    @Test
    void attentionQueryWithoutValidKeyOutputsZeros() {
        Tensor q = Tensor.of(new float[] {1, 1}, 1, 2, 1, 1);
        Tensor k = Tensor.of(new float[] {1, 2}, 1, 2, 1, 1);
        Tensor v = Tensor.of(new float[] {10, 20}, 1, 2, 1, 1);
        Tensor out = Tensor.zeros(1, 2, 1, 1).fill(7f);
        Tensor lse = Tensor.zeros(1, 1, 2);
        scalar.attention(q, k, v, new boolean[] {false, true}, out, lse);
        assertArrayEquals(new float[] {0f, 20f}, out.toArray(), TOLERANCE);
    }

    @Test
    void attentionSharesKeyHeadAcrossGroup() {
        // H = 2 query heads read the one key/value head G = 1, T = 1: each output is v
        Tensor q = Tensor.of(new float[] {1, 2, 3, 4}, 1, 1, 2, 2);
        Tensor k = Tensor.of(new float[] {1, 1}, 1, 1, 1, 2);
        Tensor v = Tensor.of(new float[] {5, 6}, 1, 1, 1, 2);
        Tensor out = Tensor.zeros(1, 1, 2, 2);
        scalar.attention(q, k, v, null, out, Tensor.zeros(1, 2, 1));
        assertArrayEquals(new float[] {5, 6, 5, 6}, out.toArray(), TOLERANCE);
    }

    @Test
    void embeddingGathersAndScatterAdds() {
        Tensor table = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Tensor out = Tensor.zeros(3, 2);
        scalar.embedding(table, new int[] {2, 0, 2}, out);
        assertArrayEquals(new float[] {5, 6, 1, 2, 5, 6}, out.toArray());
        Tensor dtable = Tensor.zeros(3, 2);
        scalar.embeddingBackward(Tensor.of(new float[] {1, 1, 2, 2, 3, 3}, 3, 2), new int[] {2, 0, 2}, dtable);
        assertArrayEquals(new float[] {2, 2, 0, 0, 4, 4}, dtable.toArray());
    }

    @Test
    void crossEntropyMatchesHandValuesAndIgnoresRows() {
        // row 0: log(e + e² + e³) - 2 = 1.40760596; row 1 ignored
        Tensor logits = Tensor.of(new float[] {1, 2, 3, 5, 5, 5}, 2, 3);
        Tensor losses = Tensor.zeros(2);
        scalar.crossEntropy(logits, new int[] {1, -100}, -100, losses);
        assertArrayEquals(new float[] {1.40760596f, 0f}, losses.toArray(), TOLERANCE);

        Tensor dlogits = Tensor.zeros(2, 3);
        scalar.crossEntropyBackward(logits, new int[] {1, -100}, -100, 0.5f, dlogits);
        float[] expected = {0.5f * 0.09003057f, 0.5f * (0.24472847f - 1), 0.5f * 0.66524096f, 0, 0, 0};
        assertArrayEquals(expected, dlogits.toArray(), TOLERANCE);
    }

    @Test
    void reductionsMatchHandValues() {
        Tensor x = Tensor.of(new float[] {1, -2, 3, 4, 0, -9}, 2, 3);
        Tensor sums = Tensor.zeros(2);
        Tensor maxes = Tensor.zeros(2);
        scalar.sumLastAxis(x, sums);
        scalar.maxLastAxis(x, maxes);
        assertArrayEquals(new float[] {2, -5}, sums.toArray());
        assertArrayEquals(new float[] {3, 4}, maxes.toArray());
    }

    @Test
    void elementWiseOpsMatchHandValues() {
        Tensor a = Tensor.of(new float[] {1, 2, 3}, 3);
        Tensor b = Tensor.of(new float[] {4, 5, 6}, 3);
        Tensor out = Tensor.zeros(3);
        scalar.add(a, b, out);
        assertArrayEquals(new float[] {5, 7, 9}, out.toArray());
        scalar.mul(a, b, out);
        assertArrayEquals(new float[] {4, 10, 18}, out.toArray());
        scalar.scale(a, -2f, out);
        assertArrayEquals(new float[] {-2, -4, -6}, out.toArray());
        scalar.axpy(0.5f, b, out);
        assertArrayEquals(new float[] {0, -1.5f, -3}, out.toArray());
    }
}
