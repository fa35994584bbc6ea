package org.gkd4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The register tiles of {@link VectorMatmul}: c[MR, NR] (+)= A[MR, kc] · B[kc, NR] with MR = 6 rows and NR = 2
 * vectors, so 12 FMA accumulators stay in registers and every loaded B vector is used by 6 rows.
 *
 * <p>B is read as rows of NR floats {@code bStride} apart: NR for a packed B micro-panel, N when B is read in place.
 * A comes in two forms. {@link #tile} broadcasts each A value from a packed [kc][MR] micro-panel inside the loop;
 * {@link #tileExpanded} loads A values already broadcast to whole vectors by {@link GemmPacking#expandA}.
 * On the benchmark machine (AMD EPYC VM with AVX2 only, so 256-bit vectors) and JDK 25, the in-loop broadcasts
 * of {@link #tile} halved the FMA rate of a single-tile loop (about 44 against 88 GFLOP per CPU-second), so the
 * blocked path expands A when it is stored transposed. {@link #tileRowsPacked} also broadcasts in the loop, but
 * with every index a constant times k plus an invariant, and in the whole GEMM it beat the expanded path.
 *
 * <p>Each accumulator starts at 0 and adds the products in increasing k, so the result does not depend on where the
 * tile lies or which thread computes it; both forms give bitwise the same tile.
 */
final class GemmMicroKernel {

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();
    static final int MR = 6;
    static final int NR = 2 * LANES;

    private GemmMicroKernel() {
    }

    /** Computes one MR × NR tile; c row i starts at cOff + i·ldc; with {@code add} the tile is added to c. */
    static void tile(float[] ap, int aOff, float[] b, int bOff, int bStride, int kc,
                     float[] c, int cOff, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;

        // one rank-1 update per k: two B vectors times six broadcast A values
        int aIndex = aOff;
        int bIndex = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bIndex);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bIndex + LANES);
            FloatVector a = FloatVector.broadcast(SPECIES, ap[aIndex]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(SPECIES, ap[aIndex + 1]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(SPECIES, ap[aIndex + 2]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(SPECIES, ap[aIndex + 3]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(SPECIES, ap[aIndex + 4]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(SPECIES, ap[aIndex + 5]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            aIndex += MR;
            bIndex += bStride;
        }

        // write back, adding the old c first when accumulating
        store(c00, c01, c, cOff, add);
        store(c10, c11, c, cOff + ldc, add);
        store(c20, c21, c, cOff + 2 * ldc, add);
        store(c30, c31, c, cOff + 3 * ldc, add);
        store(c40, c41, c, cOff + 4 * ldc, add);
        store(c50, c51, c, cOff + 5 * ldc, add);
    }

    /** Computes one MR × NR tile like {@link #tile}, reading A from a micro-panel expanded by expandA. */
    static void tileExpanded(float[] ax, float[] b, int bOff, int bStride, int kc,
                             float[] c, int cOff, int ldc, boolean add) {
        if (bStride == NR) {
            tileExpandedPacked(ax, b, bOff, kc, c, cOff, ldc, add);
            return;
        }
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;

        // one rank-1 update per k: two B vectors times six A vectors
        int aIndex = 0;
        int bIndex = bOff;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bIndex);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bIndex + LANES);
            FloatVector a = FloatVector.fromArray(SPECIES, ax, aIndex);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + LANES);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + 2 * LANES);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + 3 * LANES);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + 4 * LANES);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + 5 * LANES);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            aIndex += MR * LANES;
            bIndex += bStride;
        }

        // write back, adding the old c first when accumulating
        store(c00, c01, c, cOff, add);
        store(c10, c11, c, cOff + ldc, add);
        store(c20, c21, c, cOff + 2 * ldc, add);
        store(c30, c31, c, cOff + 3 * ldc, add);
        store(c40, c41, c, cOff + 4 * ldc, add);
        store(c50, c51, c, cOff + 5 * ldc, add);
    }

    /**
     * Computes {@link #tileExpanded} for a packed B micro-panel (bStride = NR), each index a constant times p plus an
     * invariant: C2 hoists bounds checks only then (in the loop they took 8% of JFR samples, 4096×768·768×288).
     */
    static void tileExpandedPacked(float[] ax, float[] b, int bOff, int kc,
                                   float[] c, int cOff, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;

        // one rank-1 update per k: two B vectors times six A vectors
        for (int p = 0; p < kc; p++) {
            int aIndex = p * (MR * LANES);
            int bIndex = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bIndex);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bIndex + LANES);
            FloatVector a = FloatVector.fromArray(SPECIES, ax, aIndex);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + LANES);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + 2 * LANES);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + 3 * LANES);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + 4 * LANES);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + 5 * LANES);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }

        // write back, adding the old c first when accumulating
        store(c00, c01, c, cOff, add);
        store(c10, c11, c, cOff + ldc, add);
        store(c20, c21, c, cOff + 2 * ldc, add);
        store(c30, c31, c, cOff + 3 * ldc, add);
        store(c40, c41, c, cOff + 4 * ldc, add);
        store(c50, c51, c, cOff + 5 * ldc, add);
    }

    /**
     * Computes one MR × NR tile like {@link #tile}, broadcasting A(ii, p) = aRows[aOff + ii·lda + p] inside the loop
     * straight from the rows of an [M, K] matrix, and reading B from a packed micro-panel (bStride = NR). Every
     * index is a constant times p plus an invariant, so C2 hoists the bounds checks out of the loop.
     */
    static void tileRowsPacked(float[] aRows, int aOff, int lda, float[] b, int bOff, int kc,
                               float[] c, int cOff, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        int a0 = aOff;
        int a1 = a0 + lda;
        int a2 = a1 + lda;
        int a3 = a2 + lda;
        int a4 = a3 + lda;
        int a5 = a4 + lda;

        // one rank-1 update per k: two B vectors times six broadcast A values
        for (int p = 0; p < kc; p++) {
            int bIndex = bOff + p * NR;
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bIndex);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bIndex + LANES);
            FloatVector a = FloatVector.broadcast(SPECIES, aRows[a0 + p]);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.broadcast(SPECIES, aRows[a1 + p]);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.broadcast(SPECIES, aRows[a2 + p]);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.broadcast(SPECIES, aRows[a3 + p]);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.broadcast(SPECIES, aRows[a4 + p]);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.broadcast(SPECIES, aRows[a5 + p]);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
        }

        // write back, adding the old c first when accumulating
        store(c00, c01, c, cOff, add);
        store(c10, c11, c, cOff + ldc, add);
        store(c20, c21, c, cOff + 2 * ldc, add);
        store(c30, c31, c, cOff + 3 * ldc, add);
        store(c40, c41, c, cOff + 4 * ldc, add);
        store(c50, c51, c, cOff + 5 * ldc, add);
    }

    /**
     * Computes two adjacent full MR × NR tiles at once (MR × 2·NR, 24 accumulators), reading A like
     * {@link #tileExpanded} and B from two micro-panels: columns [0, NR) at bOff and [NR, 2·NR) at bOff2. Each
     * A vector load now feeds four FMAs instead of two, which cuts the loads per FMA from 8/12 to 10/24. Every
     * element adds the same products in the same order as in tileExpanded, so both give bitwise the same c.
     * It needs 29 vector registers, so it is only worth calling with AVX-512 (see VectorMatmul.WIDE_TILE).
     */
    static void tileExpandedWide(float[] ax, float[] b, int bOff, int bOff2, int bStride, int kc,
                                 float[] c, int cOff, int ldc, boolean add) {
        FloatVector c00 = FloatVector.zero(SPECIES);
        FloatVector c01 = c00;
        FloatVector c02 = c00;
        FloatVector c03 = c00;
        FloatVector c10 = c00;
        FloatVector c11 = c00;
        FloatVector c12 = c00;
        FloatVector c13 = c00;
        FloatVector c20 = c00;
        FloatVector c21 = c00;
        FloatVector c22 = c00;
        FloatVector c23 = c00;
        FloatVector c30 = c00;
        FloatVector c31 = c00;
        FloatVector c32 = c00;
        FloatVector c33 = c00;
        FloatVector c40 = c00;
        FloatVector c41 = c00;
        FloatVector c42 = c00;
        FloatVector c43 = c00;
        FloatVector c50 = c00;
        FloatVector c51 = c00;
        FloatVector c52 = c00;
        FloatVector c53 = c00;

        // one rank-1 update per k: four B vectors times six A vectors
        int aIndex = 0;
        int bIndex = bOff;
        int bIndex2 = bOff2;
        for (int p = 0; p < kc; p++) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, b, bIndex);
            FloatVector b1 = FloatVector.fromArray(SPECIES, b, bIndex + LANES);
            FloatVector b2 = FloatVector.fromArray(SPECIES, b, bIndex2);
            FloatVector b3 = FloatVector.fromArray(SPECIES, b, bIndex2 + LANES);
            FloatVector a = FloatVector.fromArray(SPECIES, ax, aIndex);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            c02 = a.fma(b2, c02);
            c03 = a.fma(b3, c03);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + LANES);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            c12 = a.fma(b2, c12);
            c13 = a.fma(b3, c13);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + 2 * LANES);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            c22 = a.fma(b2, c22);
            c23 = a.fma(b3, c23);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + 3 * LANES);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            c32 = a.fma(b2, c32);
            c33 = a.fma(b3, c33);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + 4 * LANES);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            c42 = a.fma(b2, c42);
            c43 = a.fma(b3, c43);
            a = FloatVector.fromArray(SPECIES, ax, aIndex + 5 * LANES);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            c52 = a.fma(b2, c52);
            c53 = a.fma(b3, c53);
            aIndex += MR * LANES;
            bIndex += bStride;
            bIndex2 += bStride;
        }

        // write back, adding the old c first when accumulating
        store(c00, c01, c, cOff, add);
        store(c02, c03, c, cOff + NR, add);
        store(c10, c11, c, cOff + ldc, add);
        store(c12, c13, c, cOff + ldc + NR, add);
        store(c20, c21, c, cOff + 2 * ldc, add);
        store(c22, c23, c, cOff + 2 * ldc + NR, add);
        store(c30, c31, c, cOff + 3 * ldc, add);
        store(c32, c33, c, cOff + 3 * ldc + NR, add);
        store(c40, c41, c, cOff + 4 * ldc, add);
        store(c42, c43, c, cOff + 4 * ldc + NR, add);
        store(c50, c51, c, cOff + 5 * ldc, add);
        store(c52, c53, c, cOff + 5 * ldc + NR, add);
    }

    private static void store(FloatVector v0, FloatVector v1, float[] c, int offset, boolean add) {
        if (add) {
            v0 = FloatVector.fromArray(SPECIES, c, offset).add(v0);
            v1 = FloatVector.fromArray(SPECIES, c, offset + LANES).add(v1);
        }
        v0.intoArray(c, offset);
        v1.intoArray(c, offset + LANES);
    }
}
