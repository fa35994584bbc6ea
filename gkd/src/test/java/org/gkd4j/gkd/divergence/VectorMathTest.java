package org.gkd4j.gkd.divergence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class VectorMathTest {

    @Test
    void expMatchesMathExpAcrossRange() {
        // 12779 entries: not a multiple of any vector length, so the scalar tail runs too
        int n = 12779;
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
            x[i] = -86.5f + i * (156.5f / n);
        }
        float[] out = new float[n + 3];
        double sum = VectorMath.exp(x, 0, 0.5f, 1f, out, 3, n);
        double expectedSum = 0;
        for (int i = 0; i < n; i++) {
            double expected = Math.exp(x[i] - 0.5f);
            expectedSum += expected;
            assertEquals(expected, out[3 + i], 4e-7 * expected, "exp(" + (x[i] - 0.5f) + ")");
        }
        assertEquals(expectedSum, sum, 1e-6 * expectedSum);
    }

    @Test
    void expScalesAndShiftsItsArgument() {
        float[] x = {3f, 1f, -2f, 0.25f, 7f, -9f, 4f, 2f, 1.5f, 0f, -1f};
        float[] out = new float[x.length];
        VectorMath.exp(x, 0, 2f, -0.5f, out, 0, x.length);
        for (int i = 0; i < x.length; i++) {
            double expected = Math.exp((x[i] - 2.0) * -0.5);
            assertEquals(expected, out[i], 4e-7 * expected, "entry " + i);
        }
    }

    @Test
    void expUnderflowsToZero() {
        float[] x = new float[37];
        java.util.Arrays.fill(x, -100f);
        x[0] = Float.NEGATIVE_INFINITY;
        x[36] = Float.NEGATIVE_INFINITY;
        VectorMath.exp(x, 0, 0f, 1f, x, 0, x.length);
        for (float value : x) {
            assertEquals(0f, value);
        }
    }

    @Test
    void log1pMatchesMathLog1pOnUnitInterval() {
        int n = 10007;
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
            a[i] = i / (float) (n - 1);
        }
        float[] input = a.clone();
        VectorMath.log1pUnit(a, 0, n);
        for (int i = 0; i < n; i++) {
            assertEquals(Math.log1p(input[i]), a[i], 1.5e-7, "log1p(" + input[i] + ")");
        }
    }
}
