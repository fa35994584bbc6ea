package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.GemmMicroKernel.LANES;
import static org.gkd4j.tensor.kernels.GemmMicroKernel.MR;
import static org.gkd4j.tensor.kernels.GemmMicroKernel.NR;

import java.util.concurrent.atomic.AtomicIntegerArray;

/**
 * The multi-threaded blocked path of {@link VectorMatmul} for one product c[M, N] (+)= op(a)[M, K] · op(b)[K, N]:
 * the threads pack each block of B once into a shared buffer, then share out the MR-row strips of c.
 *
 * <p>The blocks (k block × column block, in the order of {@link VectorMatmul#blocked}) run one after the other. For
 * block t every participant first claims and packs micro-panels of B into buffer t mod 2 until none are left. It
 * then waits until all panels of block t are packed and all strips of block t − 1 are done. Then it takes strips
 * from its own contiguous range of rows and, once that is empty, the strips left in the other ranges. So a thread
 * that starts late leaves no one idle, and a thread that loses its core holds up the others only at the end of a
 * block, until it finishes the one strip it holds. The same range per thread in every block keeps a thread's rows
 * of c in its own cache.
 *
 * <p>The wait on block t − 1 orders the writes to c, because consecutive blocks add into the same strips of c. It
 * also frees the buffer of block t − 1 for block t + 1: a participant only packs block t + 1 after computing block
 * t, which it started after every strip of block t − 1 was done.
 *
 * <p>Each strip runs {@link VectorMatmul#computeStrip}, the same operations in the same order as on one thread,
 * so c is bitwise the same for any number of participants.
 */
final class GemmCooperative {

    // counters of one block, each on its own 64-byte cache line so that threads claiming work do not share lines
    private static final int PAD = 16;
    private static final int PANELS_CLAIMED = 0;
    private static final int PANELS_PACKED = 1;
    private static final int STRIPS_DONE = 2;
    private static final int FIRST_RANGE = 3;

    /** Spin iterations before a waiting participant yields its core to other threads. */
    private static final int SPIN_ITERATIONS = 2048;

    private GemmCooperative() {
    }

    /**
     * Computes c (+)= op(a) · op(b) for one product across {@code participants} threads of {@link Parallel}, with
     * the block sizes given. Runs {@link VectorMatmul#blocked} on this thread instead when participants is 1 or
     * when called from inside a parallel task.
     */
    static void matmul(float[] a, int aBase, float[] b, int bBase, float[] c, int cBase, int m, int n, int k,
                       boolean transA, boolean transB, boolean accumulate, int participants,
                       int koMax, int kcMax, int bBlockFloats) {
        if (participants <= 1 || Parallel.inParallelTask()) {
            VectorMatmul.blocked(a, aBase, b, bBase, c, cBase, m, n, k, transA, transB, accumulate, 0, m,
                    koMax, kcMax, bBlockFloats);
            return;
        }
        Team team = new Team(a, aBase, b, bBase, c, cBase, m, n, k, transA, transB, accumulate, participants,
                koMax, kcMax, bBlockFloats);
        Parallel.forEach(participants, team::participate);
    }

    /** The shared state of one cooperative product: its geometry, the two B buffers and the work counters. */
    private static final class Team {
        final float[] a;
        final int aBase;
        final float[] b;
        final int bBase;
        final float[] c;
        final int cBase;
        final int m;
        final int n;
        final int k;
        final boolean transA;
        final boolean transB;
        final boolean accumulate;
        final int ranges;
        final int koNominal;
        final int kcNominal;
        final int ncMax;
        final int columnBlocks;
        final int blocks;
        final int strips;
        final float[][] packedB;
        final AtomicIntegerArray counters;
        /** Set when a participant failed, so the others stop waiting for work it will never finish. */
        volatile boolean aborted;

        Team(float[] a, int aBase, float[] b, int bBase, float[] c, int cBase, int m, int n, int k,
             boolean transA, boolean transB, boolean accumulate, int participants,
             int koMax, int kcMax, int bBlockFloats) {
            this.a = a;
            this.aBase = aBase;
            this.b = b;
            this.bBase = bBase;
            this.c = c;
            this.cBase = cBase;
            this.m = m;
            this.n = n;
            this.k = k;
            this.transA = transA;
            this.transB = transB;
            this.accumulate = accumulate;
            this.ranges = participants;
            kcNominal = VectorMatmul.kSubBlock(k, n, koMax, kcMax, bBlockFloats);
            koNominal = VectorMatmul.kBlock(k, n, kcNominal, koMax, bBlockFloats);
            ncMax = VectorMatmul.columnBlock(n, koNominal, bBlockFloats);
            columnBlocks = (n + ncMax - 1) / ncMax;
            blocks = (k + koNominal - 1) / koNominal * columnBlocks;
            strips = (m + MR - 1) / MR;

            // the buffers belong to the calling thread, which waits in Parallel until every participant is done
            int floats = koNominal * ((Math.min(ncMax, n) + NR - 1) / NR) * NR;
            VectorMatmul.Scratch scratch = VectorMatmul.SCRATCH.get();
            packedB = new float[][] {scratch.sharedPackedB(0, floats), scratch.sharedPackedB(1, floats)};

            // each range's strip counter starts at the range's first strip
            counters = new AtomicIntegerArray(blocks * (FIRST_RANGE + ranges) * PAD);
            for (int t = 0; t < blocks; t++) {
                for (int r = 0; r < ranges; r++) {
                    counters.set(slot(t, FIRST_RANGE + r), rangeStart(r));
                }
            }
        }

        int slot(int block, int counter) {
            return (block * (FIRST_RANGE + ranges) + counter) * PAD;
        }

        int rangeStart(int range) {
            return Parallel.partStart(range, ranges, strips);
        }

        /** Runs participant p's share of every block; rethrows a failure after telling the others to stop. */
        void participate(int p) {
            try {
                runBlocks(p);
            } catch (RuntimeException | Error failure) {
                aborted = true;
                throw failure;
            }
        }

        private void runBlocks(int p) {
            VectorMatmul.Scratch scratch = VectorMatmul.SCRATCH.get();
            scratch.expandedA(MR * kcNominal * LANES);
            for (int t = 0; t < blocks; t++) {
                int po = t / columnBlocks * koNominal;
                int ko = Math.min(koNominal, k - po);
                int col0 = t % columnBlocks * ncMax;
                int cols = Math.min(ncMax, n - col0);
                int panels = (cols + NR - 1) / NR;
                float[] bp = packedB[t & 1];

                // pack: claim micro-panels of this block until none are left
                int packed = 0;
                for (int q; (q = counters.getAndIncrement(slot(t, PANELS_CLAIMED))) < panels; packed++) {
                    GemmPacking.packB(b, bBase, k, n, transB, po, ko, col0 + q * NR, Math.min(NR, cols - q * NR),
                            bp, q * ko * NR);
                }
                counters.addAndGet(slot(t, PANELS_PACKED), packed);

                // wait for the whole block of B, and for the previous block's writes to c
                if (!awaitCount(slot(t, PANELS_PACKED), panels)
                        || t > 0 && !awaitCount(slot(t - 1, STRIPS_DONE), strips)) {
                    return;
                }

                // compute: strips of this participant's own range first, then what is left in the others
                int done = 0;
                for (int i = 0; i < ranges; i++) {
                    int range = (p + i) % ranges;
                    int end = rangeStart(range + 1);
                    int next = slot(t, FIRST_RANGE + range);
                    for (int s; (s = counters.getAndIncrement(next)) < end; done++) {
                        int row = s * MR;
                        VectorMatmul.computeStrip(a, aBase, m, k, transA, row, Math.min(MR, m - row), bp, po, ko,
                                kcNominal, c, cBase, n, col0, cols, accumulate, scratch);
                    }
                }
                counters.addAndGet(slot(t, STRIPS_DONE), done);
            }
        }

        /** Waits until the counter reaches target; returns false when another participant failed instead. */
        private boolean awaitCount(int slot, int target) {
            int spins = 0;
            while (counters.get(slot) < target) {
                if (aborted) {
                    return false;
                }
                if (spins < SPIN_ITERATIONS) {
                    spins++;
                    Thread.onSpinWait();
                } else {
                    Thread.yield();
                }
            }
            return true;
        }
    }
}
