package org.gkd4j.gkd.reward;

import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Tape;
import org.gkd4j.tensor.autograd.Var;
import org.gkd4j.tensor.kernels.Kernels;

/**
 * The student's log-probabilities of given tokens, with gradient, for the REINFORCE term: one fused autograd node
 * that never holds more than {@code chunkRows} rows of logits.
 */
public final class PolicyLogprobs {

    private PolicyLogprobs() {
    }

    /**
     * Σ_n w_n · log softmax(h_n · Wᵀ)[y_n] → [1]. hidden h: [N, C], head W: [V, C], targets y: [N] (−1 or a weight
     * of 0 skips a row), weights w: [N]. The gradient with respect to the logits z_n is w_n·(onehot(y_n) − softmax(z_n)).
     */
    public static Var weightedSum(Var hidden, Var head, int[] targets, float[] weights, int chunkRows) {
        Tensor h = hidden.value();
        Tensor w = head.value();
        int rows = h.rows();
        int channels = h.dim(-1);
        int vocab = w.dim(0);
        if (h.rank() != 2 || w.rank() != 2 || w.dim(1) != channels) {
            throw new IllegalArgumentException("PolicyLogprobs.weightedSum: hidden " + h.shapeString()
                    + " and head " + w.shapeString() + " must be [N, C] and [V, C] with the same C");
        }
        if (targets.length != rows || weights.length != rows) {
            throw new IllegalArgumentException("PolicyLogprobs.weightedSum: targets (" + targets.length
                    + ") and weights (" + weights.length + ") need one entry per hidden row (" + rows + ")");
        }
        if (chunkRows < 1) {
            throw new IllegalArgumentException("PolicyLogprobs.weightedSum: chunkRows " + chunkRows + " must be positive");
        }
        for (int n = 0; n < rows; n++) {
            if (targets[n] >= vocab || targets[n] < -1) {
                throw new IllegalArgumentException("PolicyLogprobs.weightedSum: target " + targets[n] + " at row "
                        + n + " is outside the vocabulary [0, " + vocab + ") and is not -1 (skip)");
            }
        }

        // forward: per chunk, logits = h·Wᵀ, then the weighted log-softmax at the targets
        double sum = 0;
        for (int start = 0; start < rows; start += chunkRows) {
            int count = Math.min(chunkRows, rows - start);
            Tensor logits = chunkLogits(h, w, start, count);
            float[] z = logits.data();
            for (int r = 0; r < count; r++) {
                int n = start + r;
                if (targets[n] < 0 || weights[n] == 0) {
                    continue;
                }
                sum += weights[n] * (z[r * vocab + targets[n]] - logSumExp(z, r * vocab, vocab));
            }
        }
        Var out = Var.result(Tensor.of(new float[] {(float) sum}, 1), Tape.needsGrad(hidden, head));
        if (!out.requiresGrad()) {
            return out;
        }

        // backward: g = w·dout·(onehot − softmax), dh += g·W, dW += gᵀ·h, recomputing each chunk's logits
        Tape.record(out, () -> {
            float dout = out.grad().get(0);
            for (int start = 0; start < rows; start += chunkRows) {
                int count = Math.min(chunkRows, rows - start);
                Tensor logits = chunkLogits(h, w, start, count);
                float[] g = logits.data();
                for (int r = 0; r < count; r++) {
                    int n = start + r;
                    int base = r * vocab;
                    if (targets[n] < 0 || weights[n] == 0) {
                        java.util.Arrays.fill(g, base, base + vocab, 0f);
                        continue;
                    }
                    double lse = logSumExp(g, base, vocab);
                    float scale = weights[n] * dout;
                    for (int v = 0; v < vocab; v++) {
                        g[base + v] = (float) (-scale * Math.exp(g[base + v] - lse));
                    }
                    g[base + targets[n]] += scale;
                }
                if (hidden.requiresGrad()) {
                    Kernels.matmul(logits, w, hidden.gradOrZeros().rows(start, count), false, false, true);
                }
                if (head.requiresGrad()) {
                    Kernels.matmul(logits, h.rows(start, count), head.gradOrZeros(), true, false, true);
                }
            }
        });
        return out;
    }

    private static Tensor chunkLogits(Tensor h, Tensor w, int start, int count) {
        Tensor logits = Tensor.zeros(count, w.dim(0));
        Kernels.matmul(h.rows(start, count), w, logits, false, true, false);
        return logits;
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
