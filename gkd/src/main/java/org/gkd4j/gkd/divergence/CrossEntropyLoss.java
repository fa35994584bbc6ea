package org.gkd4j.gkd.divergence;

import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Tape;
import org.gkd4j.tensor.autograd.Var;
import org.gkd4j.tensor.kernels.Kernels;

/**
 * The chunked fused cross-entropy for supervised fine-tuning, one autograd node: Σ_n w_n · (logsumexp(z_n) −
 * z_n[targets[n]]) over rows with w_n ≠ 0, where z = hidden · headᵀ. hidden: [N, C], head: [V, C], targets: [N],
 * positionWeights: [N] (same convention as {@link DistillationLoss}: 0 outside the loss, and the weights of a
 * {@link LossMask} reduction). Like the distillation loss it works chunkRows rows at a time, computes the
 * gradients in the forward pass and keeps dHidden and dHead until backward.
 */
public final class CrossEntropyLoss {

    private CrossEntropyLoss() {
    }

    /** Returns the scalar loss [1]. Targets of rows with weight 0 are not read. */
    public static Var forward(Var hidden, Var head, int[] targets, float[] positionWeights, int chunkRows) {
        String op = "CrossEntropyLoss";
        int rows = LogitChunks.checkRows(op, "model", hidden.value(), head.value());
        LogitChunks.checkWeights(op, positionWeights, rows);
        LogitChunks.checkChunkRows(op, chunkRows);
        int v = head.value().dim(0);
        if (targets.length != rows) {
            throw new IllegalArgumentException(op + ": " + targets.length + " targets for " + rows
                    + " hidden rows; give one target per row");
        }
        int[] kept = LogitChunks.keptRows(positionWeights);
        for (int n : kept) {
            if (targets[n] < 0 || targets[n] >= v) {
                throw new IllegalArgumentException(op + ": target " + targets[n] + " at row " + n
                        + " is outside the vocabulary [0, " + v + ")");
            }
        }

        boolean needsGrad = Tape.needsGrad(hidden, head);
        Tensor dHidden = needsGrad && hidden.requiresGrad() ? Tensor.zeros(hidden.value().shape()) : null;
        Tensor dHead = needsGrad && head.requiresGrad() ? Tensor.zeros(head.value().shape()) : null;
        int chunk = Math.max(1, Math.min(chunkRows, kept.length));
        LogitChunks logitChunks = new LogitChunks(hidden.value(), head.value(), chunk);
        int channels = head.value().dim(1);
        float[] dHiddenChunk = dHidden == null ? null : new float[chunk * channels];
        double[] rowLoss = new double[chunk];
        double loss = 0;

        for (int from = 0; from < kept.length; from += chunk) {
            int count = Math.min(chunk, kept.length - from);
            int first = from;

            // logits, then per row the loss and, in place, w_n·(softmax − onehot)
            Tensor logits = logitChunks.logits(kept, from, count);
            float[] z = logits.data();
            boolean writeGrad = needsGrad;
            RowParallel.forEach(count, r -> {
                int n = kept[first + r];
                rowLoss[r] = row(z, r * v, v, targets[n], writeGrad ? positionWeights[n] : Float.NaN,
                        RowParallel.scratch(v));
            });
            for (int r = 0; r < count; r++) {
                loss += positionWeights[kept[first + r]] * rowLoss[r];
            }

            // dHidden rows = dlogits · head; dHead += dlogitsᵀ · hidden
            if (dHidden != null) {
                Tensor dHiddenView = Tensor.view(dHiddenChunk, 0, count, channels);
                Kernels.matmul(logits, head.value(), dHiddenView, false, false, false);
                for (int r = 0; r < count; r++) {
                    System.arraycopy(dHiddenChunk, r * channels, dHidden.data(), kept[first + r] * channels,
                            channels);
                }
            }
            if (dHead != null) {
                Kernels.matmul(logits, logitChunks.hiddenChunk(count), dHead, true, false, true);
            }
        }

        Var output = Var.result(Tensor.of(new float[] {(float) loss}, 1), needsGrad);
        if (needsGrad) {
            Tape.record(output, () -> {
                float outputGrad = output.grad().get(0);
                if (dHidden != null) {
                    Kernels.axpy(outputGrad, dHidden, hidden.gradOrZeros());
                }
                if (dHead != null) {
                    Kernels.axpy(outputGrad, dHead, head.gradOrZeros());
                }
            });
        }
        return output;
    }

    /**
     * Returns logsumexp(z) − z[target] for the row z[offset .. offset + v) and, unless gradScale is NaN,
     * overwrites the row with gradScale·(softmax(z) − onehot(target)). scratch: at least v floats.
     */
    static double row(float[] z, int offset, int v, int target, float gradScale, float[] scratch) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < v; i++) {
            max = Math.max(max, z[offset + i]);
        }
        double sum = VectorMath.exp(z, offset, max, 1f, scratch, 0, v);
        double loss = max + StrictMath.log(sum) - z[offset + target];
        if (!Float.isNaN(gradScale)) {
            float scale = (float) (gradScale / sum);
            for (int i = 0; i < v; i++) {
                z[offset + i] = scratch[i] * scale;
            }
            z[offset + target] -= gradScale;
        }
        return loss;
    }
}
