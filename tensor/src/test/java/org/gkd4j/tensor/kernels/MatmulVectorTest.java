package org.gkd4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** VectorMatmul against the scalar reference MatmulReference, on 1 and 2 threads. */
class MatmulVectorTest {

    private static final int[] THREADS = {1, 2};
    private static final int[] ODD_SIZES = {1, 7, 17, 33, 65, 129};

    private final int savedThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(savedThreads);
    }

    @Test
    void matmulTwoByThreeTimesThreeByTwo() {
        // [[1, 2, 3], [4, 5, 6]] · [[7, 8], [9, 10], [11, 12]] = [[58, 64], [139, 154]] by hand
        for (int threads : THREADS) {
            Parallel.setThreads(threads);
            Tensor c = Tensor.zeros(2, 2);
            VectorMatmul.matmul(Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3),
                    Tensor.of(new float[] {7, 8, 9, 10, 11, 12}, 3, 2), c, false, false, false);
            assertArrayEquals(new float[] {58, 64, 139, 154}, c.toArray());
        }
    }

    @Test
    void matmulWithSelectorRowsCopiesB() {
        // a selects rows of b: a[i, p] = 1 when p = (3·i) mod K, so c row i is exactly b row (3·i) mod K
        int m = 50;
        int k = 41;
        int n = 70;
        Tensor a = Tensor.zeros(m, k);
        for (int i = 0; i < m; i++) {
            a.set(i * k + (3 * i) % k, 1f);
        }
        Tensor b = random(new Random(5), k, n);
        for (int threads : THREADS) {
            Parallel.setThreads(threads);
            Tensor c = Tensor.zeros(m, n);
            VectorMatmul.matmul(a, b, c, false, false, false);
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    assertTrue(c.get(i * n + j) == b.get(((3 * i) % k) * n + j), "c[" + i + ", " + j + "]");
                }
            }
        }
    }

    @Test
    void matmulMatchesReferenceOnOddShapes() {
        Random random = new Random(1);
        for (int threads : THREADS) {
            Parallel.setThreads(threads);
            for (int m : ODD_SIZES) {
                for (int n : ODD_SIZES) {
                    for (int k : ODD_SIZES) {
                        int layout = random.nextInt(3);
                        compare(random, 0, m, n, k, layout == 1, layout == 2, random.nextBoolean(), false);
                    }
                }
            }
        }
    }

    @Test
    void matmulMatchesReferenceInEveryLayout() {
        Random random = new Random(2);
        int[][] shapes = {{16, 16, 16}, {12, 48, 32}, {3, 5, 300}, {100, 31, 9}, {130, 47, 200}, {18, 33, 19}};
        for (int threads : THREADS) {
            Parallel.setThreads(threads);
            for (int[] shape : shapes) {
                for (int layout = 0; layout < 3; layout++) {
                    for (boolean accumulate : new boolean[] {false, true}) {
                        compare(random, 0, shape[0], shape[1], shape[2], layout == 1, layout == 2, accumulate, false);
                    }
                }
            }
        }
    }

    @Test
    void matmulMatchesReferenceAcrossBlocks() {
        // K = 800 takes three k blocks and N = 600 two column blocks of the packed path
        Random random = new Random(3);
        for (int threads : THREADS) {
            Parallel.setThreads(threads);
            for (int layout = 0; layout < 3; layout++) {
                compare(random, 0, 70, 600, 800, layout == 1, layout == 2, layout == 0, false);
            }
        }
    }

    @Test
    void matmulMatchesReferenceWithLongKBlocks() {
        // N = 33 lets a k block grow towards 4·KO_MAX rows: with the row tile, 12 sub-blocks of 89 (1068 of at most
        // 1152), then a short block of 85. M = 20 gives three full strips and a partial one.
        Random random = new Random(9);
        for (int threads : THREADS) {
            Parallel.setThreads(threads);
            for (int layout = 0; layout < 3; layout++) {
                for (boolean accumulate : new boolean[] {false, true}) {
                    compare(random, 0, 20, 33, 1153, layout == 1, layout == 2, accumulate, false);
                }
            }
        }
    }

    @Test
    void blockedMatchesReferenceWithSubBlocks() {
        // packed k blocks of 384 cut into sub-blocks of 96, and a small B block so there are several column blocks
        Random random = new Random(8);
        int m = 40;
        int n = 150;
        int k = 700;
        for (int layout = 0; layout < 3; layout++) {
            boolean transA = layout == 2;
            boolean transB = layout == 1;
            for (boolean accumulate : new boolean[] {false, true}) {
                Tensor a = transA ? random(random, k, m) : random(random, m, k);
                Tensor b = transB ? random(random, n, k) : random(random, k, n);
                Tensor expected = random(random, m, n);
                Tensor actual = expected.copy();
                MatmulReference.matmul(a, b, expected, transA, transB, accumulate);
                // rows [0, 40) in two calls, as two threads would split them
                VectorMatmul.blocked(a.data(), 0, b.data(), 0, actual.data(), 0, m, n, k, transA, transB,
                        accumulate, 0, 18, 384, 96, 8 * 1024);
                VectorMatmul.blocked(a.data(), 0, b.data(), 0, actual.data(), 0, m, n, k, transA, transB,
                        accumulate, 18, 40, 384, 96, 8 * 1024);
                assertClose(expected, actual, k);
            }
        }
    }

    @Test
    void wideTileMatchesTwoNarrowTilesBitwise() {
        // the 6 × 4-vector tile must add the same products in the same order as two 6 × 2-vector tiles
        int lanes = GemmMicroKernel.LANES;
        int nr = GemmMicroKernel.NR;
        int mr = GemmMicroKernel.MR;
        Random random = new Random(11);
        for (int kc : new int[] {1, 7, 48, 96}) {
            for (boolean add : new boolean[] {false, true}) {
                float[] ax = new float[mr * kc * lanes];
                float[] bp = new float[2 * kc * nr + 5];
                fill(random, ax);
                fill(random, bp);
                int ldc = 2 * nr + 3;
                float[] wide = new float[mr * ldc];
                fill(random, wide);
                float[] narrow = wide.clone();
                GemmMicroKernel.tileExpandedWide(ax, bp, 0, kc * nr + 5, nr, kc, wide, 0, ldc, add);
                GemmMicroKernel.tileExpanded(ax, bp, 0, nr, kc, narrow, 0, ldc, add);
                GemmMicroKernel.tileExpanded(ax, bp, kc * nr + 5, nr, kc, narrow, nr, ldc, add);
                assertArrayEquals(narrow, wide, "kc " + kc + ", add " + add);
            }
        }
    }

    @Test
    void rowsTileMatchesExpandedTileBitwise() {
        // broadcasting A from its rows in the loop must give the same tile as expanding it first
        int nr = GemmMicroKernel.NR;
        int mr = GemmMicroKernel.MR;
        Random random = new Random(13);
        for (int kc : new int[] {1, 7, 33, 96}) {
            for (boolean add : new boolean[] {false, true}) {
                int lda = kc + 5;
                int aOff = 3;
                float[] a = new float[aOff + mr * lda];
                float[] bp = new float[kc * nr + 2];
                fill(random, a);
                fill(random, bp);
                float[] ax = new float[mr * kc * GemmMicroKernel.LANES];
                GemmPacking.expandA(a, aOff - 2, mr, lda, false, 0, mr, 2, kc, ax);
                int ldc = nr + 3;
                float[] rows = new float[mr * ldc];
                fill(random, rows);
                float[] expanded = rows.clone();
                GemmMicroKernel.tileRowsPacked(a, aOff, lda, bp, 2, kc, rows, 1, ldc, add);
                GemmMicroKernel.tileExpandedPacked(ax, bp, 2, kc, expanded, 1, ldc, add);
                assertArrayEquals(expanded, rows, "kc " + kc + ", add " + add);
            }
        }
    }

    @Test
    void rowsTileMatchesScalarSum() {
        // c(i, j) = Σ_p A(i, p)·B(p, j) in double precision, A read from rows lda apart and B packed NR wide
        int nr = GemmMicroKernel.NR;
        int mr = GemmMicroKernel.MR;
        int kc = 29;
        int lda = 31;
        Random random = new Random(14);
        float[] a = new float[mr * lda];
        float[] bp = new float[kc * nr];
        fill(random, a);
        fill(random, bp);
        float[] c = new float[mr * nr];
        GemmMicroKernel.tileRowsPacked(a, 0, lda, bp, 0, kc, c, 0, nr, false);
        for (int i = 0; i < mr; i++) {
            for (int j = 0; j < nr; j++) {
                double sum = 0;
                for (int p = 0; p < kc; p++) {
                    sum += (double) a[i * lda + p] * bp[p * nr + j];
                }
                assertEquals(sum, c[i * nr + j], 1e-4, "c[" + i + ", " + j + "]");
            }
        }
    }

    @Test
    void blockedWithSeveralMicroPanelsMatchesReference() {
        // 5 micro-panels in one column block (two wide pairs and one narrow tile when the wide tile is on), and 13 rows
        // leave a partial strip
        Random random = new Random(12);
        int m = 13;
        int n = 5 * GemmMicroKernel.NR - 3;
        int k = 150;
        for (int layout = 0; layout < 3; layout++) {
            boolean transA = layout == 2;
            boolean transB = layout == 1;
            for (boolean accumulate : new boolean[] {false, true}) {
                Tensor a = transA ? random(random, k, m) : random(random, m, k);
                Tensor b = transB ? random(random, n, k) : random(random, k, n);
                Tensor expected = random(random, m, n);
                Tensor actual = expected.copy();
                MatmulReference.matmul(a, b, expected, transA, transB, accumulate);
                VectorMatmul.blocked(a.data(), 0, b.data(), 0, actual.data(), 0, m, n, k, transA, transB,
                        accumulate, 0, m, 96, 48, 1 << 20);
                assertClose(expected, actual, k);
            }
        }
    }

    @Test
    void matmulMatchesReferenceBatched() {
        Random random = new Random(4);
        for (int threads : THREADS) {
            Parallel.setThreads(threads);
            for (int layout = 0; layout < 3; layout++) {
                for (boolean sharedB : new boolean[] {false, true}) {
                    compare(random, 3, 5, 40, 23, layout == 1, layout == 2, sharedB, sharedB);
                    compare(random, 3, 37, 29, 70, layout == 1, layout == 2, !sharedB, sharedB);
                    compare(random, 1, 70, 33, 17, layout == 1, layout == 2, false, sharedB);
                }
            }
        }
    }

    @Test
    void matmulReadsAndWritesViewsAtOffsets() {
        Random random = new Random(6);
        for (int m : new int[] {3, 40}) {
            float[] aData = new float[m * 30 + 7];
            float[] bData = new float[30 * 45 + 11];
            float[] cData = new float[m * 45 + 5];
            fill(random, aData);
            fill(random, bData);
            Tensor a = Tensor.view(aData, 7, m, 30);
            Tensor b = Tensor.view(bData, 11, 30, 45);
            Tensor c = Tensor.view(cData, 5, m, 45);
            Tensor expected = Tensor.zeros(m, 45);
            MatmulReference.matmul(a, b, expected, false, false, false);
            VectorMatmul.matmul(a, b, c, false, false, false);
            assertClose(expected, c, 30);
            assertEquals(0f, cData[0], "floats before the view of c stay untouched");
            assertEquals(0f, cData[4], "floats before the view of c stay untouched");
        }
    }

    @Test
    void matmulBitwiseReproducible() {
        Random random = new Random(7);
        int[][] shapes = {{200, 150, 400}, {8, 300, 288}, {4, 100, 50}};
        for (int[] shape : shapes) {
            for (int layout = 0; layout < 3; layout++) {
                boolean transA = layout == 2;
                boolean transB = layout == 1;
                Tensor a = transA ? random(random, shape[2], shape[0]) : random(random, shape[0], shape[2]);
                Tensor b = transB ? random(random, shape[1], shape[2]) : random(random, shape[2], shape[1]);
                float[][] results = new float[3][];
                int[] threadCounts = {2, 2, 1};
                for (int run = 0; run < 3; run++) {
                    Parallel.setThreads(threadCounts[run]);
                    Tensor c = Tensor.zeros(shape[0], shape[1]);
                    VectorMatmul.matmul(a, b, c, transA, transB, false);
                    results[run] = c.toArray();
                }
                assertArrayEquals(results[0], results[1], "two runs on 2 threads");
                assertArrayEquals(results[0], results[2], "2 threads against 1 thread");
            }
        }
    }

    @Test
    void blockSizesKeepSubBlocksAndGrowKBlocks() {
        // by hand with koMax = kcMax = 96 and a B block of 128 Ki floats, for NR = 8 (128-bit vectors), NR = 16 (AVX2)
        // and NR = 32 (AVX-512)
        int nr = GemmMicroKernel.NR;
        int block = 128 * 1024;

        // N = 288: 131072 / 288 = 455 rows fit, capped at 4 · 96 = 384, so K = 768 takes 2 blocks of 4 sub-blocks
        assertEquals(384, VectorMatmul.kBlockLimit(288, 96, block));
        assertEquals(96, VectorMatmul.kSubBlock(768, 288, 96, 96, block));
        assertEquals(384, VectorMatmul.kBlock(768, 288, 96, 96, block));

        // N = 1024: 128 rows fit, less than two sub-blocks of 94 (K = 1024 cut into 11), so one sub-block per block
        assertEquals(128, VectorMatmul.kBlockLimit(1024, 96, block));
        assertEquals(94, VectorMatmul.kSubBlock(1024, 1024, 96, 96, block));
        assertEquals(94, VectorMatmul.kBlock(1024, 1024, 94, 96, block));

        // K = 128 in sub-blocks of 64 and one k block no longer than K
        assertEquals(64, VectorMatmul.kSubBlock(128, 512, 96, 96, block));
        assertEquals(128, VectorMatmul.kBlock(128, 512, 64, 96, block));

        // N = 32 000 at ko = 96: at most 1360 columns (NR = 8 or 16) or 1344 (NR = 32) per block, so 24 blocks of
        // 32000 / 24 = 1333.3 columns, rounded up to whole micro-panels: 1336 for NR = 8, 1344 for NR = 16 and 32
        int width = VectorMatmul.columnBlock(32000, 96, block);
        assertEquals(0, width % nr, "whole micro-panels");
        assertEquals(24, (32000 + width - 1) / width, "block count");
        assertEquals(nr == 8 ? 1336 : 1344, width);
    }

    @Test
    void rowTileFollowsPropertyOrJitFlags() {
        // An explicit -Dgkd4j.gemm.rowsA wins. Without it, the tile is on when C2 strip-mines counted loops, which it
        // does under G1 (the default here) and not under the Parallel collector (the second pass of .ci/run).
        assertTrue(VectorMatmul.chooseRowsA("true"));
        assertFalse(VectorMatmul.chooseRowsA("false"));
        String collectors = java.lang.management.ManagementFactory.getGarbageCollectorMXBeans().stream()
                .map(java.lang.management.GarbageCollectorMXBean::getName).toList().toString();
        if (collectors.contains("G1")) {
            assertTrue(VectorMatmul.chooseRowsA(null), "G1 strip-mines counted loops: " + collectors);
        } else if (collectors.contains("PS ")) {
            assertFalse(VectorMatmul.chooseRowsA(null), "Parallel does not strip-mine: " + collectors);
        }
    }

    // ---------------------------------------------------------------- helpers

    /** Compares VectorMatmul with MatmulReference on random inputs; batches 0 means rank-2 tensors. */
    private static void compare(Random random, int batches, int m, int n, int k, boolean transA, boolean transB,
                                boolean accumulate, boolean sharedB) {
        int[] aShape = transA ? new int[] {k, m} : new int[] {m, k};
        int[] bShape = transB ? new int[] {n, k} : new int[] {k, n};
        Tensor a = random(random, withBatch(batches, aShape));
        Tensor b = random(random, sharedB || batches == 0 ? bShape : withBatch(batches, bShape));
        Tensor expected = random(random, withBatch(batches, new int[] {m, n}));
        Tensor actual = expected.copy();
        MatmulReference.matmul(a, b, expected, transA, transB, accumulate);
        VectorMatmul.matmul(a, b, actual, transA, transB, accumulate);
        String where = "batches " + batches + " M " + m + " N " + n + " K " + k + " transA " + transA
                + " transB " + transB + " accumulate " + accumulate + " sharedB " + sharedB
                + " threads " + Parallel.threads();
        float[] e = expected.toArray();
        float[] g = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            // both sums round at most K + 1 times; inputs are in [-1, 1] and c starts in [-1, 1]
            float tolerance = 2.4e-7f * (k + 2) * (k + 1);
            assertTrue(Math.abs(e[i] - g[i]) <= tolerance, where + ": element " + i + " expected " + e[i]
                    + " but was " + g[i]);
        }
    }

    private static void assertClose(Tensor expected, Tensor actual, int k) {
        float[] e = expected.toArray();
        float[] g = actual.toArray();
        for (int i = 0; i < e.length; i++) {
            assertTrue(Math.abs(e[i] - g[i]) <= 2.4e-7f * (k + 2) * (k + 1), "element " + i + " expected " + e[i]
                    + " but was " + g[i]);
        }
    }

    private static int[] withBatch(int batches, int[] shape) {
        if (batches == 0) {
            return shape;
        }
        return new int[] {batches, shape[0], shape[1]};
    }

    private static Tensor random(Random random, int... shape) {
        Tensor t = Tensor.zeros(shape);
        fill(random, t.data());
        return t;
    }

    private static void fill(Random random, float[] data) {
        for (int i = 0; i < data.length; i++) {
            data[i] = random.nextFloat() * 2 - 1;
        }
    }
}
