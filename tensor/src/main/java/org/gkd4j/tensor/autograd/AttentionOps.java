package org.gkd4j.tensor.autograd;

import static org.gkd4j.tensor.autograd.Ops.finishGrad;
import static org.gkd4j.tensor.autograd.Ops.overwrittenGradTarget;
import static org.gkd4j.tensor.autograd.Ops.requireNonNull;
import static org.gkd4j.tensor.autograd.Ops.requireRank;

import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Kernels;

/** Rotary position embedding and fused causal grouped-query attention with their backward steps. */
final class AttentionOps {

    private AttentionOps() {
    }

    /** x: [N, H, D] or [B, T, H, D], positions: [N = B·T]; the backward pass rotates dy by the negative angle. */
    static Var rope(Var x, int[] positions, float theta) {
        requireNonNull("rope", "x", x);
        int rank = x.value().rank();
        if (rank != 3 && rank != 4) {
            throw new IllegalArgumentException("rope: x " + x.value().shapeString()
                    + " must be [N, H, D] or [B, T, H, D]");
        }
        if (positions == null) {
            throw new IllegalArgumentException("rope: positions is null");
        }
        int h = x.value().dim(-2), d = x.value().dim(-1), n = x.value().size() / (h * d);
        int[] saved = positions.clone();
        // copyFrom overwrites every element, so the output skips zeroing
        Tensor y = Workspace.uninitialized(x.value().shape());
        y.copyFrom(x.value());
        Kernels.rope(y.reshape(n, h, d), saved, theta, false);
        Var out = Var.result(y, Tape.needsGrad(x));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                Tensor dx = overwrittenGradTarget(x);
                dx.copyFrom(out.grad());
                Kernels.rope(dx.reshape(n, h, d), saved, theta, true);
                finishGrad(x, dx);
            });
        }
        return out;
    }

    /** q: [B, T, H, D], k, v: [B, T, G, D] → [B, T, H, D]; saves logsumexp [B, H, T] for the backward kernel. */
    static Var attention(Var q, Var k, Var v, boolean[] keyMask) {
        requireRank("attention", "q", q, 4, "[B, T, H, D]");
        requireRank("attention", "k", k, 4, "[B, T, G, D]");
        requireNonNull("attention", "v", v);
        int b = q.value().dim(0), t = q.value().dim(1), h = q.value().dim(2);
        boolean[] savedMask = keyMask == null ? null : keyMask.clone();
        // the kernel writes every element of out and logsumexp, so neither needs zeroing
        Tensor y = Workspace.uninitialized(q.value().shape());
        Tensor logsumexp = Workspace.uninitialized(b, h, t);
        Kernels.attention(q.value(), k.value(), v.value(), savedMask, y, logsumexp);
        Var out = Var.result(y, Tape.needsGrad(q, k, v));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                Tensor dq = overwrittenGradTarget(q);
                Tensor dk = overwrittenGradTarget(k);
                Tensor dv = overwrittenGradTarget(v);
                Kernels.attentionBackward(q.value(), k.value(), v.value(), savedMask, y, logsumexp, out.grad(),
                        dq, dk, dv);
                finishGrad(q, dq);
                finishGrad(k, dk);
                finishGrad(v, dv);
            });
        }
        return out;
    }
}
