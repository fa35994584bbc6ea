package org.gkd4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * GemmCooperative (shared B packing, strips handed out at run time) against the scalar reference, and bitwise
 * against VectorMatmul.blocked on one thread.
 */
class GemmCooperativeTest {

    private final int savedThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(savedThreads);
    }

    @Test
    void cooperativeMatchesOneThreadBitwiseOnOddShapes() {
        // small blocks give several k blocks, column blocks, partial panels and a partial last strip
        Random random = new Random(21);
        int[][] shapes = {{37, 53, 101}, {13, 17, 7}, {61, 130, 45}, {7, 33, 200}};
        int[][] blockSizes = {{48, 16, 4 * 1024}, {40, 40, 1024}, {96, 96, 128 * 1024}};
        for (int[] shape : shapes) {
            for (int[] blocks : blockSizes) {
                for (int layout = 0; layout < 3; layout++) {
                    for (boolean accumulate : new boolean[] {false, true}) {
                        for (int participants : new int[] {2, 3}) {
                            check(random, shape[0], shape[1], shape[2], layout == 2, layout == 1, accumulate,
                                    participants, blocks);
                        }
                    }
                }
            }
        }
    }

    @Test
    void cooperativeWithMoreParticipantsThanThreads() {
        // 4 participants on 2 pool threads: one thread runs two participants' work one after the other
        Random random = new Random(22);
        check(random, 50, 70, 90, false, false, false, 4, new int[] {32, 16, 2 * 1024});
    }

    @Test
    void cooperativeWithMoreParticipantsThanStrips() {
        // 2 strips (M = 9) shared by 3 participants: one range is empty
        Random random = new Random(23);
        check(random, 9, 40, 60, false, true, true, 3, new int[] {32, 16, 2 * 1024});
    }

    @Test
    void cooperativeInsideParallelTaskRunsInline() {
        // a nested call runs on the calling worker alone and must give the same c as one thread
        Random random = new Random(24);
        int m = 30;
        int n = 50;
        int k = 70;
        float[] a = randomArray(random, m * k);
        float[] b = randomArray(random, k * n);
        float[] expected = new float[m * n];
        VectorMatmul.blocked(a, 0, b, 0, expected, 0, m, n, k, false, false, false, 0, m, 32, 16, 2 * 1024);
        float[][] results = new float[2][m * n];
        Parallel.setThreads(2);
        Parallel.forEach(2, task -> GemmCooperative.matmul(a, 0, b, 0, results[task], 0, m, n, k, false, false,
                false, 2, 32, 16, 2 * 1024));
        assertArrayEquals(expected, results[0], "task 0");
        assertArrayEquals(expected, results[1], "task 1");
    }

    @Test
    void cooperativeFailureReachesCaller() {
        // b is 5 floats short, so packing its last micro-panel fails; the other participant must stop waiting
        Random random = new Random(25);
        int m = 40;
        int n = 50;
        int k = 30;
        float[] a = randomArray(random, m * k);
        float[] b = randomArray(random, k * n - 5);
        float[] c = new float[m * n];
        Parallel.setThreads(2);
        assertThrows(ArrayIndexOutOfBoundsException.class, () -> GemmCooperative.matmul(a, 0, b, 0, c, 0, m, n, k,
                false, false, false, 2, 32, 16, 2 * 1024));
    }

    /**
     * Runs GemmCooperative on {@code participants} threads and checks it against MatmulReference (within rounding)
     * and against VectorMatmul.blocked on one thread (bitwise), with blocks = {koMax, kcMax, bBlockFloats}.
     */
    private static void check(Random random, int m, int n, int k, boolean transA, boolean transB,
                              boolean accumulate, int participants, int[] blocks) {
        float[] a = randomArray(random, m * k);
        float[] b = randomArray(random, k * n);
        float[] initial = randomArray(random, m * n);
        String where = "M " + m + " N " + n + " K " + k + " transA " + transA + " transB " + transB
                + " accumulate " + accumulate + " participants " + participants + " ko " + blocks[0] + " kc "
                + blocks[1] + " bBlockFloats " + blocks[2];

        float[] reference = initial.clone();
        MatmulReference.matmul(Tensor.of(a, transA ? new int[] {k, m} : new int[] {m, k}),
                Tensor.of(b, transB ? new int[] {n, k} : new int[] {k, n}),
                Tensor.view(reference, 0, m, n), transA, transB, accumulate);

        float[] oneThread = initial.clone();
        VectorMatmul.blocked(a, 0, b, 0, oneThread, 0, m, n, k, transA, transB, accumulate, 0, m,
                blocks[0], blocks[1], blocks[2]);

        for (int threads : new int[] {2, 4}) {
            Parallel.setThreads(threads);
            float[] shared = initial.clone();
            GemmCooperative.matmul(a, 0, b, 0, shared, 0, m, n, k, transA, transB, accumulate, participants,
                    blocks[0], blocks[1], blocks[2]);
            assertArrayEquals(oneThread, shared, where + " threads " + threads);
            for (int i = 0; i < shared.length; i++) {
                // both sums round at most K + 1 times; inputs are in [-1, 1] and c starts in [-1, 1]
                float tolerance = 2.4e-7f * (k + 2) * (k + 1);
                assertTrue(Math.abs(reference[i] - shared[i]) <= tolerance, where + ": element " + i + " expected "
                        + reference[i] + " but was " + shared[i]);
            }
        }
        Parallel.setThreads(2);
    }

    private static float[] randomArray(Random random, int length) {
        float[] data = new float[length];
        for (int i = 0; i < data.length; i++) {
            data[i] = random.nextFloat() * 2 - 1;
        }
        return data;
    }
}
