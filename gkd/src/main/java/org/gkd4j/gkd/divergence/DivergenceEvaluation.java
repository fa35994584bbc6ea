package org.gkd4j.gkd.divergence;

import org.gkd4j.tensor.Tensor;

/**
 * Forward and reverse KL between teacher and student on given sequences, for evaluation (no gradient): the mean
 * per token over the kept positions of a {@link LossMask}, and the same mean per sequence. Chunked like
 * {@link DistillationLoss}, so the [N, V] logits never exist.
 */
public final class DivergenceEvaluation {

    /**
     * Per-token means: forwardKl = Σ KL(T‖S) / tokens and reverseKl = Σ KL(S‖T) / tokens over kept positions
     * (both 0 when no position is kept); the per-sequence arrays [B] hold each sequence's own mean (0 for a
     * sequence without kept positions).
     */
    public record Result(double forwardKl, double reverseKl, int tokens, double[] sequenceForwardKl,
                         double[] sequenceReverseKl) {
    }

    private DivergenceEvaluation() {
    }

    /** studentHidden [B·T, C_s], studentHead [V, C_s], teacherHidden [B·T, C_t], teacherHead [V, C_t]. */
    public static Result klPerToken(Tensor studentHidden, Tensor studentHead, Tensor teacherHidden,
                                    Tensor teacherHead, LossMask mask, float tau, int chunkRows) {
        String op = "DivergenceEvaluation";
        int rows = LogitChunks.checkRows(op, "student", studentHidden, studentHead);
        int teacherRows = LogitChunks.checkRows(op, "teacher", teacherHidden, teacherHead);
        int positions = mask.batchSize() * mask.paddedLength();
        if (rows != positions || teacherRows != positions || teacherHead.dim(0) != studentHead.dim(0)) {
            throw new IllegalArgumentException(op + ": student " + studentHidden.shapeString() + " and teacher "
                    + teacherHidden.shapeString() + " hidden rows, vocabularies " + studentHead.dim(0) + " and "
                    + teacherHead.dim(0) + ", for a mask of " + mask.batchSize() + " × " + mask.paddedLength()
                    + " positions; both need B·T rows and one shared vocabulary");
        }
        LogitChunks.checkChunkRows(op, chunkRows);
        DivergenceReference.checkTemperature(tau);

        // kept rows, as a weight of 1 each
        float[] keep = mask.positionWeights(Reduction.SUM);
        int[] kept = LogitChunks.keptRows(keep);
        int chunk = Math.max(1, Math.min(chunkRows, kept.length));
        LogitChunks student = new LogitChunks(studentHidden, studentHead, chunk);
        LogitChunks teacher = new LogitChunks(teacherHidden, teacherHead, chunk);
        int v = student.vocabulary();
        double[] forwardRow = new double[chunk];
        double[] reverseRow = new double[chunk];
        double[] sequenceForward = new double[mask.batchSize()];
        double[] sequenceReverse = new double[mask.batchSize()];
        Divergence forwardKl = Divergence.forwardKl();
        Divergence reverseKl = Divergence.reverseKl();

        for (int from = 0; from < kept.length; from += chunk) {
            int count = Math.min(chunk, kept.length - from);
            float[] zs = student.logits(kept, from, count).data();
            float[] zt = teacher.logits(kept, from, count).data();
            RowParallel.forEach(count, r -> {
                float[] scratch = RowParallel.scratch(DivergenceKernel.scratchLength(v));
                forwardRow[r] = DivergenceKernel.evaluate(forwardKl, zs, r * v, zt, r * v, v, tau, null, 0, 1f,
                        scratch);
                reverseRow[r] = DivergenceKernel.evaluate(reverseKl, zs, r * v, zt, r * v, v, tau, null, 0, 1f,
                        scratch);
            });
            for (int r = 0; r < count; r++) {
                int sequence = kept[from + r] / mask.paddedLength();
                sequenceForward[sequence] += forwardRow[r];
                sequenceReverse[sequence] += reverseRow[r];
            }
        }

        // sums → means
        double forwardTotal = 0;
        double reverseTotal = 0;
        for (int b = 0; b < mask.batchSize(); b++) {
            forwardTotal += sequenceForward[b];
            reverseTotal += sequenceReverse[b];
            if (mask.keptTokens(b) > 0) {
                sequenceForward[b] /= mask.keptTokens(b);
                sequenceReverse[b] /= mask.keptTokens(b);
            }
        }
        int tokens = kept.length;
        return new Result(tokens == 0 ? 0 : forwardTotal / tokens, tokens == 0 ? 0 : reverseTotal / tokens, tokens,
                sequenceForward, sequenceReverse);
    }
}
