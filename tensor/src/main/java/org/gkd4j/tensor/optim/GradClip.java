package org.gkd4j.tensor.optim;

import java.util.List;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Var;

/** Gradient clipping by the global L2 norm over all parameters, as in PyTorch's {@code clip_grad_norm_}. */
public final class GradClip {

    private GradClip() {
    }

    /**
     * Computes the L2 norm of all gradients together, N = total gradient elements, and when it exceeds
     * {@code maxNorm} scales every gradient by maxNorm / (norm + 1e-6). Parameters without a gradient are skipped.
     *
     * @return the norm before clipping, accumulated in double; a non-finite norm is returned without scaling
     *     anything, so the caller can stop or skip the step
     */
    public static double clipGlobalNorm(List<Var> params, float maxNorm) {
        if (!(maxNorm > 0f) || Float.isInfinite(maxNorm)) {
            throw new IllegalArgumentException("GradClip.clipGlobalNorm: maxNorm " + maxNorm + " is invalid;"
                    + " expected a finite value > 0, typically 1.0");
        }
        double norm = Math.sqrt(sumOfSquares(params));
        if (!Double.isFinite(norm) || norm <= maxNorm) {
            return norm;
        }

        // scale in place; the 1e-6 keeps the factor finite and matches PyTorch
        float scale = (float) (maxNorm / (norm + 1e-6));
        for (Var p : params) {
            Tensor grad = p.grad();
            if (grad == null) {
                continue;
            }
            float[] data = grad.data();
            int end = grad.offset() + grad.size();
            for (int i = grad.offset(); i < end; i++) {
                data[i] *= scale;
            }
        }
        return norm;
    }

    /** Returns the sum of squared gradient elements in double, with four partial sums to shorten the chain. */
    private static double sumOfSquares(List<Var> params) {
        double total = 0;
        for (Var p : params) {
            Tensor grad = p.grad();
            if (grad == null) {
                continue;
            }
            float[] data = grad.data();
            int start = grad.offset();
            int end = start + grad.size();
            double s0 = 0;
            double s1 = 0;
            double s2 = 0;
            double s3 = 0;
            int i = start;
            for (; i + 3 < end; i += 4) {
                double x0 = data[i];
                double x1 = data[i + 1];
                double x2 = data[i + 2];
                double x3 = data[i + 3];
                s0 += x0 * x0;
                s1 += x1 * x1;
                s2 += x2 * x2;
                s3 += x3 * x3;
            }
            for (; i < end; i++) {
                double x = data[i];
                s0 += x * x;
            }
            total += (s0 + s1) + (s2 + s3);
        }
        return total;
    }
}
