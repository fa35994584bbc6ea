package org.gkd4j.gkd.divergence;

import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Tape;
import org.gkd4j.tensor.autograd.Var;
import org.gkd4j.tensor.kernels.Kernels;

/**
 * The chunked fused distillation loss, one autograd node: Σ_n w_n · D(T_n‖S_n) over rows n with weight w_n ≠ 0,
 * where S_n and T_n come from the student and teacher logits of row n at temperature τ.
 *
 * <p>studentHidden [N, C_s] and studentHead [V, C_s] give the student logits, teacherHidden [N, C_t] and
 * teacherHead [V, C_t] the teacher logits (the teacher takes no gradient). Rows are processed chunkRows at a
 * time: only the kept rows are gathered, each chunk's logits [R, V] of both models are computed, the divergence
 * kernel writes w_n·∂D/∂z_S per row, and the chunk's gradient goes straight into dHidden (dlogits · head) and
 * dHead (dlogitsᵀ · hidden). The [N, V] logits therefore never exist, and rows of weight 0 cost nothing.
 *
 * <p>The gradients are computed during the forward pass and kept until backward, which scales them by the
 * output's gradient. That saves recomputing both models' logits (two of the six matmuls) at the price of
 * holding dHead, one [V, C_s] buffer the size of the student head, between forward and backward.
 * NOTE: a forward pass that records for backward but is never followed by one keeps that buffer alive until
 * the tape is cleared.
 */
public final class DistillationLoss {

    private DistillationLoss() {
    }

    /** Returns the scalar loss [1]; see the class comment for shapes. positionWeights: [N]. */
    public static Var forward(Var studentHidden, Var studentHead, Tensor teacherHidden, Tensor teacherHead,
                              float[] positionWeights, Divergence divergence, float tau, int chunkRows) {
        String op = "DistillationLoss";
        int rows = LogitChunks.checkRows(op, "student", studentHidden.value(), studentHead.value());
        int teacherRows = LogitChunks.checkRows(op, "teacher", teacherHidden, teacherHead);
        if (teacherRows != rows || teacherHead.dim(0) != studentHead.value().dim(0)) {
            throw new IllegalArgumentException(op + ": student has " + rows + " rows and vocabulary "
                    + studentHead.value().dim(0) + " but teacher has " + teacherRows + " rows and vocabulary "
                    + teacherHead.dim(0) + "; distil only between models that share a tokenizer, on the same rows");
        }
        LogitChunks.checkWeights(op, positionWeights, rows);
        LogitChunks.checkChunkRows(op, chunkRows);
        DivergenceReference.checkTemperature(tau);

        boolean needsGrad = Tape.needsGrad(studentHidden, studentHead);
        Gradients gradients = new Gradients(needsGrad && studentHidden.requiresGrad() ? studentHidden : null,
                needsGrad && studentHead.requiresGrad() ? studentHead : null);
        double loss = run(studentHidden.value(), studentHead.value(), teacherHidden, teacherHead, positionWeights,
                divergence, tau, chunkRows, needsGrad ? gradients : null);

        Var output = Var.result(Tensor.of(new float[] {(float) loss}, 1), needsGrad);
        if (needsGrad) {
            Tape.record(output, () -> gradients.accumulate(output.grad().get(0)));
        }
        return output;
    }

    /** The gradients computed in the forward pass: dHidden [N, C_s] (rows outside the loss stay 0), dHead. */
    private static final class Gradients {
        final Var hidden;
        final Var head;
        final Tensor dHidden;
        final Tensor dHead;

        Gradients(Var hidden, Var head) {
            this.hidden = hidden;
            this.head = head;
            this.dHidden = hidden == null ? null : Tensor.zeros(hidden.value().shape());
            this.dHead = head == null ? null : Tensor.zeros(head.value().shape());
        }

        void accumulate(float outputGrad) {
            if (dHidden != null) {
                Kernels.axpy(outputGrad, dHidden, hidden.gradOrZeros());
            }
            if (dHead != null) {
                Kernels.axpy(outputGrad, dHead, head.gradOrZeros());
            }
        }
    }

    private static double run(Tensor studentHidden, Tensor studentHead, Tensor teacherHidden, Tensor teacherHead,
                              float[] weights, Divergence divergence, float tau, int chunkRows,
                              Gradients gradients) {
        int[] kept = LogitChunks.keptRows(weights);
        int chunk = Math.max(1, Math.min(chunkRows, kept.length));
        LogitChunks student = new LogitChunks(studentHidden, studentHead, chunk);
        LogitChunks teacher = new LogitChunks(teacherHidden, teacherHead, chunk);
        int v = student.vocabulary();
        int channels = studentHead.dim(1);
        float[] dlogits = gradients == null ? null : new float[chunk * v];
        float[] dHiddenChunk = gradients != null && gradients.dHidden != null ? new float[chunk * channels] : null;
        double[] rowLoss = new double[chunk];
        double loss = 0;

        for (int from = 0; from < kept.length; from += chunk) {
            int count = Math.min(chunk, kept.length - from);
            int first = from;

            // logits of both models for this chunk of kept rows
            Tensor studentLogits = student.logits(kept, from, count);
            Tensor teacherLogits = teacher.logits(kept, from, count);

            // divergence per row, and w_n·∂D/∂z_S into dlogits
            float[] zs = studentLogits.data();
            float[] zt = teacherLogits.data();
            RowParallel.forEach(count, r -> {
                float weight = weights[kept[first + r]];
                rowLoss[r] = DivergenceKernel.evaluate(divergence, zs, r * v, zt, r * v, v, tau, dlogits, r * v,
                        weight, RowParallel.scratch(DivergenceKernel.scratchLength(v)));
            });
            for (int r = 0; r < count; r++) {
                loss += weights[kept[first + r]] * rowLoss[r];
            }
            if (gradients == null) {
                continue;
            }

            // dHidden rows = dlogits · head; dHead += dlogitsᵀ · hidden
            Tensor dlogitsChunk = Tensor.view(dlogits, 0, count, v);
            if (dHiddenChunk != null) {
                Tensor dHiddenView = Tensor.view(dHiddenChunk, 0, count, channels);
                Kernels.matmul(dlogitsChunk, studentHead, dHiddenView, false, false, false);
                float[] target = gradients.dHidden.data();
                for (int r = 0; r < count; r++) {
                    System.arraycopy(dHiddenChunk, r * channels, target, kept[first + r] * channels, channels);
                }
            }
            if (gradients.dHead != null) {
                Kernels.matmul(dlogitsChunk, student.hiddenChunk(count), gradients.dHead, true, false, true);
            }
        }
        return loss;
    }
}
