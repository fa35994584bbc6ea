package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.VectorMath.LANES;
import static org.gkd4j.tensor.kernels.VectorMath.SPECIES;
import static org.gkd4j.tensor.kernels.VectorMath.sumLanes;

import jdk.incubator.vector.FloatVector;

/**
 * The two small matrix products of {@link VectorAttention} along the key axis (length n, a whole number of
 * vectors, zero-padded past the last key) against a [D, stride] transposed block: D dot products, and a rank-one
 * update. Four rows of the block go together so that each vector of the key axis is loaded once per four rows.
 */
final class VectorAttentionBlocks {

    private VectorAttentionBlocks() {
    }

    /**
     * out[outAt + j] = Σ_s x[xAt + s]·rows[rowsAt + j·stride + s] for j in [0, D) and s in [0, n).
     * n is a multiple of the vector length. Lanes are summed with {@link VectorMath#sumLanes} (fixed order).
     */
    static void rowDots(float[] x, int xAt, int n, float[] rows, int rowsAt, int stride, int d,
                        float[] out, int outAt) {
        int j = 0;
        for (; j + 4 <= d; j += 4) {
            int r0 = rowsAt + j * stride, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
            FloatVector acc0 = FloatVector.zero(SPECIES), acc1 = acc0, acc2 = acc0, acc3 = acc0;
            for (int s = 0; s < n; s += LANES) {
                FloatVector xs = FloatVector.fromArray(SPECIES, x, xAt + s);
                acc0 = FloatVector.fromArray(SPECIES, rows, r0 + s).fma(xs, acc0);
                acc1 = FloatVector.fromArray(SPECIES, rows, r1 + s).fma(xs, acc1);
                acc2 = FloatVector.fromArray(SPECIES, rows, r2 + s).fma(xs, acc2);
                acc3 = FloatVector.fromArray(SPECIES, rows, r3 + s).fma(xs, acc3);
            }
            out[outAt + j] = sumLanes(acc0);
            out[outAt + j + 1] = sumLanes(acc1);
            out[outAt + j + 2] = sumLanes(acc2);
            out[outAt + j + 3] = sumLanes(acc3);
        }
        for (; j < d; j++) {
            int r0 = rowsAt + j * stride;
            FloatVector acc = FloatVector.zero(SPECIES);
            for (int s = 0; s < n; s += LANES) {
                acc = FloatVector.fromArray(SPECIES, rows, r0 + s).fma(FloatVector.fromArray(SPECIES, x, xAt + s), acc);
            }
            out[outAt + j] = sumLanes(acc);
        }
    }

    /**
     * rows[rowsAt + j·stride + s] += a[aAt + j]·x[xAt + s] for j in [0, D) and s in [0, n).
     * n is a multiple of the vector length.
     */
    static void outerAdd(float[] a, int aAt, float[] x, int xAt, int n, float[] rows, int rowsAt, int stride,
                         int d) {
        int j = 0;
        for (; j + 4 <= d; j += 4) {
            int r0 = rowsAt + j * stride, r1 = r0 + stride, r2 = r1 + stride, r3 = r2 + stride;
            FloatVector a0 = FloatVector.broadcast(SPECIES, a[aAt + j]);
            FloatVector a1 = FloatVector.broadcast(SPECIES, a[aAt + j + 1]);
            FloatVector a2 = FloatVector.broadcast(SPECIES, a[aAt + j + 2]);
            FloatVector a3 = FloatVector.broadcast(SPECIES, a[aAt + j + 3]);
            for (int s = 0; s < n; s += LANES) {
                FloatVector xs = FloatVector.fromArray(SPECIES, x, xAt + s);
                xs.fma(a0, FloatVector.fromArray(SPECIES, rows, r0 + s)).intoArray(rows, r0 + s);
                xs.fma(a1, FloatVector.fromArray(SPECIES, rows, r1 + s)).intoArray(rows, r1 + s);
                xs.fma(a2, FloatVector.fromArray(SPECIES, rows, r2 + s)).intoArray(rows, r2 + s);
                xs.fma(a3, FloatVector.fromArray(SPECIES, rows, r3 + s)).intoArray(rows, r3 + s);
            }
        }
        for (; j < d; j++) {
            int r0 = rowsAt + j * stride;
            FloatVector aj = FloatVector.broadcast(SPECIES, a[aAt + j]);
            for (int s = 0; s < n; s += LANES) {
                FloatVector.fromArray(SPECIES, x, xAt + s).fma(aj, FloatVector.fromArray(SPECIES, rows, r0 + s))
                        .intoArray(rows, r0 + s);
            }
        }
    }

    /**
     * rows[rowsAt + j·stride + s] += a[a0At + j]·x[x0At + s] + a[a1At + j]·x[x1At + s] for j in [0, D) and
     * s in [0, n): two rank-one updates with one load and one store of rows. n is a multiple of the vector length.
     */
    static void outerAdd2(float[] a, int a0At, int a1At, float[] x, int x0At, int x1At, int n, float[] rows,
                          int rowsAt, int stride, int d) {
        int j = 0;
        for (; j + 2 <= d; j += 2) {
            int r0 = rowsAt + j * stride, r1 = r0 + stride;
            FloatVector a00 = FloatVector.broadcast(SPECIES, a[a0At + j]);
            FloatVector a01 = FloatVector.broadcast(SPECIES, a[a0At + j + 1]);
            FloatVector a10 = FloatVector.broadcast(SPECIES, a[a1At + j]);
            FloatVector a11 = FloatVector.broadcast(SPECIES, a[a1At + j + 1]);
            for (int s = 0; s < n; s += LANES) {
                FloatVector x0 = FloatVector.fromArray(SPECIES, x, x0At + s);
                FloatVector x1 = FloatVector.fromArray(SPECIES, x, x1At + s);
                x1.fma(a10, x0.fma(a00, FloatVector.fromArray(SPECIES, rows, r0 + s))).intoArray(rows, r0 + s);
                x1.fma(a11, x0.fma(a01, FloatVector.fromArray(SPECIES, rows, r1 + s))).intoArray(rows, r1 + s);
            }
        }
        for (; j < d; j++) {
            int r0 = rowsAt + j * stride;
            FloatVector a0 = FloatVector.broadcast(SPECIES, a[a0At + j]);
            FloatVector a1 = FloatVector.broadcast(SPECIES, a[a1At + j]);
            for (int s = 0; s < n; s += LANES) {
                FloatVector x0 = FloatVector.fromArray(SPECIES, x, x0At + s);
                FloatVector x1 = FloatVector.fromArray(SPECIES, x, x1At + s);
                x1.fma(a1, x0.fma(a0, FloatVector.fromArray(SPECIES, rows, r0 + s))).intoArray(rows, r0 + s);
            }
        }
    }
}
