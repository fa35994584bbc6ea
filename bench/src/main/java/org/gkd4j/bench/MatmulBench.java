package org.gkd4j.bench;

import java.util.Random;
import java.util.concurrent.TimeUnit;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Parallel;
import org.gkd4j.tensor.kernels.VectorMatmul;
import org.openjdk.jmh.annotations.AuxCounters;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * SGEMM throughput of {@link VectorMatmul}: c[M, N] = op(a) · op(b) with op(a) [M, K] and op(b) [K, N], in
 * GFLOP/s (2·M·N·K per call). The secondary metric {@code gflops} is the rate; the primary score is calls/s.
 *
 * <p>shape is MxKxN. Layouts: NN = A·B, NT = A·Bᵀ (b stored [N, K], as a linear layer's weight), TN = Aᵀ·B
 * (a stored [K, M], as in a weight gradient). Run: {@code java -jar bench/target/benchmarks.jar MatmulBench}.
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx4g"})
@State(Scope.Benchmark)
public class MatmulBench {

    @Param({"512x512x512", "1024x1024x1024", "2048x2048x2048",
            "4096x288x768", "4096x768x288", "4096x288x32000", "2048x128x512",
            "8x288x32000", "1x288x768"})
    public String shape;

    @Param({"NN", "NT", "TN"})
    public String layout;

    @Param({"1", "2"})
    public int threads;

    private Tensor a;
    private Tensor b;
    private Tensor c;
    private boolean transA;
    private boolean transB;
    double gflopPerCall;

    @Setup(Level.Trial)
    public void setUp() {
        String[] dims = shape.split("x");
        int m = Integer.parseInt(dims[0]);
        int k = Integer.parseInt(dims[1]);
        int n = Integer.parseInt(dims[2]);
        transA = layout.equals("TN");
        transB = layout.equals("NT");
        Random random = new Random(42);
        a = random(random, transA ? new int[] {k, m} : new int[] {m, k});
        b = random(random, transB ? new int[] {n, k} : new int[] {k, n});
        c = Tensor.zeros(m, n);
        gflopPerCall = 2.0 * m * n * k / 1e9;
        Parallel.setThreads(threads);
    }

    /** The GFLOP counter that JMH divides by time, so it reports GFLOP/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Rate {
        public double gflops;

        @Setup(Level.Iteration)
        public void reset() {
            gflops = 0;
        }
    }

    @Benchmark
    public Tensor matmul(Rate rate) {
        VectorMatmul.matmul(a, b, c, transA, transB, false);
        rate.gflops += gflopPerCall;
        return c;
    }

    /** Returns the input a, for runners that time another library on the same data. */
    Tensor a() {
        return a;
    }

    /** Returns the input b. */
    Tensor b() {
        return b;
    }

    /** Returns the output c. */
    Tensor c() {
        return c;
    }

    static Tensor random(Random random, int... shape) {
        Tensor t = Tensor.zeros(shape);
        float[] data = t.data();
        for (int i = 0; i < data.length; i++) {
            data[i] = random.nextFloat() * 2 - 1;
        }
        return t;
    }
}
