package org.gkd4j.bench;

import java.util.concurrent.TimeUnit;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Kernels;
import org.gkd4j.tensor.kernels.Parallel;
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
 * Memory-bound kernels through {@link Kernels} on x [N, C], in GB/s (secondary metric {@code gbytes}): the bytes
 * each kernel must move at least once, so a kernel that makes several passes over its rows reports less.
 * softmax and rmsNorm read x and write y (2·N·C floats); add reads two and writes one (3·N·C); axpy y += α·x
 * reads x and y and writes y (3·N·C).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@State(Scope.Benchmark)
public class MemoryBoundBench {

    /** NxC: training activations (4096 × 768, 12 MiB per tensor) and logits of a 32000-token vocabulary. */
    @Param({"4096x768", "64x32000"})
    public String shape;

    @Param({"1", "2"})
    public int threads;

    private Tensor x;
    private Tensor y;
    private Tensor z;
    private Tensor weight;
    private Tensor invRms;
    private double gigabytesPerTensor;

    @Setup(Level.Trial)
    public void setUp() {
        String[] dims = shape.split("x");
        int rows = Integer.parseInt(dims[0]);
        int cols = Integer.parseInt(dims[1]);
        x = MatmulBench.random(new java.util.Random(1), rows, cols);
        y = Tensor.zeros(rows, cols);
        z = Tensor.zeros(rows, cols);
        weight = Tensor.zeros(cols).fill(1f);
        invRms = Tensor.zeros(rows);
        gigabytesPerTensor = (double) rows * cols * Float.BYTES / 1e9;
        Parallel.setThreads(threads);
    }

    /** The GB counter that JMH divides by time, so it reports GB/s. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Rate {
        public double gbytes;

        @Setup(Level.Iteration)
        public void reset() {
            gbytes = 0;
        }
    }

    @Benchmark
    public Tensor softmax(Rate rate) {
        Kernels.softmax(x, y);
        rate.gbytes += 2 * gigabytesPerTensor;
        return y;
    }

    @Benchmark
    public Tensor rmsNorm(Rate rate) {
        Kernels.rmsNorm(x, weight, 1e-5f, y, invRms);
        rate.gbytes += 2 * gigabytesPerTensor;
        return y;
    }

    @Benchmark
    public Tensor add(Rate rate) {
        Kernels.add(x, y, z);
        rate.gbytes += 3 * gigabytesPerTensor;
        return z;
    }

    @Benchmark
    public Tensor axpy(Rate rate) {
        Kernels.axpy(1e-6f, x, y);
        rate.gbytes += 3 * gigabytesPerTensor;
        return y;
    }
}
