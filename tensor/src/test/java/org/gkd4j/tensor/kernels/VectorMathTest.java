package org.gkd4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

/** Checks the lane functions against java.lang.Math. */
class VectorMathTest {

    private static float[] lanes(float first, float step) {
        float[] values = new float[VectorMath.LANES];
        for (int i = 0; i < values.length; i++) {
            values[i] = first + i * step;
        }
        return values;
    }

    @Test
    void expMatchesMathWithinOneTenMillionth() {
        for (float start = -87f; start < 88f; start += 0.37f) {
            float[] x = lanes(start, 0.013f);
            float[] y = VectorMath.exp(FloatVector.fromArray(VectorMath.SPECIES, x, 0)).toArray();
            for (int i = 0; i < x.length; i++) {
                double expected = Math.exp(x[i]);
                double relative = Math.abs(y[i] - expected) / expected;
                assertTrue(relative < 2e-7, "exp(" + x[i] + ") = " + y[i] + " but Math.exp gives " + expected);
            }
        }
    }

    @Test
    void expOfVeryNegativeInputsIsZero() {
        float[] x = lanes(Float.NEGATIVE_INFINITY, 0f);
        x[0] = -100f;
        float[] y = VectorMath.exp(FloatVector.fromArray(VectorMath.SPECIES, x, 0)).toArray();
        for (float value : y) {
            assertEquals(0f, value);
        }
    }

    @Test
    void tanhAndSigmoidMatchMath() {
        for (float start = -12f; start < 12f; start += 0.29f) {
            float[] x = lanes(start, 0.017f);
            FloatVector v = FloatVector.fromArray(VectorMath.SPECIES, x, 0);
            float[] tanh = VectorMath.tanh(v).toArray();
            float[] sigmoid = VectorMath.sigmoid(v).toArray();
            for (int i = 0; i < x.length; i++) {
                assertEquals(Math.tanh(x[i]), tanh[i], 3e-7, "tanh(" + x[i] + ")");
                assertEquals(1 / (1 + Math.exp(-x[i])), sigmoid[i], 3e-7, "sigmoid(" + x[i] + ")");
            }
        }
    }

    @Test
    void sumLanesFollowsPairwiseTree() {
        float[] x = lanes(0.1f, 1e7f);
        x[1] = -3.3e7f;
        // the documented order: lane i adds lane i ^ k for k = LANES/2 down to 1
        float[] tree = x.clone();
        for (int distance = tree.length / 2; distance >= 1; distance /= 2) {
            float[] next = new float[tree.length];
            for (int i = 0; i < tree.length; i++) {
                next[i] = tree[i] + tree[i ^ distance];
            }
            tree = next;
        }
        assertEquals(tree[0], VectorMath.sumLanes(FloatVector.fromArray(VectorMath.SPECIES, x, 0)));
    }
}
