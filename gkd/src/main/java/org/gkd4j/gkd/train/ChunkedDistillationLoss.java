package org.gkd4j.gkd.train;

import java.util.Arrays;
import org.gkd4j.gkd.divergence.Divergence;
import org.gkd4j.gkd.divergence.DivergenceKernel;
import org.gkd4j.gkd.divergence.DivergenceReference;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Tape;
import org.gkd4j.tensor.autograd.Var;
import org.gkd4j.tensor.kernels.Kernels;

/**
 * The distillation loss Σ_n w_n · D(T_n ‖ S_n) as one autograd node that forms student and teacher logits only
 * {@code chunkRows} rows at a time, so the [N, V] logits of a batch never exist whole; the backward pass recomputes
 * each chunk. The per-row divergence and its gradient come from {@link DivergenceKernel}.
 *
 * <p>The trainer uses it on the scalar reference backend, where it evaluates each row with the double-precision
 * {@link DivergenceReference} so that a run and its resumed copy agree bit for bit. On the vector backend the
 * trainer uses the faster {@link org.gkd4j.gkd.divergence.DistillationLoss}.
 */
public final class ChunkedDistillationLoss {

    private ChunkedDistillationLoss() {
    }

    /**
     * studentHidden: [N, C_S], studentHead: [V, C_S], teacherHidden: [N, C_T], teacherHead: [V, C_T] (both used
     * without gradient), positionWeights: [N] (0 skips a row) → [1]. τ is the loss temperature.
     */
    public static Var forward(Var studentHidden, Var studentHead, Var teacherHidden, Var teacherHead,
                              float[] positionWeights, Divergence divergence, float tau, int chunkRows) {
        Tensor hs = studentHidden.value();
        Tensor ws = studentHead.value();
        Tensor ht = teacherHidden.value();
        Tensor wt = teacherHead.value();
        int rows = hs.rows();
        int vocab = ws.dim(0);
        if (hs.rank() != 2 || ht.rank() != 2 || ht.rows() != rows || ws.dim(1) != hs.dim(1)
                || wt.dim(1) != ht.dim(1) || wt.dim(0) != vocab) {
            throw new IllegalArgumentException("distillation loss: student hidden " + hs.shapeString() + " head "
                    + ws.shapeString() + " and teacher hidden " + ht.shapeString() + " head " + wt.shapeString()
                    + " must be [N, C_S], [V, C_S], [N, C_T], [V, C_T] with the same N and V");
        }
        if (positionWeights.length != rows) {
            throw new IllegalArgumentException("distillation loss: " + positionWeights.length
                    + " position weights for " + rows + " rows; need one per row");
        }
        if (chunkRows < 1) {
            throw new IllegalArgumentException("distillation loss: chunkRows " + chunkRows + " must be positive");
        }

        // forward: Σ w_n·D per chunk, without gradient
        float[] scratch = new float[DivergenceKernel.scratchLength(vocab)];
        double sum = 0;
        for (int start = 0; start < rows; start += chunkRows) {
            int count = Math.min(chunkRows, rows - start);
            if (!anyWeight(positionWeights, start, count)) {
                continue;
            }
            float[] student = logits(hs, ws, start, count).data();
            float[] teacher = logits(ht, wt, start, count).data();
            for (int r = 0; r < count; r++) {
                float weight = positionWeights[start + r];
                if (weight != 0) {
                    sum += weight * rowDivergence(divergence, student, r * vocab, teacher, r * vocab, vocab, tau,
                            null, 0, 0f, scratch);
                }
            }
        }
        Var out = Var.result(Tensor.of(new float[] {(float) sum}, 1), Tape.needsGrad(studentHidden, studentHead));
        if (!out.requiresGrad()) {
            return out;
        }

        // backward: g_n = w_n·dout·∂D/∂z_S, then dh_S += g·W_S and dW_S += gᵀ·h_S, chunk by chunk
        Tape.record(out, () -> {
            float dout = out.grad().get(0);
            float[] work = new float[DivergenceKernel.scratchLength(vocab)];
            for (int start = 0; start < rows; start += chunkRows) {
                int count = Math.min(chunkRows, rows - start);
                if (!anyWeight(positionWeights, start, count)) {
                    continue;
                }
                float[] student = logits(hs, ws, start, count).data();
                float[] teacher = logits(ht, wt, start, count).data();
                Tensor gradient = Tensor.zeros(count, vocab);
                float[] g = gradient.data();
                for (int r = 0; r < count; r++) {
                    float weight = positionWeights[start + r];
                    if (weight == 0) {
                        Arrays.fill(g, r * vocab, (r + 1) * vocab, 0f);
                        continue;
                    }
                    rowDivergence(divergence, student, r * vocab, teacher, r * vocab, vocab, tau, g, r * vocab,
                            weight * dout, work);
                }
                if (studentHidden.requiresGrad()) {
                    Kernels.matmul(gradient, ws, studentHidden.gradOrZeros().rows(start, count), false, false, true);
                }
                if (studentHead.requiresGrad()) {
                    Kernels.matmul(gradient, hs.rows(start, count), studentHead.gradOrZeros(), true, false, true);
                }
            }
        });
        return out;
    }

    /**
     * Evaluates one row with {@link DivergenceKernel}, or with the double-precision {@link DivergenceReference} when
     * the process runs on the scalar reference backend. NOTE: the Vector API kernel's lane sums can differ in the
     * last bit between interpreted and JIT-compiled code, so only the scalar path repeats bit for bit.
     */
    static double rowDivergence(Divergence divergence, float[] student, int studentOffset, float[] teacher,
                                int teacherOffset, int vocab, float tau, float[] gradient, int gradOffset,
                                float gradScale, float[] scratch) {
        if (!onScalarBackend()) {
            return DivergenceKernel.evaluate(divergence, student, studentOffset, teacher, teacherOffset, vocab, tau,
                    gradient, gradOffset, gradScale, scratch);
        }
        float[] studentRow = Arrays.copyOfRange(student, studentOffset, studentOffset + vocab);
        float[] teacherRow = Arrays.copyOfRange(teacher, teacherOffset, teacherOffset + vocab);
        float[] rowGradient = gradient == null ? null : new float[vocab];
        double value = DivergenceReference.evaluate(divergence, studentRow, teacherRow, tau, rowGradient);
        if (gradient != null) {
            for (int i = 0; i < vocab; i++) {
                gradient[gradOffset + i] = rowGradient[i] * gradScale;
            }
        }
        return value;
    }

    /** Returns true when the process runs on the scalar reference backend. */
    public static boolean onScalarBackend() {
        return "scalar".equals(Kernels.backend().name());
    }

    private static boolean anyWeight(float[] weights, int start, int count) {
        for (int i = start; i < start + count; i++) {
            if (weights[i] != 0) {
                return true;
            }
        }
        return false;
    }

    private static Tensor logits(Tensor hidden, Tensor head, int start, int count) {
        Tensor logits = Tensor.zeros(count, head.dim(0));
        Kernels.matmul(hidden.rows(start, count), head, logits, false, true, false);
        return logits;
    }
}
