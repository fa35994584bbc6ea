package org.gkd4j.tensor.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

class UpdateKernelsTest {

    // sizes below, at and past common vector lengths (4, 8, 16 floats), none a multiple of all of them
    private static final int[] SIZES = {1, 3, 7, 8, 17, 33, 1001};

    private static float[] gaussian(Random random, int n, float scale) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian() * scale;
        }
        return values;
    }

    @Test
    void adamwVectorMatchesReferenceBitwise() {
        Random random = new Random(11);
        UpdateKernels.AdamWFactors factors = new UpdateKernels.AdamWFactors(0.9f, 1f - 0.9f, 0.95f, 1f - 0.95f,
                1e-8f, (float) Math.sqrt(1 - 0.95 * 0.95), (float) (1e-3 / (1 - 0.9 * 0.9)), 0.9999f);
        for (int n : SIZES) {
            // the weight and gradient sit at an offset, as views into a larger array do
            float[] w = gaussian(random, n + 5, 1f);
            float[] g = gaussian(random, n + 2, 0.1f);
            float[] m = gaussian(random, n, 0.01f);
            float[] v = gaussian(random, n, 0.001f);
            for (int i = 0; i < n; i++) {
                v[i] = Math.abs(v[i]);
            }
            float[] wRef = w.clone();
            float[] mRef = m.clone();
            float[] vRef = v.clone();
            // two ranges, the second starting off a vector boundary, as the optimizer's chunks of a parameter do
            int split = n / 3;
            UpdateKernels.adamw(w, 5, g, 2, m, v, 0, split, factors);
            UpdateKernels.adamw(w, 5, g, 2, m, v, split, n, factors);
            UpdateKernels.adamwReference(wRef, 5, g, 2, mRef, vRef, 0, n, factors);
            assertArrayEquals(wRef, w, "weights, n = " + n);
            assertArrayEquals(mRef, m, "first moment, n = " + n);
            assertArrayEquals(vRef, v, "second moment, n = " + n);
        }
    }

    @Test
    void sgdVectorMatchesReferenceBitwise() {
        Random random = new Random(12);
        boolean[][] variants = {{false, false}, {true, false}, {true, true}};
        for (boolean[] variant : variants) {
            float momentum = variant[0] ? 0.9f : 0f;
            for (int n : SIZES) {
                float[] w = gaussian(random, n + 3, 1f);
                float[] g = gaussian(random, n, 0.1f);
                float[] buf = gaussian(random, n, 0.1f);
                float[] wRef = w.clone();
                float[] bufRef = buf.clone();
                int split = n / 3;
                UpdateKernels.sgd(w, 3, g, 0, buf, 0, split, 0.05f, momentum, variant[1], 0.01f);
                UpdateKernels.sgd(w, 3, g, 0, buf, split, n, 0.05f, momentum, variant[1], 0.01f);
                UpdateKernels.sgdReference(wRef, 3, g, 0, bufRef, 0, n, 0.05f, momentum, variant[1], 0.01f);
                String label = "momentum " + momentum + ", nesterov " + variant[1] + ", n = " + n;
                assertArrayEquals(wRef, w, "weights, " + label);
                assertArrayEquals(bufRef, buf, "buffer, " + label);
            }
        }
    }
}
