package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.GemmMicroKernel.MR;
import static org.gkd4j.tensor.kernels.GemmMicroKernel.NR;

import org.gkd4j.tensor.Tensor;

/**
 * The Vector API matrix multiply c (+)= op(a)·op(b) (see {@link Backend#matmul} for shapes M, K, N and the batch
 * axis Bt): cache-blocked, register-tiled and split across {@link Parallel}.
 *
 * <p>Large products follow the usual blocked-GEMM loop nest. For each k block (see {@link #kBlock}) and each
 * column block of B that fits in L2, B is packed into NR-column micro-panels. Then, for each MR-row strip of c and
 * each k sub-block of at most {@link #KC_MAX}, {@link #computeStrip} sweeps the A micro-panel across the packed B.
 * When C2 strip-mines counted loops (see {@link #ROWS_A}), one tile pass covers the whole k block of a full strip
 * and broadcasts A from its rows ({@link GemmMicroKernel#tileRowsPacked}): in place when A is stored [M, K], from a
 * copy in row order when it is stored [K, M]. Otherwise, and for the last strip when M is not a multiple of MR, it
 * first expands the micro-panel of each k sub-block into L1 for {@link GemmMicroKernel#tileExpandedPacked}.
 * Products with at most {@link #SMALL_M} rows (decoding, matrix·vector) take {@link GemmSmall}, which reads B in
 * place instead of packing it.
 *
 * <p>A batch with at least as many products as useful threads gives each thread whole products ({@link #blocked}).
 * Otherwise the threads share each product ({@link GemmCooperative}): they pack every B block once into a shared
 * buffer and claim MR-row strips of c at run time. Before, each thread packed all of B and owned a fixed share of
 * the rows, so a thread that woke late or lost its core left the other idle at the end. In the quiet run in
 * BENCHMARKS.md, 2 threads then ran 1.5 to 1.7 times one thread at most shapes, and OpenBLAS close to 2 times.
 *
 * <p>Each element of c is computed by the same sequence of operations whichever thread computes it, so the result
 * is bitwise the same for any thread count.
 */
public final class VectorMatmul {

    /*
     * Whether full strips skip the expansion and broadcast A from its rows inside the tile loop
     * ({@link GemmMicroKernel#tileRowsPacked}). The six rows of a strip (6·ko floats: 7 KiB at ko = 288, and up to
     * 27 KiB when N is narrow enough for the k block to grow to 4·KO_MAX) stay in L1 across the tiles of a column
     * block. Each tile also covers the whole k block, so c is written back once per k block. Such strips never take
     * the wide tile.
     * In interleaved JMH runs on one thread (errors of ±2 to ±34 GFLOP/s), this took 4096×768·768×288 from 54–70 to
     * 77–80 GFLOP/s in A·B and from 60–66 to 87 in A·Bᵀ, and from 124–125 to 158 on two threads.
     * An A stored [K, M] (Aᵀ·B) is first copied to row order, MR·ko floats per strip and column block
     * ({@link GemmPacking#transposeStrip}). Interleaved with OpenBLAS (scripts/bench-matmul-interleaved.sh, 11 rounds,
     * two sittings), that took 4096×768·768×288 Aᵀ·B on one thread from 0.76–0.77 of OpenBLAS to 0.88–0.89 and left
     * the other shapes within their quartiles.
     * That only holds when C2 strip-mines the tile loop, as it does by default under G1 (JMH's default) but not
     * under the Parallel collector. Without strip mining the tile ran at 45–48 GFLOP/s against 60–64 for the
     * expanding path (2048×288·288×32000 and 2048×288·288×768 A·Bᵀ, two threads), and the small training step lost
     * about 20%. Unrolling the loop by hand ran at 21. So the default follows the VM's flags
     * ({@link HotSpotFlags#stripMinesCountedLoops}), and -Dgkd4j.gemm.rowsA=true or false overrides it.
     */
    static final boolean ROWS_A = chooseRowsA(System.getProperty("gkd4j.gemm.rowsA"));
    /*
     * Block sizes (tuning knobs, read once: -Dgkd4j.gemm.ko, -Dgkd4j.gemm.kc, -Dgkd4j.gemm.bBlockFloats).
     * A and B are packed per k block of up to KO_MAX. Inside it, each register-tile call on an expanded A covers a k
     * sub-block of up to KC_MAX, and a row strip of c (MR rows of one column block) stays in cache across the
     * sub-blocks. The row-broadcast tile covers the whole k block (see ROWS_A), so it needs no sub-blocks and takes
     * longer k blocks by default: ko = 288 instead of 96 means fewer passes over c and longer tile loops.
     * Interleaved with OpenBLAS in one JVM (21 rounds, 1 and 2 threads), 288 ran as fast as 96 or up to 14% faster
     * in all 8 cells of 1024³ (A·B, A·Bᵀ, Aᵀ·B) and 4096×288·288×768 A·B. It ran 4–11% faster in 3 of 4 cells of
     * 4096×288·288×32000 A·Bᵀ and 4096×768·768×288 A·B, and 4% slower in the fourth (4096×768·768×288 A·B on one
     * thread).
     * An A micro-panel is expanded once per sub-block and column block, which costs MR·kc vector stores, so a column
     * block of B must span many NR-wide tiles: with B_BLOCK_FLOATS / (ko·NR) tiles per expansion, ko = 384 and a
     * 256 KiB block left 7 tiles and spent about 17% of the samples in expansion (JFR, 4096×288·288×768), while
     * ko = 96 with 512 KiB leaves 42 tiles and expansion drops out of the profile.
     * Each k block is one more pass of read, add and write over the whole of c. So when a B block of KO_MAX rows
     * holds all of N with room to spare, the k block grows up to 4·KO_MAX rows (see kBlockLimit), and
     * 4096×768·768×288 then makes 2 passes over its 4.7 MB c instead of 8. In interleaved runs on the loaded
     * benchmark machine, that shape ran 1.04 to 1.17 times as fast on 2 threads (medians of three sittings of 14–16
     * pairs) and 0.88 to 1.13 times on one thread, within the noise there.
     * An expanded A micro-panel is MR·kc vectors (18 KiB at kc = 96 with the 256-bit vectors of AVX2, 36 KiB with
     * AVX-512). In a single-tile loop, kc of 64 to 96 ran at 88–94 GFLOP per CPU-second and 128 to 384 at 66–74 as
     * the panel spills out of L1 (AMD EPYC VM with AVX2 and 512 KiB of L2 per core, JDK 25, on a loaded machine).
     * NOTE: these sizes were chosen on a 2-core machine loaded by other work. Whole-GEMM rates varied by ±25% between
     * identical runs there, so a sweep on a quiet machine may find better ones.
     */
    static final int KO_MAX = positiveProperty("gkd4j.gemm.ko", ROWS_A ? 288 : 96);
    static final int KC_MAX = positiveProperty("gkd4j.gemm.kc", 96);
    static final int B_BLOCK_FLOATS = positiveProperty("gkd4j.gemm.bBlockFloats", 128 * 1024);
    /*
     * Whether full row strips take the 6 × 4-vector tile on pairs of micro-panels (-Dgkd4j.gemm.wide=true). It holds
     * 24 accumulators + 4 B + 1 A vectors, so it needs the 32 vector registers of AVX-512. The benchmark machine
     * (AMD EPYC VM) exposes only AVX2, where the JDK picks 256-bit vectors and 16 registers: the tile spilled and ran
     * at 4 GFLOP per CPU-second against 40–43 for the 6 × 2 tile, so it is off unless asked for.
     * TODO: measure -Dgkd4j.gemm.wide=true on an AVX-512 host before turning it on there.
     */
    static final boolean WIDE_TILE = Boolean.getBoolean("gkd4j.gemm.wide");
    /** Products with at most this many rows of c take the small-M path. */
    static final int SMALL_M = 16;
    /** Work below this many flops per thread is not worth waking another thread for. */
    static final long MIN_FLOPS_PER_THREAD = 1L << 20;

    static final ThreadLocal<Scratch> SCRATCH = ThreadLocal.withInitial(Scratch::new);
    /** Scratch for {@link GemmSmall}, separate so a small product never shares buffers with a blocked one. */
    static final ThreadLocal<Scratch> SCRATCH_FOR_SMALL = ThreadLocal.withInitial(Scratch::new);

    private VectorMatmul() {
    }

    public static void matmul(Tensor a, Tensor b, Tensor c, boolean transA, boolean transB, boolean accumulate) {
        int batches = c.rank() == 3 ? c.dim(0) : 1;
        int m = c.dim(-2);
        int n = c.dim(-1);
        int k = transA ? a.dim(-2) : a.dim(-1);
        boolean sharedB = b.rank() == 2;
        float[] ad = a.data();
        float[] bd = b.data();
        float[] cd = c.data();

        // small M: one batch at a time, parallel over columns inside
        if (m <= SMALL_M) {
            for (int bt = 0; bt < batches; bt++) {
                GemmSmall.matmul(ad, a.offset() + bt * m * k, bd, b.offset() + (sharedB ? 0 : bt * k * n),
                        cd, c.offset() + bt * m * n, m, n, k, transA, transB, accumulate);
            }
            return;
        }

        // whole batches per thread when there are enough of them, else the threads share each product
        int strips = (m + MR - 1) / MR;
        long flops = 2L * m * n * k * batches;
        int useful = (int) Math.max(1, Math.min(Parallel.threads(), flops / MIN_FLOPS_PER_THREAD));
        if (batches >= useful) {
            Parallel.forEach(batches, bt -> blocked(ad, a.offset() + bt * m * k, bd,
                    b.offset() + (sharedB ? 0 : bt * k * n), cd, c.offset() + bt * m * n, m, n, k,
                    transA, transB, accumulate, 0, m, KO_MAX, KC_MAX, B_BLOCK_FLOATS));
            return;
        }
        int participants = Math.min(useful, strips);
        for (int bt = 0; bt < batches; bt++) {
            GemmCooperative.matmul(ad, a.offset() + bt * m * k, bd, b.offset() + (sharedB ? 0 : bt * k * n),
                    cd, c.offset() + bt * m * n, m, n, k, transA, transB, accumulate, participants,
                    KO_MAX, KC_MAX, B_BLOCK_FLOATS);
        }
    }

    /**
     * Computes rows [firstRow, endRow) of one product c[M, N] (+)= op(a)[M, K] · op(b)[K, N] on this thread, with
     * the block sizes given (the defaults are {@link #KO_MAX}, {@link #KC_MAX} and {@link #B_BLOCK_FLOATS}).
     */
    static void blocked(float[] a, int aBase, float[] b, int bBase, float[] c, int cBase, int m, int n, int k,
                        boolean transA, boolean transB, boolean accumulate, int firstRow, int endRow,
                        int koMax, int kcMax, int bBlockFloats) {
        // K is cut into equal sub-blocks, so none is short, and a packed k block is a whole number of them
        int kcNominal = kSubBlock(k, n, koMax, kcMax, bBlockFloats);
        int koNominal = kBlock(k, n, kcNominal, koMax, bBlockFloats);
        int ncMax = columnBlock(n, koNominal, bBlockFloats);
        int rowPanels = (endRow - firstRow + MR - 1) / MR;
        Scratch scratch = SCRATCH.get();
        float[] bp = scratch.packedB(koNominal * ((Math.min(ncMax, n) + NR - 1) / NR) * NR);
        scratch.expandedA(MR * kcNominal * GemmMicroKernel.LANES);

        for (int po = 0; po < k; po += koNominal) {
            int ko = Math.min(koNominal, k - po);
            for (int col0 = 0; col0 < n; col0 += ncMax) {
                int cols = Math.min(ncMax, n - col0);
                GemmPacking.packB(b, bBase, k, n, transB, po, ko, col0, cols, bp, 0);
                for (int r = 0; r < rowPanels; r++) {
                    int row = firstRow + r * MR;
                    computeStrip(a, aBase, m, k, transA, row, Math.min(MR, endRow - row), bp, po, ko, kcNominal,
                            c, cBase, n, col0, cols, accumulate, scratch);
                }
            }
        }
    }

    /** Returns the length of the k sub-blocks: K cut into the fewest equal pieces within kcMax and kBlockLimit. */
    static int kSubBlock(int k, int n, int koMax, int kcMax, int bBlockFloats) {
        return evenSplit(k, Math.min(kcMax, kBlockLimit(n, koMax, bBlockFloats)));
    }

    /**
     * Returns the length of the packed k blocks: as many whole sub-blocks as the k block limit allows, at least one,
     * and at most K. Sub-block boundaries therefore lie at the same k whatever the k block length.
     */
    static int kBlock(int k, int n, int kcNominal, int koMax, int bBlockFloats) {
        int limit = kBlockLimit(n, koMax, bBlockFloats);
        return Math.min(k, kcNominal * Math.max(1, limit / kcNominal));
    }

    /**
     * Returns the max length of a k block: as many rows of all N columns of B as fit bBlockFloats, kept between
     * koMax and 4·koMax.
     */
    static int kBlockLimit(int n, int koMax, int bBlockFloats) {
        int paddedColumns = (n + NR - 1) / NR * NR;
        return Math.max(koMax, Math.min(bBlockFloats / paddedColumns, 4 * koMax));
    }

    /**
     * Returns the width of the column blocks of B: N cut into the fewest blocks of whole NR-wide micro-panels that
     * fit bBlockFloats at ko rows, all of about the same width. So no block is left with only a few micro-panels to
     * share the cost of expanding A: 32000 columns in blocks of at most 1360 make 24 blocks of 1344 (the last one
     * 1088) instead of 23 full blocks and one of 720.
     */
    static int columnBlock(int n, int koNominal, int bBlockFloats) {
        int maxWidth = Math.max(NR, bBlockFloats / koNominal / NR * NR);
        int width = evenSplit(n, maxWidth);
        return (width + NR - 1) / NR * NR;
    }

    /**
     * Adds the product of one MR-row strip of A (rows [row, row + validRows), k range [po, po + ko)) and a packed B
     * block (ko rows, columns [col0, col0 + cols)) to c. The first k block overwrites c unless accumulating. Every
     * element of c gets the same operations in the same order whichever thread calls this, which keeps results
     * bitwise independent of the thread count.
     */
    static void computeStrip(float[] a, int aBase, int m, int k, boolean transA, int row, int validRows,
                             float[] bp, int po, int ko, int kcNominal, float[] c, int cBase, int n,
                             int col0, int cols, boolean accumulate, Scratch scratch) {
        float[] ax = scratch.expandedA;
        float[] tile = scratch.tile;

        float touched = 0f;

        // full strip: one pass over the whole k block, broadcasting A from its rows. An A stored [K, M] is first
        // copied to row order, which costs MR·ko floats against MR·ko·cols FMAs.
        if (ROWS_A && validRows == MR) {
            boolean add = accumulate || po > 0;
            float[] rows = a;
            int aOff = aBase + row * k + po;
            int lda = k;
            if (transA) {
                rows = scratch.rowsA(MR * ko);
                GemmPacking.transposeStrip(a, aBase + po * m + row, m, ko, rows);
                aOff = 0;
                lda = ko;
            }
            for (int q = 0; q * NR < cols; q++) {
                int col = col0 + q * NR;
                int validCols = Math.min(NR, n - col);
                int bOff = q * ko * NR;
                int cOff = cBase + row * n + col;
                if (validCols == NR) {
                    GemmMicroKernel.tileRowsPacked(rows, aOff, lda, bp, bOff, ko, c, cOff, n, add);
                } else {
                    GemmMicroKernel.tileRowsPacked(rows, aOff, lda, bp, bOff, ko, tile, 0, NR, false);
                    mergeTile(tile, validRows, validCols, c, cOff, n, add);
                }
            }
            return;
        }

        // per k sub-block: expand the A micro-panel (kept in L1), then sweep it across the B block
        for (int pc = 0; pc < ko; pc += kcNominal) {
            int kc = Math.min(kcNominal, ko - pc);
            boolean add = accumulate || po + pc > 0;
            touched += GemmPacking.expandA(a, aBase, m, k, transA, row, validRows, po + pc, kc, ax);
            int q = 0;
            if (WIDE_TILE && validRows == MR) {
                // pairs of full micro-panels take the 6 × 4-vector tile
                for (; (q + 2) * NR <= cols; q += 2) {
                    int bOff = q * ko * NR + pc * NR;
                    GemmMicroKernel.tileExpandedWide(ax, bp, bOff, bOff + ko * NR, NR, kc,
                            c, cBase + row * n + col0 + q * NR, n, add);
                }
            }
            for (; q * NR < cols; q++) {
                int col = col0 + q * NR;
                int validCols = Math.min(NR, n - col);
                int bOff = q * ko * NR + pc * NR;
                int cOff = cBase + row * n + col;
                if (validRows == MR && validCols == NR) {
                    GemmMicroKernel.tileExpandedPacked(ax, bp, bOff, kc, c, cOff, n, add);
                } else {
                    GemmMicroKernel.tileExpandedPacked(ax, bp, bOff, kc, tile, 0, NR, false);
                    mergeTile(tile, validRows, validCols, c, cOff, n, add);
                }
            }
        }
        scratch.sink = touched;
    }

    /** Returns the integer system property {@code name}, or fallback when it is unset, and rejects a value below 1. */
    static int positiveProperty(String name, int fallback) {
        int value = Integer.getInteger(name, fallback);
        if (value < 1) {
            throw new IllegalArgumentException("-D" + name + "=" + System.getProperty(name)
                    + " is invalid: a block size must be a positive integer; remove it to use " + fallback);
        }
        return value;
    }

    /** Returns the choice of -Dgkd4j.gemm.rowsA when it is set, else whether C2 strip-mines counted loops. */
    static boolean chooseRowsA(String property) {
        if (property != null) {
            return Boolean.parseBoolean(property);
        }
        return HotSpotFlags.stripMinesCountedLoops();
    }

    /** Returns the length of the blocks when [0, length) is cut into the fewest equal blocks of at most max. */
    static int evenSplit(int length, int max) {
        int blocks = (length + max - 1) / max;
        return (length + blocks - 1) / blocks;
    }

    /** Stores (or adds, with {@code add}) the valid corner of an MR × NR scratch tile into c. */
    static void mergeTile(float[] tile, int rows, int cols, float[] c, int cOff, int ldc, boolean add) {
        for (int i = 0; i < rows; i++) {
            int dst = cOff + i * ldc;
            int src = i * NR;
            if (add) {
                for (int j = 0; j < cols; j++) {
                    c[dst + j] = c[dst + j] + tile[src + j];
                }
            } else {
                System.arraycopy(tile, src, c, dst, cols);
            }
        }
    }

    /** Per-thread packing buffers, grown on demand and kept for the thread's lifetime. */
    static final class Scratch {
        final float[] tile = new float[MR * NR];
        private float[] packedB = new float[0];
        private float[] expandedA = new float[0];
        private float[] rowsA = new float[0];
        /** The sum of values read ahead to start cache misses early; stored only so that the JIT keeps the loads. */
        float sink;
        private final float[][] sharedPackedB = {new float[0], new float[0]};

        float[] expandedA(int floats) {
            expandedA = atLeast(expandedA, floats);
            return expandedA;
        }

        float[] rowsA(int floats) {
            rowsA = atLeast(rowsA, floats);
            return rowsA;
        }

        float[] packedB(int floats) {
            packedB = atLeast(packedB, floats);
            return packedB;
        }

        /** Returns one of two B buffers that a {@link GemmCooperative} call started on this thread shares out. */
        float[] sharedPackedB(int index, int floats) {
            sharedPackedB[index] = atLeast(sharedPackedB[index], floats);
            return sharedPackedB[index];
        }

        /** Returns buffer when it holds at least {@code floats}, else a new array of that length. */
        private static float[] atLeast(float[] buffer, int floats) {
            return buffer.length < floats ? new float[floats] : buffer;
        }
    }
}
