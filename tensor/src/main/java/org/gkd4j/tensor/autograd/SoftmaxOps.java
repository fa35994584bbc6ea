package org.gkd4j.tensor.autograd;

import static org.gkd4j.tensor.autograd.Ops.finishGrad;
import static org.gkd4j.tensor.autograd.Ops.gradTarget;
import static org.gkd4j.tensor.autograd.Ops.output;
import static org.gkd4j.tensor.autograd.Ops.requireNonNull;

import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Kernels;

/** softmax, log-softmax and mean cross-entropy as fused nodes along the last axis. */
final class SoftmaxOps {

    private SoftmaxOps() {
    }

    /** x: [N, C] (any leading axes); the backward kernel uses only the saved output y. */
    static Var softmax(Var x) {
        requireNonNull("softmax", "x", x);
        Tensor y = output(x.value().shape());
        Kernels.softmax(x.value(), y);
        Var out = Var.result(y, Tape.needsGrad(x));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                Tensor dx = gradTarget(x);
                Kernels.softmaxBackward(y, out.grad(), dx);
                finishGrad(x, dx);
            });
        }
        return out;
    }

    /** x: [N, C] (any leading axes); the backward kernel uses only the saved output y. */
    static Var logSoftmax(Var x) {
        requireNonNull("logSoftmax", "x", x);
        Tensor y = output(x.value().shape());
        Kernels.logSoftmax(x.value(), y);
        Var out = Var.result(y, Tape.needsGrad(x));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                Tensor dx = gradTarget(x);
                Kernels.logSoftmaxBackward(y, out.grad(), dx);
                finishGrad(x, dx);
            });
        }
        return out;
    }

    /**
     * logits: [N, V] (any leading axes), targets: [N] → [1], the mean of the per-row losses over the rows that
     * are not ignored. dlogits = dloss / count · (softmax(logits) - onehot(target)).
     */
    static Var crossEntropy(Var logits, int[] targets, int ignoreIndex) {
        requireNonNull("crossEntropy", "logits", logits);
        if (targets == null) {
            throw new IllegalArgumentException("crossEntropy: targets is null");
        }
        int[] saved = targets.clone();
        Tensor losses = output(logits.value().rows());
        Kernels.crossEntropy(logits.value(), saved, ignoreIndex, losses);

        // mean over the counted rows, in double so long sequences do not lose digits
        int count = 0;
        double total = 0;
        for (int n = 0; n < saved.length; n++) {
            if (saved[n] != ignoreIndex) {
                count++;
                total += losses.get(n);
            }
        }
        int counted = count;
        Tensor loss = output(1);
        loss.set(0, counted == 0 ? 0f : (float) (total / counted));

        Var out = Var.result(loss, Tape.needsGrad(logits));
        if (out.requiresGrad() && counted > 0) {
            Tape.record(out, () -> {
                Tensor dlogits = gradTarget(logits);
                float scale = out.grad().get(0) / counted;
                Kernels.crossEntropyBackward(logits.value(), saved, ignoreIndex, scale, dlogits);
                finishGrad(logits, dlogits);
            });
        }
        return out;
    }
}
