package org.gkd4j.gkd.divergence;

import java.util.function.IntConsumer;
import org.gkd4j.tensor.kernels.Parallel;

/**
 * Runs independent row tasks of the loss on several threads. Each task writes only its own row's outputs, so
 * results do not depend on the thread count or on scheduling.
 */
final class RowParallel {

    /** Per-thread scratch for {@link DivergenceKernel}, grown on demand. */
    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    private RowParallel() {
    }

    /** Runs body(i) for i in [0, count) on the kernel pool ({@link Parallel#forEach}). */
    static void forEach(int count, IntConsumer body) {
        Parallel.forEach(count, body);
    }

    /** Returns this thread's scratch of at least {@code length} floats. */
    static float[] scratch(int length) {
        float[] scratch = SCRATCH.get();
        if (scratch.length < length) {
            scratch = new float[length];
            SCRATCH.set(scratch);
        }
        return scratch;
    }
}
