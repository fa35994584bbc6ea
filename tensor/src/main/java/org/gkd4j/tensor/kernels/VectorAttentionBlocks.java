package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.VectorMath.LANES;
import static org.gkd4j.tensor.kernels.VectorMath.SPECIES;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;

/**
 * The small matrix products of {@link VectorAttention} for a block of four query rows at once, so that each
 * vector of keys or values is loaded once per four rows and four independent fused multiply-add chains hide the
 * FMA latency: the scores x·Kᵀ against a transposed [D, stride] block, the weighted sums Σ_s w_s·rows_s over
 * rows of D values in their natural [T, ·, D] layout, and the rank-one updates of a transposed block.
 * A block of fewer than four rows passes its last row again for the missing ones (same inputs and outputs), which
 * writes the same values twice.
 */
final class VectorAttentionBlocks {

    /** Query rows per block. */
    static final int ROWS = 4;

    private VectorAttentionBlocks() {
    }

    /**
     * Writes scale·(x_r · columns_s) + mask_s for the four rows r at {@code outAt_r + s}, s in
     * [0, roundUp(keys3)), with columns stored [D, stride] at {@code columnsAt}; maskAt < 0 means no mask.
     * Lanes s ≥ keys_r are set to -∞ with a mask (so that exp gives 0) or 0 without. Row r's max over its values
     * goes to {@code scratch[maxesAt + r]}. keys3 must be the largest of the four key counts.
     */
    static void scores4(float[] x, int x0, int x1, int x2, int x3, float scale, float[] scratch, int columnsAt,
                        int maskAt, int out0, int out1, int out2, int out3, int keys0, int keys1, int keys2,
                        int keys3, int d, int stride, int maxesAt) {
        float beyond = maskAt >= 0 ? Float.NEGATIVE_INFINITY : 0f;
        FloatVector max0 = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        FloatVector max1 = max0, max2 = max0, max3 = max0;
        for (int s = 0; s < keys3; s += LANES) {
            FloatVector acc0 = FloatVector.zero(SPECIES), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int j = 0; j < d; j++) {
                FloatVector column = FloatVector.fromArray(SPECIES, scratch, columnsAt + j * stride + s);
                acc0 = column.fma(FloatVector.broadcast(SPECIES, x[x0 + j]), acc0);
                acc1 = column.fma(FloatVector.broadcast(SPECIES, x[x1 + j]), acc1);
                acc2 = column.fma(FloatVector.broadcast(SPECIES, x[x2 + j]), acc2);
                acc3 = column.fma(FloatVector.broadcast(SPECIES, x[x3 + j]), acc3);
            }
            acc0 = finishScores(acc0, scale, scratch, maskAt, beyond, s, keys0);
            acc1 = finishScores(acc1, scale, scratch, maskAt, beyond, s, keys1);
            acc2 = finishScores(acc2, scale, scratch, maskAt, beyond, s, keys2);
            acc3 = finishScores(acc3, scale, scratch, maskAt, beyond, s, keys3);
            acc0.intoArray(scratch, out0 + s);
            acc1.intoArray(scratch, out1 + s);
            acc2.intoArray(scratch, out2 + s);
            acc3.intoArray(scratch, out3 + s);
            max0 = max0.max(acc0);
            max1 = max1.max(acc1);
            max2 = max2.max(acc2);
            max3 = max3.max(acc3);
        }
        scratch[maxesAt] = max0.reduceLanes(VectorOperators.MAX);
        scratch[maxesAt + 1] = max1.reduceLanes(VectorOperators.MAX);
        scratch[maxesAt + 2] = max2.reduceLanes(VectorOperators.MAX);
        scratch[maxesAt + 3] = max3.reduceLanes(VectorOperators.MAX);
    }

    /** Scales the dot products, adds the mask and sets the lanes from {@code keys} on to {@code beyond}. */
    private static FloatVector finishScores(FloatVector acc, float scale, float[] scratch, int maskAt, float beyond,
                                            int s, int keys) {
        FloatVector scores = acc.mul(scale);
        if (maskAt >= 0) {
            scores = scores.add(FloatVector.fromArray(SPECIES, scratch, maskAt + s));
        }
        if (s + LANES > keys) {
            scores = scores.blend(beyond, SPECIES.indexInRange(s, keys).not());
        }
        return scores;
    }

    /**
     * out[outAt_r + j] = Σ_{s < n} w[wAt_r + s]·rows[rowsAt + s·rowStride + j] for the four rows r and j in
     * [0, D): weighted sums of rows stored with {@code rowStride} between consecutive s. The sum runs in s order
     * for every element, so the result does not depend on D's split into vectors.
     */
    static void weightedSums4(float[] w, int w0, int w1, int w2, int w3, int n, float[] rows, int rowsAt,
                              int rowStride, int d, float[] out, int out0, int out1, int out2, int out3) {
        int j = 0;
        // two vectors of D at a time: eight independent accumulators
        for (; j + 2 * LANES <= d; j += 2 * LANES) {
            FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
            FloatVector b0 = a0, b1 = a0, b2 = a0, b3 = a0;
            for (int s = 0; s < n; s++) {
                int at = rowsAt + s * rowStride + j;
                FloatVector low = FloatVector.fromArray(SPECIES, rows, at);
                FloatVector high = FloatVector.fromArray(SPECIES, rows, at + LANES);
                FloatVector p0 = FloatVector.broadcast(SPECIES, w[w0 + s]);
                FloatVector p1 = FloatVector.broadcast(SPECIES, w[w1 + s]);
                FloatVector p2 = FloatVector.broadcast(SPECIES, w[w2 + s]);
                FloatVector p3 = FloatVector.broadcast(SPECIES, w[w3 + s]);
                a0 = low.fma(p0, a0);
                b0 = high.fma(p0, b0);
                a1 = low.fma(p1, a1);
                b1 = high.fma(p1, b1);
                a2 = low.fma(p2, a2);
                b2 = high.fma(p2, b2);
                a3 = low.fma(p3, a3);
                b3 = high.fma(p3, b3);
            }
            a0.intoArray(out, out0 + j);
            b0.intoArray(out, out0 + j + LANES);
            a1.intoArray(out, out1 + j);
            b1.intoArray(out, out1 + j + LANES);
            a2.intoArray(out, out2 + j);
            b2.intoArray(out, out2 + j + LANES);
            a3.intoArray(out, out3 + j);
            b3.intoArray(out, out3 + j + LANES);
        }
        for (; j + LANES <= d; j += LANES) {
            FloatVector a0 = FloatVector.zero(SPECIES), a1 = a0, a2 = a0, a3 = a0;
            for (int s = 0; s < n; s++) {
                FloatVector row = FloatVector.fromArray(SPECIES, rows, rowsAt + s * rowStride + j);
                a0 = row.fma(FloatVector.broadcast(SPECIES, w[w0 + s]), a0);
                a1 = row.fma(FloatVector.broadcast(SPECIES, w[w1 + s]), a1);
                a2 = row.fma(FloatVector.broadcast(SPECIES, w[w2 + s]), a2);
                a3 = row.fma(FloatVector.broadcast(SPECIES, w[w3 + s]), a3);
            }
            a0.intoArray(out, out0 + j);
            a1.intoArray(out, out1 + j);
            a2.intoArray(out, out2 + j);
            a3.intoArray(out, out3 + j);
        }
        // D not a multiple of the vector length: the last columns one at a time, with fma for the same rounding
        for (; j < d; j++) {
            float s0 = 0f, s1 = 0f, s2 = 0f, s3 = 0f;
            for (int s = 0; s < n; s++) {
                float value = rows[rowsAt + s * rowStride + j];
                s0 = Math.fma(value, w[w0 + s], s0);
                s1 = Math.fma(value, w[w1 + s], s1);
                s2 = Math.fma(value, w[w2 + s], s2);
                s3 = Math.fma(value, w[w3 + s], s3);
            }
            out[out0 + j] = s0;
            out[out1 + j] = s1;
            out[out2 + j] = s2;
            out[out3 + j] = s3;
        }
    }

    /**
     * rows[rowsAt + j·stride + s] += Σ_{r < count} a[aAt_r + j]·x[xAt_r + s] for j in [0, D) and s in [0, n):
     * up to four rank-one updates with one load and one store of rows. n is a multiple of the vector length.
     * Rows r ≥ count are ignored.
     */
    static void outerAdd4(float[] a, int a0, int a1, int a2, int a3, float[] x, int x0, int x1, int x2, int x3,
                          int count, int n, float[] rows, int rowsAt, int stride, int d) {
        if (count == 4) {
            for (int j = 0; j < d; j++) {
                int r = rowsAt + j * stride;
                FloatVector c0 = FloatVector.broadcast(SPECIES, a[a0 + j]);
                FloatVector c1 = FloatVector.broadcast(SPECIES, a[a1 + j]);
                FloatVector c2 = FloatVector.broadcast(SPECIES, a[a2 + j]);
                FloatVector c3 = FloatVector.broadcast(SPECIES, a[a3 + j]);
                for (int s = 0; s < n; s += LANES) {
                    FloatVector sum = FloatVector.fromArray(SPECIES, rows, r + s);
                    sum = FloatVector.fromArray(SPECIES, x, x0 + s).fma(c0, sum);
                    sum = FloatVector.fromArray(SPECIES, x, x1 + s).fma(c1, sum);
                    sum = FloatVector.fromArray(SPECIES, x, x2 + s).fma(c2, sum);
                    sum = FloatVector.fromArray(SPECIES, x, x3 + s).fma(c3, sum);
                    sum.intoArray(rows, r + s);
                }
            }
            return;
        }
        int[] aAt = {a0, a1, a2, a3};
        int[] xAt = {x0, x1, x2, x3};
        for (int j = 0; j < d; j++) {
            int r = rowsAt + j * stride;
            for (int s = 0; s < n; s += LANES) {
                FloatVector sum = FloatVector.fromArray(SPECIES, rows, r + s);
                for (int q = 0; q < count; q++) {
                    sum = FloatVector.fromArray(SPECIES, x, xAt[q] + s)
                            .fma(FloatVector.broadcast(SPECIES, a[aAt[q] + j]), sum);
                }
                sum.intoArray(rows, r + s);
            }
        }
    }
}
