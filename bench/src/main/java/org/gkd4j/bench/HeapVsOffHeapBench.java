package org.gkd4j.bench;

import java.lang.foreign.Arena;
import java.lang.foreign.MemorySegment;
import java.lang.foreign.ValueLayout;
import java.nio.ByteOrder;
import java.util.concurrent.TimeUnit;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
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
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The same Vector API loops reading heap float[] against 64-byte-aligned off-heap MemorySegments, to decide where
 * tensors keep their data: a dot product and an axpy of n floats (secondary metric {@code gbytes}, GB/s moved), and
 * a 6 × 2-vector GEMM register tile over packed panels (secondary metric {@code gflops}).
 */
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector", "-Xmx2g"})
@State(Scope.Thread)
public class HeapVsOffHeapBench {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = SPECIES.length();
    private static final ByteOrder ORDER = ByteOrder.nativeOrder();
    private static final int MR = 6;
    private static final int KC = 96;

    /** Floats per vector: 4096 (16 KiB, in L1), 262144 (1 MiB, L2/L3) and 4194304 (16 MiB, memory). */
    @Param({"4096", "262144", "4194304"})
    public int n;

    private float[] xHeap;
    private float[] yHeap;
    private MemorySegment xSegment;
    private MemorySegment ySegment;
    private Arena arena;

    // GEMM tile operands: A expanded to one vector per value [KC][MR][LANES], B packed [KC][2·LANES]
    private float[] aHeap;
    private float[] bHeap;
    private float[] cHeap;
    private MemorySegment aSegment;
    private MemorySegment bSegment;
    private MemorySegment cSegment;

    @Setup(Level.Trial)
    public void setUp() {
        arena = Arena.ofShared();
        xHeap = filled(n);
        yHeap = filled(n);
        xSegment = copyOf(xHeap);
        ySegment = copyOf(yHeap);
        aHeap = filled(KC * MR * LANES);
        bHeap = filled(KC * 2 * LANES);
        cHeap = new float[MR * 2 * LANES];
        aSegment = copyOf(aHeap);
        bSegment = copyOf(bHeap);
        cSegment = copyOf(cHeap);
    }

    @TearDown(Level.Trial)
    public void tearDown() {
        arena.close();
    }

    private MemorySegment copyOf(float[] values) {
        MemorySegment segment = arena.allocate((long) values.length * Float.BYTES, 64);
        MemorySegment.copy(values, 0, segment, ValueLayout.JAVA_FLOAT, 0, values.length);
        return segment;
    }

    private static float[] filled(int count) {
        float[] values = new float[count];
        for (int i = 0; i < count; i++) {
            values[i] = (i % 17) * 0.01f;
        }
        return values;
    }

    /** Rates that JMH divides by time: GB moved and GFLOP computed. */
    @State(Scope.Thread)
    @AuxCounters(AuxCounters.Type.OPERATIONS)
    public static class Rate {
        public double gbytes;
        public double gflops;

        @Setup(Level.Iteration)
        public void reset() {
            gbytes = 0;
            gflops = 0;
        }
    }

    // ---------------------------------------------------------------- dot: reads 2·n floats

    @Benchmark
    public float dotHeap(Rate rate) {
        FloatVector sum = FloatVector.zero(SPECIES);
        int bound = SPECIES.loopBound(n);
        for (int i = 0; i < bound; i += LANES) {
            sum = FloatVector.fromArray(SPECIES, xHeap, i).fma(FloatVector.fromArray(SPECIES, yHeap, i), sum);
        }
        rate.gbytes += 8.0 * n / 1e9;
        return sum.reduceLanes(VectorOperators.ADD);
    }

    @Benchmark
    public float dotSegment(Rate rate) {
        FloatVector sum = FloatVector.zero(SPECIES);
        long bound = SPECIES.loopBound(n);
        for (long i = 0; i < bound; i += LANES) {
            long offset = i * Float.BYTES;
            sum = FloatVector.fromMemorySegment(SPECIES, xSegment, offset, ORDER)
                    .fma(FloatVector.fromMemorySegment(SPECIES, ySegment, offset, ORDER), sum);
        }
        rate.gbytes += 8.0 * n / 1e9;
        return sum.reduceLanes(VectorOperators.ADD);
    }

    // ---------------------------------------------------------------- axpy y += α·x: reads 2·n, writes n floats

    @Benchmark
    public float[] axpyHeap(Rate rate) {
        FloatVector alpha = FloatVector.broadcast(SPECIES, 1e-6f);
        int bound = SPECIES.loopBound(n);
        for (int i = 0; i < bound; i += LANES) {
            FloatVector.fromArray(SPECIES, xHeap, i).fma(alpha, FloatVector.fromArray(SPECIES, yHeap, i))
                    .intoArray(yHeap, i);
        }
        rate.gbytes += 12.0 * n / 1e9;
        return yHeap;
    }

    @Benchmark
    public MemorySegment axpySegment(Rate rate) {
        FloatVector alpha = FloatVector.broadcast(SPECIES, 1e-6f);
        long bound = SPECIES.loopBound(n);
        for (long i = 0; i < bound; i += LANES) {
            long offset = i * Float.BYTES;
            FloatVector.fromMemorySegment(SPECIES, xSegment, offset, ORDER)
                    .fma(alpha, FloatVector.fromMemorySegment(SPECIES, ySegment, offset, ORDER))
                    .intoMemorySegment(ySegment, offset, ORDER);
        }
        rate.gbytes += 12.0 * n / 1e9;
        return ySegment;
    }

    // ---------------------------------------------------------------- GEMM register tile: 2·6·2·LANES·KC flops

    @Benchmark
    public float[] gemmTileHeap(Rate rate) {
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
        int aIndex = 0;
        int bIndex = 0;
        for (int p = 0; p < KC; p++) {
            FloatVector b0 = FloatVector.fromArray(SPECIES, bHeap, bIndex);
            FloatVector b1 = FloatVector.fromArray(SPECIES, bHeap, bIndex + LANES);
            FloatVector a = FloatVector.fromArray(SPECIES, aHeap, aIndex);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.fromArray(SPECIES, aHeap, aIndex + LANES);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.fromArray(SPECIES, aHeap, aIndex + 2 * LANES);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.fromArray(SPECIES, aHeap, aIndex + 3 * LANES);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.fromArray(SPECIES, aHeap, aIndex + 4 * LANES);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.fromArray(SPECIES, aHeap, aIndex + 5 * LANES);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            aIndex += MR * LANES;
            bIndex += 2 * LANES;
        }
        c00.add(c01).add(c10).add(c11).add(c20).add(c21).add(c30).add(c31).add(c40).add(c41).add(c50).add(c51)
                .intoArray(cHeap, 0);
        rate.gflops += 2.0 * MR * 2 * LANES * KC / 1e9;
        return cHeap;
    }

    @Benchmark
    public MemorySegment gemmTileSegment(Rate rate) {
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
        long vectorBytes = (long) LANES * Float.BYTES;
        long aOffset = 0;
        long bOffset = 0;
        for (int p = 0; p < KC; p++) {
            FloatVector b0 = FloatVector.fromMemorySegment(SPECIES, bSegment, bOffset, ORDER);
            FloatVector b1 = FloatVector.fromMemorySegment(SPECIES, bSegment, bOffset + vectorBytes, ORDER);
            FloatVector a = FloatVector.fromMemorySegment(SPECIES, aSegment, aOffset, ORDER);
            c00 = a.fma(b0, c00);
            c01 = a.fma(b1, c01);
            a = FloatVector.fromMemorySegment(SPECIES, aSegment, aOffset + vectorBytes, ORDER);
            c10 = a.fma(b0, c10);
            c11 = a.fma(b1, c11);
            a = FloatVector.fromMemorySegment(SPECIES, aSegment, aOffset + 2 * vectorBytes, ORDER);
            c20 = a.fma(b0, c20);
            c21 = a.fma(b1, c21);
            a = FloatVector.fromMemorySegment(SPECIES, aSegment, aOffset + 3 * vectorBytes, ORDER);
            c30 = a.fma(b0, c30);
            c31 = a.fma(b1, c31);
            a = FloatVector.fromMemorySegment(SPECIES, aSegment, aOffset + 4 * vectorBytes, ORDER);
            c40 = a.fma(b0, c40);
            c41 = a.fma(b1, c41);
            a = FloatVector.fromMemorySegment(SPECIES, aSegment, aOffset + 5 * vectorBytes, ORDER);
            c50 = a.fma(b0, c50);
            c51 = a.fma(b1, c51);
            aOffset += MR * vectorBytes;
            bOffset += 2 * vectorBytes;
        }
        c00.add(c01).add(c10).add(c11).add(c20).add(c21).add(c30).add(c31).add(c40).add(c41).add(c50).add(c51)
                .intoMemorySegment(cSegment, 0, ORDER);
        rate.gflops += 2.0 * MR * 2 * LANES * KC / 1e9;
        return cSegment;
    }
}
