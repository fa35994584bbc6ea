package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.VectorMath.LANES;
import static org.gkd4j.tensor.kernels.VectorMath.SPECIES;
import static org.gkd4j.tensor.kernels.VectorMath.rowGrain;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import org.gkd4j.tensor.Tensor;

/**
 * Vector API rotary position embedding on interleaved pairs. Per row the cos and signed sin of every pair are
 * tabulated once and shared by all heads; a head then turns as y = x ⊙ cos + swap(x) ⊙ sin, where swap exchanges
 * the two lanes of each pair and sin is (-sin θ, +sin θ) per pair.
 */
final class VectorRope {

    // lane i reads lane i ^ 1: (x0, x1, x2, x3, ...) becomes (x1, x0, x3, x2, ...)
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromOp(SPECIES, i -> i ^ 1);

    private VectorRope() {
    }

    /** x: [N, H, D], positions: [N]; pair i turns by ±positions[n]·theta^(-2i/D). */
    static void rope(Tensor x, int[] positions, float theta, boolean inverse) {
        int n = x.dim(0), h = x.dim(1), d = x.dim(2);
        double[] inverseFrequency = new double[d / 2];
        for (int i = 0; i < d / 2; i++) {
            inverseFrequency[i] = Math.pow(theta, -2.0 * i / d);
        }
        float[] xd = x.data();
        Parallel.forRange(n, rowGrain(h * d), (start, end) -> {
            float[] tables = VectorMath.scratch(2 * d);
            for (int row = start; row < end; row++) {
                // cos at [0, D), signed sin at [D, 2D), with the same angles as the scalar reference
                for (int i = 0; i < d / 2; i++) {
                    double angle = positions[row] * inverseFrequency[i];
                    float cos = (float) Math.cos(angle);
                    float sin = (float) (inverse ? -Math.sin(angle) : Math.sin(angle));
                    tables[2 * i] = cos;
                    tables[2 * i + 1] = cos;
                    tables[d + 2 * i] = -sin;
                    tables[d + 2 * i + 1] = sin;
                }
                for (int head = 0; head < h; head++) {
                    rotate(xd, x.offset() + (row * h + head) * d, tables, d);
                }
            }
        });
    }

    private static void rotate(float[] x, int from, float[] tables, int d) {
        int i = 0;
        // LANES is even, so a vector never splits a pair
        for (int bound = SPECIES.loopBound(d); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, from + i);
            FloatVector cos = FloatVector.fromArray(SPECIES, tables, i);
            FloatVector sin = FloatVector.fromArray(SPECIES, tables, d + i);
            v.mul(cos).add(v.rearrange(SWAP_PAIRS).mul(sin)).intoArray(x, from + i);
        }
        for (; i < d; i += 2) {
            float x0 = x[from + i], x1 = x[from + i + 1];
            x[from + i] = x0 * tables[i] + x1 * tables[d + i];
            x[from + i + 1] = x1 * tables[i + 1] + x0 * tables[d + i + 1];
        }
    }
}
