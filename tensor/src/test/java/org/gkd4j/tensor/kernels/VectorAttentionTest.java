package org.gkd4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;

import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * VectorAttention on the training shapes (D = 8, 32, 48, T not a multiple of the vector length) against the
 * scalar reference, and bitwise equality of its results across thread counts.
 */
class VectorAttentionTest {

    private final Random random = new Random(11);

    private Tensor random(int... shape) {
        Tensor x = Tensor.zeros(shape);
        float[] data = x.data();
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        return x;
    }

    /** Runs forward and backward; returns {out, logsumexp, dq, dk, dv}. */
    private static Tensor[] run(Backend backend, Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor dout) {
        int b = q.dim(0), t = q.dim(1), h = q.dim(2), d = q.dim(3), g = k.dim(2);
        Tensor out = Tensor.zeros(b, t, h, d), logsumexp = Tensor.zeros(b, h, t);
        Tensor dq = Tensor.zeros(b, t, h, d), dk = Tensor.zeros(b, t, g, d), dv = Tensor.zeros(b, t, g, d);
        backend.attention(q, k, v, keyMask, out, logsumexp);
        backend.attentionBackward(q, k, v, keyMask, out, logsumexp, dout, dq, dk, dv);
        return new Tensor[] {out, logsumexp, dq, dk, dv};
    }

    private boolean[] leftPaddedMask(int b, int t) {
        boolean[] keyMask = new boolean[b * t];
        for (int i = 0; i < keyMask.length; i++) {
            keyMask[i] = i % t >= 3 + i / t;
        }
        return keyMask;
    }

    @Test
    void attentionMatchesScalarOnTrainingShapes() {
        // {B, T, H, G, D}: teacher tiny, student, small, with T off the vector length; T mod 4 of 1, 2 and 3
        // leaves the last block of query rows short
        int[][] shapes = {{2, 37, 8, 4, 8}, {2, 29, 4, 4, 32}, {1, 21, 6, 6, 48}, {1, 19, 4, 2, 5},
                {1, 30, 2, 1, 12}};
        String[] names = {"out", "logsumexp", "dq", "dk", "dv"};
        for (int[] shape : shapes) {
            int b = shape[0], t = shape[1], h = shape[2], g = shape[3], d = shape[4];
            Tensor q = random(b, t, h, d), k = random(b, t, g, d), v = random(b, t, g, d), dout = random(b, t, h, d);
            boolean[] keyMask = leftPaddedMask(b, t);
            Tensor[] expected = run(new ScalarBackend(), q, k, v, keyMask, dout);
            Tensor[] actual = run(new VectorBackend(), q, k, v, keyMask, dout);
            for (int i = 0; i < expected.length; i++) {
                float[] e = expected[i].data(), a = actual[i].data();
                for (int j = 0; j < e.length; j++) {
                    String where = names[i] + "[" + j + "] D=" + d + " T=" + t;
                    if (e[j] == Float.NEGATIVE_INFINITY) {
                        assertEquals(e[j], a[j], where);
                    } else {
                        assertEquals(e[j], a[j], 1e-4f * (1 + Math.abs(e[j])), where);
                    }
                }
            }
        }
    }

    @Test
    void attentionBitwiseAcrossThreadCounts() {
        int b = 3, t = 45, h = 4, g = 2, d = 8;
        Tensor q = random(b, t, h, d), k = random(b, t, g, d), v = random(b, t, g, d), dout = random(b, t, h, d);
        boolean[] keyMask = leftPaddedMask(b, t);
        int before = Parallel.threads();
        try {
            Parallel.setThreads(1);
            Tensor[] single = run(new VectorBackend(), q, k, v, keyMask, dout);
            Parallel.setThreads(3);
            Tensor[] several = run(new VectorBackend(), q, k, v, keyMask, dout);
            for (int i = 0; i < single.length; i++) {
                assertArrayEquals(single[i].data(), several[i].data(), "result " + i);
            }
        } finally {
            Parallel.setThreads(before);
        }
    }
}
