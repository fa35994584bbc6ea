package org.gkd4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.Random;
import org.junit.jupiter.api.Test;

/** GemmPacking.expandA, transposeStrip and packB against their index formulas, written out element by element. */
class GemmPackingTest {

    private static final int MR = GemmMicroKernel.MR;
    private static final int NR = GemmMicroKernel.NR;
    private static final int LANES = GemmMicroKernel.LANES;

    @Test
    void expandAMatchesDefinitionInBothLayouts() {
        // full strips take the unrolled loops, validRows < MR the general one; a base offset and a k range inside K
        Random random = new Random(31);
        int m = 23;
        int k = 57;
        int aBase = 5;
        float[] a = new float[aBase + m * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat() * 2 - 1;
        }
        for (boolean transA : new boolean[] {false, true}) {
            for (int row : new int[] {0, 6, 17, 20}) {
                int validRows = Math.min(MR, m - row);
                for (int[] range : new int[][] {{0, 57}, {3, 40}, {50, 7}}) {
                    int p0 = range[0];
                    int kc = range[1];
                    float[] ax = new float[MR * kc * LANES + 1];
                    GemmPacking.expandA(a, aBase, m, k, transA, row, validRows, p0, kc, ax);
                    for (int p = 0; p < kc; p++) {
                        for (int ii = 0; ii < MR; ii++) {
                            int i = row + ii;
                            float expected = 0f;
                            if (ii < validRows && transA) {
                                expected = a[aBase + (p0 + p) * m + i];
                            } else if (ii < validRows) {
                                expected = a[aBase + i * k + p0 + p];
                            }
                            for (int lane = 0; lane < LANES; lane++) {
                                assertEquals(expected, ax[(p * MR + ii) * LANES + lane], "transA " + transA
                                        + " row " + row + " p0 " + p0 + " p " + p + " ii " + ii + " lane " + lane);
                            }
                        }
                    }
                }
            }
        }
    }

    @Test
    void transposeStripMatchesDefinition() {
        // MR columns of a [K, M] matrix from row 7 and k 3 on, copied so that A(ii, p) = a[(3 + p)·m + 7 + ii] lands at
        // rows[ii·ko + p]. The floats past MR·ko stay untouched.
        Random random = new Random(33);
        int m = 19;
        int k = 41;
        int ko = 29;
        float[] a = new float[m * k];
        for (int i = 0; i < a.length; i++) {
            a[i] = random.nextFloat() * 2 - 1;
        }
        float[] rows = new float[MR * ko + 3];
        java.util.Arrays.fill(rows, 42f);
        GemmPacking.transposeStrip(a, 3 * m + 7, m, ko, rows);
        for (int ii = 0; ii < MR; ii++) {
            for (int p = 0; p < ko; p++) {
                assertEquals(a[(3 + p) * m + 7 + ii], rows[ii * ko + p], "ii " + ii + " p " + p);
            }
        }
        for (int i = MR * ko; i < rows.length; i++) {
            assertEquals(42f, rows[i], "float " + i + " past the strip");
        }
    }

    @Test
    void packBAtOffsetMatchesDefinition() {
        // one partial panel at the right edge, written at a nonzero offset; the floats before it stay untouched
        Random random = new Random(32);
        int k = 19;
        int n = NR + 5;
        float[] b = new float[k * n];
        for (int i = 0; i < b.length; i++) {
            b[i] = random.nextFloat() * 2 - 1;
        }
        for (boolean transB : new boolean[] {false, true}) {
            int p0 = 4;
            int kc = 11;
            int col0 = NR;
            int outOff = 7;
            float[] out = new float[outOff + kc * NR];
            out[outOff - 1] = 42f;
            GemmPacking.packB(b, 0, k, n, transB, p0, kc, col0, n - col0, out, outOff);
            assertEquals(42f, out[outOff - 1], "float before the panel");
            for (int p = 0; p < kc; p++) {
                for (int jj = 0; jj < NR; jj++) {
                    int j = col0 + jj;
                    float expected = 0f;
                    if (j < n && transB) {
                        expected = b[j * k + p0 + p];
                    } else if (j < n) {
                        expected = b[(p0 + p) * n + j];
                    }
                    assertEquals(expected, out[outOff + p * NR + jj], "transB " + transB + " p " + p + " jj " + jj);
                }
            }
        }
    }
}
