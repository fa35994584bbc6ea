package org.gkd4j.bench;

import java.lang.management.ManagementFactory;
import java.util.Random;
import java.util.concurrent.TimeUnit;

import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Ops;
import org.gkd4j.tensor.autograd.Var;
import org.gkd4j.tensor.autograd.Workspace;
import org.gkd4j.tensor.kernels.Kernels;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Bytes allocated per training step (forward + backward + SGD update) of a one-block transformer, with and
 * without the {@link Workspace}. Under JMH run it with {@code -prof gc} and read {@code gc.alloc.rate.norm}
 * (bytes per operation); {@link #main} measures the same without JMH from the JVM's per-thread allocation counters.
 *
 * <p>Shapes: B = 4, T = 64, C = 64, H = 4 query heads, G = 2 key/value heads, D = 16, MLP hidden 172, V = 256.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 5, time = 3)
@Measurement(iterations = 3, time = 3)
@Fork(value = 1, jvmArgsAppend = {"--add-modules", "jdk.incubator.vector"})
public class AllocationBench {

    private static final int BATCH = 4, TIME = 64, CHANNELS = 64, HEADS = 4, KV_HEADS = 2, HEAD_SIZE = 16;
    private static final int HIDDEN = 172, VOCABULARY = 256;
    private static final float LEARNING_RATE = 1e-3f;

    @Param({"true", "false"})
    public boolean workspace;

    private Var embedding, attentionNorm, wq, wk, wv, wo, mlpNorm, w1, w2, w3, finalNorm, head;
    private Var[] parameters;
    private int[] ids, targets, positions;
    private final Workspace buffers = new Workspace();

    @Setup
    public void setup() {
        Random random = new Random(1);
        embedding = parameter("embedding", random, VOCABULARY, CHANNELS);
        attentionNorm = ones("attentionNorm", CHANNELS);
        wq = parameter("wq", random, HEADS * HEAD_SIZE, CHANNELS);
        wk = parameter("wk", random, KV_HEADS * HEAD_SIZE, CHANNELS);
        wv = parameter("wv", random, KV_HEADS * HEAD_SIZE, CHANNELS);
        wo = parameter("wo", random, CHANNELS, HEADS * HEAD_SIZE);
        mlpNorm = ones("mlpNorm", CHANNELS);
        w1 = parameter("w1", random, HIDDEN, CHANNELS);
        w2 = parameter("w2", random, CHANNELS, HIDDEN);
        w3 = parameter("w3", random, HIDDEN, CHANNELS);
        finalNorm = ones("finalNorm", CHANNELS);
        head = parameter("head", random, VOCABULARY, CHANNELS);
        parameters = new Var[] {embedding, attentionNorm, wq, wk, wv, wo, mlpNorm, w1, w2, w3, finalNorm, head};

        int rows = BATCH * TIME;
        ids = new int[rows];
        targets = new int[rows];
        positions = new int[rows];
        for (int n = 0; n < rows; n++) {
            ids[n] = random.nextInt(VOCABULARY);
            targets[n] = random.nextInt(VOCABULARY);
            positions[n] = n % TIME;
        }
    }

    private static Var parameter(String name, Random random, int... shape) {
        Tensor value = Tensor.zeros(shape);
        for (int i = 0; i < value.size(); i++) {
            value.set(i, (float) (random.nextGaussian() * 0.05));
        }
        return Var.parameter(name, value);
    }

    private static Var ones(String name, int size) {
        return Var.parameter(name, Tensor.zeros(size).fill(1f));
    }

    /** Runs one training step and returns its loss. */
    @Benchmark
    public float trainingStep() {
        if (!workspace) {
            return step();
        }
        try (Workspace.Scope ignored = buffers.step()) {
            return step();
        }
    }

    private float step() {
        int rows = BATCH * TIME;
        for (Var parameter : parameters) {
            parameter.zeroGrad();
        }

        // attention block
        Var x = Ops.embedding(embedding, ids);
        Var h = Ops.rmsNorm(x, attentionNorm, 1e-5f);
        Var q = Ops.rope(Ops.reshape(Ops.linear(h, wq), rows, HEADS, HEAD_SIZE), positions, 10000f);
        Var k = Ops.rope(Ops.reshape(Ops.linear(h, wk), rows, KV_HEADS, HEAD_SIZE), positions, 10000f);
        Var v = Ops.linear(h, wv);
        Var attention = Ops.attention(Ops.reshape(q, BATCH, TIME, HEADS, HEAD_SIZE),
                Ops.reshape(k, BATCH, TIME, KV_HEADS, HEAD_SIZE), Ops.reshape(v, BATCH, TIME, KV_HEADS, HEAD_SIZE),
                null);
        x = Ops.add(x, Ops.linear(Ops.reshape(attention, rows, HEADS * HEAD_SIZE), wo));

        // MLP block
        h = Ops.rmsNorm(x, mlpNorm, 1e-5f);
        x = Ops.add(x, Ops.linear(Ops.swiglu(Ops.linear(h, w1), Ops.linear(h, w3)), w2));

        // head, loss, backward and an SGD update
        Var loss = Ops.crossEntropy(Ops.linear(Ops.rmsNorm(x, finalNorm, 1e-5f), head), targets, -1);
        loss.backward();
        for (Var parameter : parameters) {
            Kernels.axpy(-LEARNING_RATE, parameter.grad(), parameter.value());
        }
        return loss.value().get(0);
    }

    /**
     * Prints bytes allocated per step on every live thread (the kernel pool included), measured with the JVM's
     * per-thread allocation counters over 200 steps after 100 warm-up steps, with and without the workspace.
     */
    public static void main(String[] args) {
        com.sun.management.ThreadMXBean threads =
                (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();
        for (boolean useWorkspace : new boolean[] {true, false}) {
            AllocationBench bench = new AllocationBench();
            bench.workspace = useWorkspace;
            bench.setup();
            for (int i = 0; i < 100; i++) {
                bench.trainingStep();
            }
            int steps = 200;
            long before = totalAllocatedBytes(threads);
            long start = System.nanoTime();
            float loss = 0;
            for (int i = 0; i < steps; i++) {
                loss = bench.trainingStep();
            }
            long elapsed = System.nanoTime() - start;
            long bytes = totalAllocatedBytes(threads) - before;
            System.out.printf("workspace=%s: %,d bytes allocated per step, %.2f ms per step, loss %.4f%n",
                    useWorkspace, bytes / steps, elapsed / 1e6 / steps, loss);
        }
    }

    private static long totalAllocatedBytes(com.sun.management.ThreadMXBean threads) {
        long total = 0;
        for (long bytes : threads.getThreadAllocatedBytes(threads.getAllThreadIds())) {
            total += Math.max(0, bytes);
        }
        return total;
    }
}
