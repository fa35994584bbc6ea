package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.VectorMath.LANES;
import static org.gkd4j.tensor.kernels.VectorMath.SPECIES;
import static org.gkd4j.tensor.kernels.VectorMath.rowGrain;

import java.util.concurrent.ConcurrentHashMap;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorShuffle;
import org.gkd4j.tensor.Tensor;

/**
 * Vector API rotary position embedding on interleaved pairs. The cos and signed sin of every pair at a position
 * are tabulated once per (D, theta) and position and shared by all rows at that position and all heads; a head
 * then turns as y = x ⊙ cos + swap(x) ⊙ sin (y = x ⊙ cos - swap(x) ⊙ sin for the inverse), where swap exchanges
 * the two lanes of each pair and sin is (-sin θ, +sin θ) per pair.
 */
final class VectorRope {

    // lane i reads lane i ^ 1: (x0, x1, x2, x3, ...) becomes (x1, x0, x3, x2, ...)
    private static final VectorShuffle<Float> SWAP_PAIRS = VectorShuffle.fromOp(SPECIES, i -> i ^ 1);
    /** Positions from this one on are not tabulated: their rows compute cos and sin themselves. */
    private static final int MAX_TABULATED_POSITIONS = 1 << 16;
    /**
     * Tables by (D, theta bits): for position p, cos at [2D·p, 2D·p + D) and signed sin at [2D·p + D, 2D·(p + 1)).
     * A table is never changed once published; a longer one replaces it.
     */
    private static final ConcurrentHashMap<Long, float[]> TABLES = new ConcurrentHashMap<>();

    private VectorRope() {
    }

    /** x: [N, H, D], positions: [N] (non-negative); pair i turns by ±positions[n]·theta^(-2i/D). */
    static void rope(Tensor x, int[] positions, float theta, boolean inverse) {
        int n = x.dim(0), h = x.dim(1), d = x.dim(2);
        int maxPosition = 0;
        for (int position : positions) {
            maxPosition = Math.max(maxPosition, position);
        }
        float[] table = maxPosition < MAX_TABULATED_POSITIONS ? table(d, theta, maxPosition + 1) : null;
        float[] xd = x.data();
        Parallel.forRange(n, rowGrain(h * d), (start, end) -> {
            float[] rowTable = table != null ? table : VectorMath.scratch(2 * d);
            for (int row = start; row < end; row++) {
                int at;
                if (table != null) {
                    at = 2 * d * positions[row];
                } else {
                    fillRow(positions[row], d, theta, rowTable, 0);
                    at = 0;
                }
                for (int head = 0; head < h; head++) {
                    rotate(xd, x.offset() + (row * h + head) * d, rowTable, at, d, inverse);
                }
            }
        });
    }

    /** Returns the table of (d, theta) with at least {@code positions} positions, computing a longer one if needed. */
    private static float[] table(int d, float theta, int positions) {
        long key = ((long) d << 32) | (Float.floatToIntBits(theta) & 0xffffffffL);
        float[] table = TABLES.get(key);
        if (table != null && table.length >= 2 * d * positions) {
            return table;
        }
        int tabulated = Math.min(MAX_TABULATED_POSITIONS, Math.max(positions, table == null ? 256
                : 2 * table.length / (2 * d)));
        float[] grown = new float[2 * d * tabulated];
        for (int p = 0; p < tabulated; p++) {
            fillRow(p, d, theta, grown, 2 * d * p);
        }
        TABLES.put(key, grown);
        return grown;
    }

    /** Writes cos at [at, at + D) and the signed sin at [at + D, at + 2D) for one position. */
    private static void fillRow(int position, int d, float theta, float[] out, int at) {
        // the same angles as the scalar reference
        for (int i = 0; i < d / 2; i++) {
            double angle = position * Math.pow(theta, -2.0 * i / d);
            float cos = (float) Math.cos(angle);
            float sin = (float) Math.sin(angle);
            out[at + 2 * i] = cos;
            out[at + 2 * i + 1] = cos;
            out[at + d + 2 * i] = -sin;
            out[at + d + 2 * i + 1] = sin;
        }
    }

    private static void rotate(float[] x, int from, float[] tables, int at, int d, boolean inverse) {
        int i = 0;
        // LANES is even, so a vector never splits a pair
        for (int bound = SPECIES.loopBound(d); i < bound; i += LANES) {
            FloatVector v = FloatVector.fromArray(SPECIES, x, from + i);
            FloatVector cos = FloatVector.fromArray(SPECIES, tables, at + i);
            FloatVector turned = v.rearrange(SWAP_PAIRS).mul(FloatVector.fromArray(SPECIES, tables, at + d + i));
            FloatVector y = inverse ? v.mul(cos).sub(turned) : v.mul(cos).add(turned);
            y.intoArray(x, from + i);
        }
        for (; i < d; i += 2) {
            float x0 = x[from + i], x1 = x[from + i + 1];
            float cos0 = tables[at + i], cos1 = tables[at + i + 1];
            float sin0 = tables[at + d + i], sin1 = tables[at + d + i + 1];
            x[from + i] = inverse ? x0 * cos0 - x1 * sin0 : x0 * cos0 + x1 * sin0;
            x[from + i + 1] = inverse ? x1 * cos1 - x0 * sin1 : x1 * cos1 + x0 * sin1;
        }
    }
}
