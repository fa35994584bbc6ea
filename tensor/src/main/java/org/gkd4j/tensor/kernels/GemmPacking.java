package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.GemmMicroKernel.LANES;
import static org.gkd4j.tensor.kernels.GemmMicroKernel.MR;
import static org.gkd4j.tensor.kernels.GemmMicroKernel.NR;
import static org.gkd4j.tensor.kernels.GemmMicroKernel.SPECIES;

import java.util.Arrays;
import jdk.incubator.vector.FloatVector;

/**
 * Copies blocks of A and B into the micro-panel layouts that {@link GemmMicroKernel} reads, so the kernel reads
 * the same contiguous layout for A·B, A·Bᵀ and Aᵀ·B. Rows and columns past the matrix edge are padded with
 * zeros.
 */
final class GemmPacking {

    private GemmPacking() {
    }

    /**
     * Packs A rows [row0, row0 + rows) and k range [p0, p0 + kc) as ceil(rows / MR) panels of [kc][MR], panel r at
     * {@code out[outOff + r·MR·kc]}. A is [m, k] stored at aBase, or [k, m] when transA.
     */
    static void packA(float[] a, int aBase, int m, int k, boolean transA,
                      int row0, int rows, int p0, int kc, float[] out, int outOff) {
        for (int r0 = 0; r0 < rows; r0 += MR) {
            int valid = Math.min(MR, rows - r0);
            int panel = outOff + (r0 / MR) * MR * kc;
            if (transA) {
                // A(i, p) = a[p·m + i]: each k contributes `valid` contiguous values
                for (int p = 0; p < kc; p++) {
                    int src = aBase + (p0 + p) * m + row0 + r0;
                    int dst = panel + p * MR;
                    for (int ii = 0; ii < valid; ii++) {
                        out[dst + ii] = a[src + ii];
                    }
                    for (int ii = valid; ii < MR; ii++) {
                        out[dst + ii] = 0f;
                    }
                }
            } else {
                // A(i, p) = a[i·k + p]: each row is contiguous along k and lands MR apart
                for (int ii = 0; ii < MR; ii++) {
                    if (ii < valid) {
                        int src = aBase + (row0 + r0 + ii) * k + p0;
                        for (int p = 0; p < kc; p++) {
                            out[panel + p * MR + ii] = a[src + p];
                        }
                    } else {
                        for (int p = 0; p < kc; p++) {
                            out[panel + p * MR + ii] = 0f;
                        }
                    }
                }
            }
        }
    }

    /**
     * Writes the expanded A micro-panel that {@link GemmMicroKernel#tileExpanded} reads: A(row + ii, p0 + p) broadcast
     * to a whole vector at {@code ax[(p·MR + ii)·LANES]}, for ii in [0, MR) and p in [0, kc), with zeros for rows
     * ii ≥ validRows. It reads A where it lies (a is [m, k] at aBase, or [k, m] when transA), so the blocked path
     * makes no compact copy of A first. Returns a sum of A values read ahead to start their cache misses early;
     * the caller stores it (see {@link VectorMatmul.Scratch#sink}) so that the JIT keeps those loads.
     */
    static float expandA(float[] a, int aBase, int m, int k, boolean transA,
                         int row, int validRows, int p0, int kc, float[] ax) {
        if (validRows == MR && transA) {
            expandFullColumns(a, aBase + p0 * m + row, m, kc, ax);
        } else if (validRows == MR) {
            return expandFullRows(a, aBase + row * k + p0, k, kc, ax);
        } else {
            expandPartialStrip(a, aBase, m, k, transA, row, validRows, p0, kc, ax);
        }
        return 0f;
    }

    /*
     * The two full-strip expansions write the MR vectors of each p one after the other, each store index a constant
     * times p plus an invariant. NOTE: expansion still took about 16% of the JFR samples (with DebugNonSafepoints) at
     * 4096×768·768×288 A·B on one thread, because only N / NR = 18 tiles share its MR·kc vector stores there.
     */

    /**
     * Expands A(ii, p) = a[first + ii·k + p]: MR rows of an [M, K] matrix, each contiguous along k. Returns the sum
     * of the floats it touched first, which the caller must store somewhere so that the JIT keeps those loads.
     */
    private static float expandFullRows(float[] a, int first, int k, int kc, float[] ax) {
        int a0 = first;
        int a1 = a0 + k;
        int a2 = a1 + k;
        int a3 = a2 + k;
        int a4 = a3 + k;
        int a5 = a4 + k;

        // touch one float per cache line of the six rows first: these loads depend on nothing, so their misses
        // overlap, while the loop below has only about one line per row in flight
        float touched = 0f;
        for (int p = 0; p < kc; p += 16) {
            touched += a[a0 + p] + a[a1 + p] + a[a2 + p] + a[a3 + p] + a[a4 + p] + a[a5 + p];
        }

        for (int p = 0; p < kc; p++) {
            int dst = p * (MR * LANES);
            FloatVector.broadcast(SPECIES, a[a0 + p]).intoArray(ax, dst);
            FloatVector.broadcast(SPECIES, a[a1 + p]).intoArray(ax, dst + LANES);
            FloatVector.broadcast(SPECIES, a[a2 + p]).intoArray(ax, dst + 2 * LANES);
            FloatVector.broadcast(SPECIES, a[a3 + p]).intoArray(ax, dst + 3 * LANES);
            FloatVector.broadcast(SPECIES, a[a4 + p]).intoArray(ax, dst + 4 * LANES);
            FloatVector.broadcast(SPECIES, a[a5 + p]).intoArray(ax, dst + 5 * LANES);
        }
        return touched;
    }

    /**
     * Expands A(ii, p) = a[first + p·m + ii]: MR adjacent columns of a [K, M] matrix (Aᵀ stored).
     * NOTE: each p reads a cache line m floats from the last, so for large M the kc lines share few cache sets and the
     * next strip fetches them again. JFR put about 15% of the samples here at 32000×2048·2048×288 Aᵀ·B on one
     * thread. Copying the rows of 8 strips at once (System.arraycopy per k) first ran 0.86 times as fast there.
     * Another attempt copied 48-row groups back to row order once per k block, for the broadcasting tile of an A
     * stored [M, K]. It ran no faster either: 66.8 against 68.6 GFLOP/s at 4096×768·768×288 and 68.7 against 72.3 at
     * 4096×288·288×768 (JMH, one thread, errors of ±4 to ±21). A third attempt claimed groups of 8
     * strips at a time, copied each group's 48 rows to row order per k block, and ran the row-broadcast tile on them.
     * In four interleaved pairs of runs on one thread it ran at 23–25 GFLOP/s against 25–30 at 4096×288·288×32000,
     * and within the machine's ±30% noise at 4096×768·768×288 and 2048×128·128×512, so it was dropped. Broadcasting
     * from [kc][MR] micro-panels of the group instead ran at 15 GFLOP/s against 25–30.
     * The copy that stayed is the simplest: each full strip alone, per k block and column block
     * ({@link #transposeStrip}), measured against OpenBLAS in alternating slices of one JVM, where the machine's drift
     * cancels out (see VectorMatmul.ROWS_A). This expansion now serves only the last, partial strip, and every strip
     * when C2 does not strip-mine counted loops.
     */
    private static void expandFullColumns(float[] a, int first, int m, int kc, float[] ax) {
        for (int p = 0; p < kc; p++) {
            int src = first + p * m;
            int dst = p * (MR * LANES);
            FloatVector.broadcast(SPECIES, a[src]).intoArray(ax, dst);
            FloatVector.broadcast(SPECIES, a[src + 1]).intoArray(ax, dst + LANES);
            FloatVector.broadcast(SPECIES, a[src + 2]).intoArray(ax, dst + 2 * LANES);
            FloatVector.broadcast(SPECIES, a[src + 3]).intoArray(ax, dst + 3 * LANES);
            FloatVector.broadcast(SPECIES, a[src + 4]).intoArray(ax, dst + 4 * LANES);
            FloatVector.broadcast(SPECIES, a[src + 5]).intoArray(ax, dst + 5 * LANES);
        }
    }

    /**
     * Copies MR adjacent columns of a [K, M] matrix (Aᵀ stored), A(ii, p) = a[first + p·m + ii] for p in [0, ko),
     * to row order: A(ii, p) lands at rows[ii·ko + p], so that {@link GemmMicroKernel#tileRowsPacked} can read the
     * strip like the rows of an [M, K] matrix. The six rows are written out by hand, so MR must be 6.
     * NOTE: with few columns in B this copy is a large share of the work. Aᵀ·B at 4096×1152·1152×64 ran at 0.63–0.65 of
     * OpenBLAS on one thread (A·B: 1.09–1.20), and 0.75 with -Dgkd4j.gemm.ko=96. Copying 8 strips at once, so each
     * cache line of A is read once per k block, ran at 0.57. That shape lies outside the benchmarked set.
     */
    static void transposeStrip(float[] a, int first, int m, int ko, float[] rows) {
        int r1 = ko;
        int r2 = 2 * ko;
        int r3 = 3 * ko;
        int r4 = 4 * ko;
        int r5 = 5 * ko;
        for (int p = 0; p < ko; p++) {
            int src = first + p * m;
            rows[p] = a[src];
            rows[r1 + p] = a[src + 1];
            rows[r2 + p] = a[src + 2];
            rows[r3 + p] = a[src + 3];
            rows[r4 + p] = a[src + 4];
            rows[r5 + p] = a[src + 5];
        }
    }

    /** Expands a strip with validRows < MR rows, as {@link #expandA} describes, padding the missing rows with zeros. */
    private static void expandPartialStrip(float[] a, int aBase, int m, int k, boolean transA,
                                           int row, int validRows, int p0, int kc, float[] ax) {
        if (transA) {
            // A(i, p) = a[p·m + i]: the MR values of one k lie side by side, so walk k outside and read each line of
            // A once per panel (walking rows outside read a whole column of lines m floats apart, MR times)
            for (int p = 0; p < kc; p++) {
                int src = aBase + (p0 + p) * m + row;
                int dst = p * MR * LANES;
                for (int ii = 0; ii < MR; ii++) {
                    float value = ii < validRows ? a[src + ii] : 0f;
                    FloatVector.broadcast(SPECIES, value).intoArray(ax, dst + ii * LANES);
                }
            }
            return;
        }
        for (int ii = 0; ii < MR; ii++) {
            if (ii >= validRows) {
                for (int p = 0; p < kc; p++) {
                    FloatVector.zero(SPECIES).intoArray(ax, (p * MR + ii) * LANES);
                }
            } else {
                // A(i, p) = a[i·k + p]: one contiguous row
                int src = aBase + (row + ii) * k + p0;
                for (int p = 0; p < kc; p++) {
                    FloatVector.broadcast(SPECIES, a[src + p]).intoArray(ax, (p * MR + ii) * LANES);
                }
            }
        }
    }

    /**
     * Packs B k range [p0, p0 + kc) and columns [col0, col0 + cols) as ceil(cols / NR) panels of [kc][NR], panel q at
     * {@code out[outOff + q·kc·NR]}. B is [k, n] stored at bBase, or [n, k] when transB.
     */
    static void packB(float[] b, int bBase, int k, int n, boolean transB,
                      int p0, int kc, int col0, int cols, float[] out, int outOff) {
        for (int q0 = 0; q0 < cols; q0 += NR) {
            int valid = Math.min(NR, cols - q0);
            int panel = outOff + (q0 / NR) * kc * NR;
            if (transB) {
                // B(p, j) = b[j·k + p]: each column is contiguous along k and lands NR apart
                for (int jj = 0; jj < valid; jj++) {
                    int src = bBase + (col0 + q0 + jj) * k + p0;
                    for (int p = 0; p < kc; p++) {
                        out[panel + p * NR + jj] = b[src + p];
                    }
                }
                if (valid < NR) {
                    for (int p = 0; p < kc; p++) {
                        Arrays.fill(out, panel + p * NR + valid, panel + (p + 1) * NR, 0f);
                    }
                }
            } else {
                // B(p, j) = b[p·n + j]: each k contributes `valid` contiguous values
                for (int p = 0; p < kc; p++) {
                    int dst = panel + p * NR;
                    System.arraycopy(b, bBase + (p0 + p) * n + col0 + q0, out, dst, valid);
                    if (valid < NR) {
                        Arrays.fill(out, dst + valid, dst + NR, 0f);
                    }
                }
            }
        }
    }
}
