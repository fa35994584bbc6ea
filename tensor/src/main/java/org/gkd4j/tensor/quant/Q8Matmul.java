package org.gkd4j.tensor.quant;

import java.util.stream.IntStream;
import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Parallel;

/**
 * The Vector API Q8_0 matrix multiply out [N, O] = x [N, C] · dequantize(w [O, C])ᵀ, split across threads by
 * output rows so each thread streams its own part of the int8 weights once for all N input rows.
 *
 * <p>Each group with scale s contributes s · Σ x·q. The int8 values are widened to float lanes, multiplied with x,
 * and the products are scaled by s into one vector accumulator, so a dot product is reduced across lanes once.
 */
final class Q8Matmul {

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    /** Bytes loaded per step: as many as float lanes, but at least the 64-bit minimum vector shape. */
    private static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_64.length() >= FLOATS.length()
            ? ByteVector.SPECIES_64
            : VectorSpecies.of(byte.class, VectorShape.forBitSize(FLOATS.length() * Byte.SIZE));
    private static final int LANES = FLOATS.length();
    /** Output rows per parallel task: enough int8 work per task to pay for the hand-off. */
    private static final int ROWS_PER_TASK = 16;

    private Q8Matmul() {
    }

    static void matmulTransB(Tensor x, Q8Tensor w, Tensor out) {
        // x: [N, C], w: [O, C] Q8_0, out: [N, O]
        checkShapes(x, w, out);
        int o = w.rows();
        int tasks = (o + ROWS_PER_TASK - 1) / ROWS_PER_TASK;
        if (tasks == 1 || Parallel.threads() == 1) {
            rows(x, w, out, 0, o);
            return;
        }
        // TODO: switch to Parallel.forEach once the shared kernel pool lands on main.
        IntStream.range(0, tasks).parallel().forEach(task -> {
            int start = task * ROWS_PER_TASK;
            rows(x, w, out, start, Math.min(o, start + ROWS_PER_TASK));
        });
    }

    /** Computes out[:, rowStart .. rowEnd) for every input row. */
    private static void rows(Tensor x, Q8Tensor w, Tensor out, int rowStart, int rowEnd) {
        int n = x.rows();
        int c = w.cols();
        int o = w.rows();
        int groupSize = w.groupSize();
        float[] xd = x.data();
        float[] od = out.data();
        byte[] q = w.values();
        float[] s = w.scales();
        for (int r = rowStart; r < rowEnd; r++) {
            int rowBase = r * c;
            for (int i = 0; i < n; i++) {
                int xBase = x.offset() + i * c;
                FloatVector acc = FloatVector.zero(FLOATS);
                float tail = 0;

                // walk the row in runs of one scale: a run ends at a group boundary or at the row end
                int k = 0;
                while (k < c) {
                    int flat = rowBase + k;
                    int runEnd = Math.min(c, k + groupSize - flat % groupSize);
                    FloatVector scale = FloatVector.broadcast(FLOATS, s[flat / groupSize]);
                    int vectorEnd = runEnd - BYTES.length();
                    for (; k <= vectorEnd; k += LANES) {
                        FloatVector wv = (FloatVector) ByteVector.fromArray(BYTES, q, rowBase + k)
                                .convertShape(VectorOperators.B2F, FLOATS, 0);
                        FloatVector xv = FloatVector.fromArray(FLOATS, xd, xBase + k);
                        acc = xv.mul(wv).fma(scale, acc);
                    }
                    float run = 0;
                    for (; k < runEnd; k++) {
                        run += xd[xBase + k] * q[rowBase + k];
                    }
                    tail += run * s[flat / groupSize];
                }
                od[out.offset() + i * o + r] = acc.reduceLanes(VectorOperators.ADD) + tail;
            }
        }
    }

    static void checkShapes(Tensor x, Q8Tensor w, Tensor out) {
        int c = x.dim(-1);
        if (c != w.cols()) {
            throw new IllegalArgumentException("Q8 matmulTransB: x has " + c + " columns (C) but w is ["
                    + w.rows() + ", " + w.cols() + "]; w must be [O, C]");
        }
        if (out.dim(-1) != w.rows() || out.rows() != x.rows()) {
            throw new IllegalArgumentException("Q8 matmulTransB: out has shape " + out.shapeString() + " but x "
                    + x.shapeString() + " times wᵀ [" + w.cols() + ", " + w.rows() + "] gives [" + x.rows() + ", "
                    + w.rows() + "]");
        }
    }
}
