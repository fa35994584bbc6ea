package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.GemmMicroKernel.LANES;
import static org.gkd4j.tensor.kernels.GemmMicroKernel.MR;
import static org.gkd4j.tensor.kernels.GemmMicroKernel.NR;
import static org.gkd4j.tensor.kernels.GemmMicroKernel.SPECIES;

import jdk.incubator.vector.FloatVector;

/**
 * The small-M path of {@link VectorMatmul}: c[M, N] (+)= op(a)[M, K] · op(b)[K, N] for a few rows of c, as in
 * decoding (x[B, C] · W[O, C]ᵀ) and matrix·vector products. Each B element is used only M times here, so packing
 * B would cost about as much as the product. B is therefore read in place, and threads split the work by columns.
 *
 * <p>A·Bᵀ uses dot products along K (rows of A against rows of B, both contiguous); A·B and Aᵀ·B pack the few
 * rows of A and run {@link GemmMicroKernel} directly on rows of B.
 */
final class GemmSmall {

    private GemmSmall() {
    }

    static void matmul(float[] a, int aBase, float[] b, int bBase, float[] c, int cBase, int m, int n, int k,
                       boolean transA, boolean transB, boolean accumulate) {
        long flopsPerColumn = 2L * m * k;
        if (transB) {
            int grain = (int) Math.max(4, VectorMatmul.MIN_FLOPS_PER_THREAD / flopsPerColumn);
            Parallel.forRange(n, grain, (start, end) ->
                    dotColumns(a, aBase, b, bBase, c, cBase, m, n, k, accumulate, start, end));
            return;
        }

        // pack all rows of A once, as MR-row panels over the whole of K
        int rowPanels = (m + MR - 1) / MR;
        float[] ap = new float[rowPanels * MR * k];
        GemmPacking.packA(a, aBase, m, k, transA, 0, m, 0, k, ap, 0);

        int colPanels = (n + NR - 1) / NR;
        int grain = (int) Math.max(1, VectorMatmul.MIN_FLOPS_PER_THREAD / (flopsPerColumn * NR));
        Parallel.forRange(colPanels, grain, (start, end) ->
                rowsOfB(ap, rowPanels, b, bBase, c, cBase, m, n, k, accumulate, start, end));
    }

    // ---------------------------------------------------------------- A·B and Aᵀ·B: B rows read in place

    private static void rowsOfB(float[] ap, int rowPanels, float[] b, int bBase, float[] c, int cBase,
                                int m, int n, int k, boolean accumulate, int firstPanel, int endPanel) {
        VectorMatmul.Scratch scratch = VectorMatmul.SCRATCH_FOR_SMALL.get();
        float[] tile = scratch.tile;
        for (int q = firstPanel; q < endPanel; q++) {
            int col = q * NR;
            int validCols = Math.min(NR, n - col);

            // a partial panel at the right edge is copied, zero-padded, so the kernel never reads past row ends
            float[] panel = b;
            int panelOff = bBase + col;
            int stride = n;
            if (validCols < NR) {
                panel = scratch.packedB(k * NR);
                GemmPacking.packB(b, bBase, k, n, false, 0, k, col, validCols, panel, 0);
                panelOff = 0;
                stride = NR;
            }

            for (int r = 0; r < rowPanels; r++) {
                int row = r * MR;
                int validRows = Math.min(MR, m - row);
                int cOff = cBase + row * n + col;
                if (validRows == MR && validCols == NR) {
                    GemmMicroKernel.tile(ap, r * MR * k, panel, panelOff, stride, k, c, cOff, n, accumulate);
                } else {
                    GemmMicroKernel.tile(ap, r * MR * k, panel, panelOff, stride, k, tile, 0, NR, false);
                    VectorMatmul.mergeTile(tile, validRows, validCols, c, cOff, n, accumulate);
                }
            }
        }
    }

    // ---------------------------------------------------------------- A·Bᵀ: dot products along K

    /** c[i, j] (+)= a[i, :] · b[j, :] for all i and j in [firstCol, endCol); a: [M, K], b: [N, K]. */
    private static void dotColumns(float[] a, int aBase, float[] b, int bBase, float[] c, int cBase,
                                   int m, int n, int k, boolean accumulate, int firstCol, int endCol) {
        float[] sums = new float[12];
        int j = firstCol;
        for (; j + 4 <= endCol; j += 4) {
            int i = 0;
            for (; i + 3 <= m; i += 3) {
                dot3x4(a, aBase + i * k, b, bBase + j * k, k, sums);
                for (int ii = 0; ii < 3; ii++) {
                    for (int jj = 0; jj < 4; jj++) {
                        store(c, cBase + (i + ii) * n + j + jj, sums[ii * 4 + jj], accumulate);
                    }
                }
            }
            for (; i < m; i++) {
                dot1x4(a, aBase + i * k, b, bBase + j * k, k, sums);
                for (int jj = 0; jj < 4; jj++) {
                    store(c, cBase + i * n + j + jj, sums[jj], accumulate);
                }
            }
        }
        for (; j < endCol; j++) {
            for (int i = 0; i < m; i++) {
                store(c, cBase + i * n + j, dot(a, aBase + i * k, b, bBase + j * k, k), accumulate);
            }
        }
    }

    private static void store(float[] c, int index, float sum, boolean accumulate) {
        c[index] = accumulate ? c[index] + sum : sum;
    }

    /** Sets sums[ii·4 + jj] = a row ii · b row jj for 3 rows of a and 4 rows of b, each row k floats long. */
    private static void dot3x4(float[] a, int a0, float[] b, int b0, int k, float[] sums) {
        int a1 = a0 + k;
        int a2 = a1 + k;
        int b1 = b0 + k;
        int b2 = b1 + k;
        int b3 = b2 + k;
        FloatVector s00 = FloatVector.zero(SPECIES);
        FloatVector s01 = s00;
        FloatVector s02 = s00;
        FloatVector s03 = s00;
        FloatVector s10 = s00;
        FloatVector s11 = s00;
        FloatVector s12 = s00;
        FloatVector s13 = s00;
        FloatVector s20 = s00;
        FloatVector s21 = s00;
        FloatVector s22 = s00;
        FloatVector s23 = s00;

        // each step loads 4 B vectors and 3 A vectors for 12 FMAs
        int bound = SPECIES.loopBound(k);
        int p = 0;
        for (; p < bound; p += LANES) {
            FloatVector w0 = FloatVector.fromArray(SPECIES, b, b0 + p);
            FloatVector w1 = FloatVector.fromArray(SPECIES, b, b1 + p);
            FloatVector w2 = FloatVector.fromArray(SPECIES, b, b2 + p);
            FloatVector w3 = FloatVector.fromArray(SPECIES, b, b3 + p);
            FloatVector x = FloatVector.fromArray(SPECIES, a, a0 + p);
            s00 = x.fma(w0, s00);
            s01 = x.fma(w1, s01);
            s02 = x.fma(w2, s02);
            s03 = x.fma(w3, s03);
            x = FloatVector.fromArray(SPECIES, a, a1 + p);
            s10 = x.fma(w0, s10);
            s11 = x.fma(w1, s11);
            s12 = x.fma(w2, s12);
            s13 = x.fma(w3, s13);
            x = FloatVector.fromArray(SPECIES, a, a2 + p);
            s20 = x.fma(w0, s20);
            s21 = x.fma(w1, s21);
            s22 = x.fma(w2, s22);
            s23 = x.fma(w3, s23);
        }

        // one reduction per output, outside the loop, plus the scalar tail of K
        sums[0] = VectorMath.sumLanes(s00) + tail(a, a0, b, b0, p, k);
        sums[1] = VectorMath.sumLanes(s01) + tail(a, a0, b, b1, p, k);
        sums[2] = VectorMath.sumLanes(s02) + tail(a, a0, b, b2, p, k);
        sums[3] = VectorMath.sumLanes(s03) + tail(a, a0, b, b3, p, k);
        sums[4] = VectorMath.sumLanes(s10) + tail(a, a1, b, b0, p, k);
        sums[5] = VectorMath.sumLanes(s11) + tail(a, a1, b, b1, p, k);
        sums[6] = VectorMath.sumLanes(s12) + tail(a, a1, b, b2, p, k);
        sums[7] = VectorMath.sumLanes(s13) + tail(a, a1, b, b3, p, k);
        sums[8] = VectorMath.sumLanes(s20) + tail(a, a2, b, b0, p, k);
        sums[9] = VectorMath.sumLanes(s21) + tail(a, a2, b, b1, p, k);
        sums[10] = VectorMath.sumLanes(s22) + tail(a, a2, b, b2, p, k);
        sums[11] = VectorMath.sumLanes(s23) + tail(a, a2, b, b3, p, k);
    }

    /** Sets sums[jj] = a row · b row jj for 4 rows of b, each row k floats long. */
    private static void dot1x4(float[] a, int a0, float[] b, int b0, int k, float[] sums) {
        int b1 = b0 + k;
        int b2 = b1 + k;
        int b3 = b2 + k;
        FloatVector s0 = FloatVector.zero(SPECIES);
        FloatVector s1 = s0;
        FloatVector s2 = s0;
        FloatVector s3 = s0;
        int bound = SPECIES.loopBound(k);
        int p = 0;
        for (; p < bound; p += LANES) {
            FloatVector x = FloatVector.fromArray(SPECIES, a, a0 + p);
            s0 = x.fma(FloatVector.fromArray(SPECIES, b, b0 + p), s0);
            s1 = x.fma(FloatVector.fromArray(SPECIES, b, b1 + p), s1);
            s2 = x.fma(FloatVector.fromArray(SPECIES, b, b2 + p), s2);
            s3 = x.fma(FloatVector.fromArray(SPECIES, b, b3 + p), s3);
        }
        sums[0] = VectorMath.sumLanes(s0) + tail(a, a0, b, b0, p, k);
        sums[1] = VectorMath.sumLanes(s1) + tail(a, a0, b, b1, p, k);
        sums[2] = VectorMath.sumLanes(s2) + tail(a, a0, b, b2, p, k);
        sums[3] = VectorMath.sumLanes(s3) + tail(a, a0, b, b3, p, k);
    }

    private static float dot(float[] a, int a0, float[] b, int b0, int k) {
        FloatVector s = FloatVector.zero(SPECIES);
        int bound = SPECIES.loopBound(k);
        int p = 0;
        for (; p < bound; p += LANES) {
            s = FloatVector.fromArray(SPECIES, a, a0 + p).fma(FloatVector.fromArray(SPECIES, b, b0 + p), s);
        }
        return VectorMath.sumLanes(s) + tail(a, a0, b, b0, p, k);
    }

    /** Returns Σ a[a0 + p] · b[b0 + p] over the scalar tail p in [from, k). */
    private static float tail(float[] a, int a0, float[] b, int b0, int from, int k) {
        float sum = 0f;
        for (int p = from; p < k; p++) {
            sum += a[a0 + p] * b[b0 + p];
        }
        return sum;
    }
}
