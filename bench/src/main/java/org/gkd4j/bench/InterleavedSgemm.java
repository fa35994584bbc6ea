package org.gkd4j.bench;

import java.lang.foreign.AddressLayout;
import java.lang.foreign.Arena;
import java.lang.foreign.FunctionDescriptor;
import java.lang.foreign.Linker;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.SymbolLookup;
import java.lang.foreign.ValueLayout;
import java.lang.invoke.MethodHandle;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.gkd4j.gkd.train.AtomicFiles;

/**
 * SGEMM of gkd4j and of OpenBLAS in the same process, timed in alternating slices, for a machine whose speed drifts
 * while it runs. There, a JMH run and a peer run minutes apart can differ by 2× on their own. Here each slice of
 * gkd4j sits between two slices of OpenBLAS, so a change in the machine's speed moves both sides of a ratio alike.
 *
 * <p>OpenBLAS is a peer for comparison only: nothing in gkd4j links to it. This runner calls its {@code cblas_sgemm}
 * through the JDK's foreign function API, in the same layout as gkd4j (A·B, A·Bᵀ or Aᵀ·B) and on the same inputs,
 * after {@code openblas_set_num_threads}. Both sides warm up, then each round times one slice of each, in turn
 * first, and the report gives the median rates and the median and quartiles of the per-round ratio.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector --enable-native-access=ALL-UNNAMED -cp
 * bench/target/benchmarks.jar org.gkd4j.bench.InterleavedSgemm [--blas PATH] [--shapes LIST] [--layouts NN,NT,TN]
 * [--threads 1,2] [--rounds N] [--slice SECONDS] [--out FILE]}, or scripts/bench-matmul-interleaved.sh.
 */
public final class InterleavedSgemm {

    private static final String DEFAULT_BLAS = "/usr/lib/x86_64-linux-gnu/openblas-openmp/libopenblas.so.0";
    private static final String DEFAULT_SHAPES = "1024x1024x1024,4096x288x768,4096x768x288,4096x288x32000,"
            + "2048x128x512";

    private static final double WARM_UP_SECONDS = 1.5;

    // CBLAS enum values (cblas.h)
    private static final int CBLAS_ROW_MAJOR = 101;
    private static final int CBLAS_NO_TRANS = 111;
    private static final int CBLAS_TRANS = 112;

    private InterleavedSgemm() {
    }

    /** One cell of the report: the median rates of both sides and the median and quartiles of their ratio. */
    record Cell(String shape, String layout, int threads, double gkd4j, double openblas,
                double ratio, double ratioQ1, double ratioQ3) {
    }

    public static void main(String[] args) throws Throwable {
        String blas = DEFAULT_BLAS;
        String shapes = DEFAULT_SHAPES;
        String layouts = "NN,NT,TN";
        String threadCounts = "1,2";
        int rounds = 15;
        double slice = 0.1;
        Path out = null;
        for (int i = 0; i < args.length; i++) {
            String option = args[i];
            if (i + 1 >= args.length) {
                usage("option '" + option + "' is missing its value");
            }
            String value = args[++i];
            switch (option) {
                case "--blas" -> blas = value;
                case "--shapes" -> shapes = value;
                case "--layouts" -> layouts = value;
                case "--threads" -> threadCounts = value;
                case "--rounds" -> rounds = positiveInt(option, value);
                case "--slice" -> slice = positiveSeconds(option, value);
                case "--out" -> out = Path.of(value);
                default -> usage("unknown option '" + option + "'");
            }
        }
        if (out != null) {
            checkWritable(out);
        }
        if (!Files.isReadable(Path.of(blas))) {
            usage("OpenBLAS not found at " + blas + "; install libopenblas0-openmp or set OPENBLAS_LIB (--blas)");
        }

        // check every value before the first cell, so a typo never costs a run
        String[] shapeList = nonEmptyList("--shapes", shapes);
        String[] layoutList = nonEmptyList("--layouts", layouts);
        String[] threadList = nonEmptyList("--threads", threadCounts);
        int[] threadNumbers = new int[threadList.length];
        for (String shape : shapeList) {
            checkShape(shape);
        }
        for (String layout : layoutList) {
            if (!List.of("NN", "NT", "TN").contains(layout)) {
                usage("invalid layout '" + layout + "' in --layouts; expected NN, NT or TN");
            }
        }
        int processors = Runtime.getRuntime().availableProcessors();
        for (int i = 0; i < threadList.length; i++) {
            threadNumbers[i] = positiveInt("--threads", threadList[i]);
            if (threadNumbers[i] > processors) {
                usage("--threads " + threadList[i] + " is more than the " + processors + " processors of this machine");
            }
        }

        OpenBlas openBlas;
        try {
            openBlas = new OpenBlas(Path.of(blas));
        } catch (IllegalArgumentException failure) {
            usage(failure.getMessage());
            return;
        }

        // NOTE: OpenBLAS 0.3.21 ran 4096×768·768×288 about 3 times slower (12 against 39–41 GFLOP/s) when it was the
        // first product of a process, in numpy too. An untimed 1024³ product first removed that, and a 256³ one did
        // not. The cause inside OpenBLAS is not known, so other shapes may still be affected.
        openBlas.setThreads(1);
        openBlas.product(warmUpBench()).run();

        List<Cell> cells = new ArrayList<>();
        for (int threads : threadNumbers) {
            for (String shape : shapeList) {
                for (String layout : layoutList) {
                    Cell cell = measure(openBlas, shape, layout, threads, rounds, slice);
                    System.out.printf(Locale.ROOT, "%s %s %d thread(s): gkd4j %.1f, OpenBLAS %.1f GFLOP/s, "
                                    + "ratio %.2f (quartiles %.2f–%.2f)%n", cell.shape, cell.layout, cell.threads,
                            cell.gkd4j, cell.openblas, cell.ratio, cell.ratioQ1, cell.ratioQ3);
                    cells.add(cell);
                }
            }
        }

        String table = markdown(cells, rounds, slice);
        System.out.print(table);
        if (out != null) {
            AtomicFiles.writeString(out, table);
        }
    }

    static Cell measure(OpenBlas openBlas, String shape, String layout, int threads, int rounds, double slice)
            throws Throwable {
        MatmulBench bench = new MatmulBench();
        bench.shape = shape;
        bench.layout = layout;
        bench.threads = threads;
        bench.setUp();
        MatmulBench.Rate counter = new MatmulBench.Rate();
        openBlas.setThreads(threads);
        OpenBlas.Product peer = openBlas.product(bench);

        Runnable ours = () -> bench.matmul(counter);
        Runnable theirs = peer::run;

        // warm-up of at least WARM_UP_SECONDS per side: the JIT compiles gkd4j's kernels, OpenBLAS starts its
        // threads, and both touch their buffers. With 0.3 s, the first cell of a run (1024³ A·B, one thread) came out
        // at 0.80–0.81 of OpenBLAS in two runs, against 0.89–0.91 where it followed other work in the same JVM.
        long warmUpEnd = System.nanoTime() + (long) (2 * WARM_UP_SECONDS * 1e9);
        do {
            rate(ours, bench.gflopPerCall, slice);
            rate(theirs, bench.gflopPerCall, slice);
        } while (System.nanoTime() < warmUpEnd);

        // each round times one slice of each side, taking turns at going first
        double[] gkd4j = new double[rounds];
        double[] openblas = new double[rounds];
        double[] ratios = new double[rounds];
        for (int r = 0; r < rounds; r++) {
            if (r % 2 == 0) {
                gkd4j[r] = rate(ours, bench.gflopPerCall, slice);
                openblas[r] = rate(theirs, bench.gflopPerCall, slice);
            } else {
                openblas[r] = rate(theirs, bench.gflopPerCall, slice);
                gkd4j[r] = rate(ours, bench.gflopPerCall, slice);
            }
            ratios[r] = gkd4j[r] / openblas[r];
        }
        return new Cell(shape, layout, threads, quantile(gkd4j, 0.5), quantile(openblas, 0.5),
                quantile(ratios, 0.5), quantile(ratios, 0.25), quantile(ratios, 0.75));
    }

    /** Calls task for at least {@code slice} seconds and returns GFLOP/s. */
    static double rate(Runnable task, double gflopPerCall, double slice) {
        long start = System.nanoTime();
        long calls = 0;
        do {
            task.run();
            calls++;
        } while (System.nanoTime() - start < slice * 1e9);
        return calls * gflopPerCall / ((System.nanoTime() - start) / 1e9);
    }

    /** Returns the q-quantile of values (nearest rank). */
    static double quantile(double[] values, double q) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[(int) Math.round(q * (sorted.length - 1))];
    }

    static String markdown(List<Cell> cells, int rounds, double slice) {
        StringBuilder table = new StringBuilder();
        table.append(String.format(Locale.ROOT, "%n%d rounds of one %.2f s slice per side; rates are medians, the "
                + "ratio is the median of the per-round ratios, with its quartiles.%n%n", rounds, slice));
        table.append("| shape MxKxN | layout | threads | gkd4j GFLOP/s | OpenBLAS GFLOP/s | ratio | quartiles |\n");
        table.append("|---|---|---|---|---|---|---|\n");
        for (Cell cell : cells) {
            table.append(String.format(Locale.ROOT, "| %s | %s | %d | %.1f | %.1f | %.2f | %.2f–%.2f |%n",
                    cell.shape, cell.layout, cell.threads, cell.gkd4j, cell.openblas, cell.ratio,
                    cell.ratioQ1, cell.ratioQ3));
        }
        long met = cells.stream().filter(cell -> cell.ratio >= 0.8).count();
        table.append(String.format(Locale.ROOT, "%nratio ≥ 0.8 in %d of %d cells%n", met, cells.size()));
        return table.toString();
    }

    static int positiveInt(String option, String value) {
        try {
            int parsed = Integer.parseInt(value);
            if (parsed > 0) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        usage(option + " must be a positive integer, got '" + value + "'");
        return 0;
    }

    /** Returns a 1024³ A·B benchmark, for the untimed first product. */
    static MatmulBench warmUpBench() {
        MatmulBench bench = new MatmulBench();
        bench.shape = "1024x1024x1024";
        bench.layout = "NN";
        bench.threads = 1;
        bench.setUp();
        return bench;
    }

    /** Returns the comma-separated values of an option, or exits with a message when there are none. */
    static String[] nonEmptyList(String option, String value) {
        String[] values = value.split(",");
        if (values.length == 0 || value.isBlank()) {
            usage(option + " is empty; give at least one value");
        }
        return values;
    }

    /** Exits with a message unless the report can be written to out: a file in an existing, writable folder. */
    static void checkWritable(Path out) {
        Path folder = out.toAbsolutePath().getParent();
        if (folder == null || Files.isDirectory(out)) {
            usage("--out " + out + " is a folder; give a file name such as " + out.resolve("matmul.md"));
        }
        if (!Files.isDirectory(folder)) {
            usage("the folder of --out " + out + " does not exist; create it first");
        }
        Path probe = out.resolveSibling(out.getFileName() + ".tmp");
        try {
            Files.writeString(probe, "");
            Files.delete(probe);
        } catch (java.io.IOException failure) {
            usage("cannot write --out " + out + " (" + failure.getMessage() + "); choose a writable folder");
        }
    }

    /** Exits with a message unless shape is MxKxN with positive sizes and each matrix fits one Java array. */
    static void checkShape(String shape) {
        if (!shape.matches("[1-9][0-9]{0,8}x[1-9][0-9]{0,8}x[1-9][0-9]{0,8}")) {
            usage("invalid shape '" + shape + "' in --shapes; expected MxKxN with positive sizes of at most 9 digits, "
                    + "such as 1024x288x768");
        }
        String[] sizes = shape.split("x");
        long m = Long.parseLong(sizes[0]);
        long k = Long.parseLong(sizes[1]);
        long n = Long.parseLong(sizes[2]);
        if (Math.max(m * k, Math.max(k * n, m * n)) > Integer.MAX_VALUE - 8) {
            usage("shape '" + shape + "' in --shapes has a matrix of more than 2^31 floats; use smaller sizes");
        }
        long bytes = 4 * (m * k + k * n + m * n);
        long heap = Runtime.getRuntime().maxMemory();
        if (bytes > heap / 2) {
            usage(String.format(Locale.ROOT, "shape '%s' in --shapes needs %.1f GB for its matrices, more than half of "
                    + "the %.1f GB heap; use smaller sizes", shape, bytes / 1e9, heap / 1e9));
        }
    }

    static double positiveSeconds(String option, String value) {
        try {
            double parsed = Double.parseDouble(value);
            if (parsed > 0 && parsed <= 60) {
                return parsed;
            }
        } catch (NumberFormatException ignored) {
            // reported below
        }
        usage(option + " must be a number of seconds in (0, 60], got '" + value + "'");
        return 0;
    }

    private static void usage(String problem) {
        System.err.println("error: " + problem);
        System.err.println("usage: InterleavedSgemm [--blas PATH] [--shapes MxKxN,...] [--layouts NN,NT,TN] "
                + "[--threads 1,2] [--rounds N] [--slice SECONDS] [--out FILE]");
        System.exit(2);
    }

    /** The two OpenBLAS entry points this runner needs, bound through the foreign function API. */
    static final class OpenBlas {
        private final MethodHandle sgemm;
        private final MethodHandle setNumThreads;

        OpenBlas(Path library) {
            SymbolLookup symbols;
            try {
                symbols = SymbolLookup.libraryLookup(library, Arena.global());
            } catch (IllegalArgumentException failure) {
                throw new IllegalArgumentException("cannot open " + library + " as a shared library ("
                        + failure.getMessage() + "); set OPENBLAS_LIB (--blas) to an OpenBLAS library", failure);
            }
            Linker linker = Linker.nativeLinker();
            ValueLayout.OfInt i32 = ValueLayout.JAVA_INT;
            ValueLayout.OfFloat f32 = ValueLayout.JAVA_FLOAT;
            AddressLayout pointer = ValueLayout.ADDRESS;
            // void cblas_sgemm(order, transA, transB, M, N, K, alpha, A, lda, B, ldb, beta, C, ldc)
            sgemm = linker.downcallHandle(find(symbols, library, "cblas_sgemm"), FunctionDescriptor.ofVoid(
                    i32, i32, i32, i32, i32, i32, f32, pointer, i32, pointer, i32, f32, pointer, i32));
            setNumThreads = linker.downcallHandle(find(symbols, library, "openblas_set_num_threads"),
                    FunctionDescriptor.ofVoid(i32));
        }

        private static MemorySegment find(SymbolLookup symbols, Path library, String name) {
            return symbols.find(name).orElseThrow(() -> new IllegalArgumentException(
                    library + " has no symbol " + name + "; set OPENBLAS_LIB (--blas) to an OpenBLAS library"));
        }

        void setThreads(int threads) throws Throwable {
            setNumThreads.invokeExact(threads);
        }

        /** Copies the benchmark's inputs off heap, 64-byte aligned, and returns the OpenBLAS call on them. */
        Product product(MatmulBench bench) {
            Arena arena = Arena.ofAuto();
            float[] a = bench.a().data();
            float[] b = bench.b().data();
            int m = bench.c().dim(0);
            int n = bench.c().dim(1);
            int k = a.length / m;
            MemorySegment aSegment = arena.allocate(4L * a.length, 64);
            MemorySegment bSegment = arena.allocate(4L * b.length, 64);
            MemorySegment cSegment = arena.allocate(4L * m * n, 64);
            MemorySegment.copy(a, 0, aSegment, ValueLayout.JAVA_FLOAT, 0, a.length);
            MemorySegment.copy(b, 0, bSegment, ValueLayout.JAVA_FLOAT, 0, b.length);
            boolean transA = bench.layout.equals("TN");
            boolean transB = bench.layout.equals("NT");
            return new Product(sgemm, m, n, k, transA, transB, aSegment, bSegment, cSegment);
        }

        /** One c = op(a)·op(b) call of cblas_sgemm in row-major order. */
        record Product(MethodHandle sgemm, int m, int n, int k, boolean transA, boolean transB,
                       MemorySegment a, MemorySegment b, MemorySegment c) {
            void run() {
                try {
                    sgemm.invokeExact(CBLAS_ROW_MAJOR, transA ? CBLAS_TRANS : CBLAS_NO_TRANS,
                            transB ? CBLAS_TRANS : CBLAS_NO_TRANS, m, n, k, 1f, a, transA ? m : k, b,
                            transB ? k : n, 0f, c, n);
                } catch (Throwable failure) {
                    throw new IllegalStateException("cblas_sgemm failed", failure);
                }
            }
        }
    }
}
