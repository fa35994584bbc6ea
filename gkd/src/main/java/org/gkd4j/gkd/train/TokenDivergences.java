package org.gkd4j.gkd.train;

import org.gkd4j.gkd.divergence.Divergence;
import org.gkd4j.gkd.divergence.DivergenceKernel;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Kernels;

/**
 * Evaluation sums over the loss positions of a batch, without gradient: forward KL(T‖S), reverse KL(S‖T) and the
 * student's log-likelihood of the targets, at temperature 1. Logits are formed {@code chunkRows} rows at a time.
 */
final class TokenDivergences {

    /** Sums over the positions counted. */
    record Sums(double forwardKl, double reverseKl, double studentLogLikelihood, int positions) {
    }

    private static final Divergence FORWARD_KL = new Divergence.ForwardKl();
    private static final Divergence REVERSE_KL = new Divergence.ReverseKl();

    private TokenDivergences() {
    }

    /**
     * studentHidden: [N, C_S], studentHead: [V, C_S], teacherHidden: [N, C_T] (null: no divergences),
     * teacherHead: [V, C_T], targets: [N] with −1 where a position is not counted.
     */
    static Sums sums(Tensor studentHidden, Tensor studentHead, Tensor teacherHidden, Tensor teacherHead,
                     int[] targets, int chunkRows) {
        int rows = studentHidden.rows();
        int vocab = studentHead.dim(0);
        float[] scratch = new float[DivergenceKernel.scratchLength(vocab)];
        double forward = 0;
        double reverse = 0;
        double logLikelihood = 0;
        int positions = 0;
        for (int start = 0; start < rows; start += chunkRows) {
            int count = Math.min(chunkRows, rows - start);
            if (!anyTarget(targets, start, count)) {
                continue;
            }
            float[] student = logits(studentHidden, studentHead, start, count);
            float[] teacher = teacherHidden == null ? null : logits(teacherHidden, teacherHead, start, count);
            for (int r = 0; r < count; r++) {
                int target = targets[start + r];
                if (target < 0) {
                    continue;
                }
                int offset = r * vocab;
                positions++;
                logLikelihood += student[offset + target] - logSumExp(student, offset, vocab);
                if (teacher != null) {
                    forward += DivergenceKernel.evaluate(FORWARD_KL, student, offset, teacher, offset,
                            vocab, 1f, null, 0, 0f, scratch);
                    reverse += DivergenceKernel.evaluate(REVERSE_KL, student, offset, teacher, offset,
                            vocab, 1f, null, 0, 0f, scratch);
                }
            }
        }
        return new Sums(forward, reverse, logLikelihood, positions);
    }

    private static boolean anyTarget(int[] targets, int start, int count) {
        for (int i = start; i < start + count; i++) {
            if (targets[i] >= 0) {
                return true;
            }
        }
        return false;
    }

    private static float[] logits(Tensor hidden, Tensor head, int start, int count) {
        Tensor logits = Tensor.zeros(count, head.dim(0));
        Kernels.matmul(hidden.rows(start, count), head, logits, false, true, false);
        return logits.data();
    }

    private static double logSumExp(float[] z, int offset, int length) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) {
            max = Math.max(max, z[offset + i]);
        }
        double sum = 0;
        for (int i = 0; i < length; i++) {
            sum += Math.exp(z[offset + i] - max);
        }
        return max + Math.log(sum);
    }
}
