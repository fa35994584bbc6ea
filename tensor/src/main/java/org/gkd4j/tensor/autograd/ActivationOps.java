package org.gkd4j.tensor.autograd;

import static org.gkd4j.tensor.autograd.Ops.finishGrad;
import static org.gkd4j.tensor.autograd.Ops.gradTarget;
import static org.gkd4j.tensor.autograd.Ops.output;
import static org.gkd4j.tensor.autograd.Ops.overwrittenGradTarget;
import static org.gkd4j.tensor.autograd.Ops.overwrittenOutput;
import static org.gkd4j.tensor.autograd.Ops.requireNonNull;
import static org.gkd4j.tensor.autograd.Ops.requireSameShape;

import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Kernels;

/** Element-wise activations (SiLU, GELU) and the fused SwiGLU gate with their backward steps. */
final class ActivationOps {

    private ActivationOps() {
    }

    static Var silu(Var x) {
        requireNonNull("silu", "x", x);
        Tensor y = output(x.value().shape());
        Kernels.silu(x.value(), y);
        Var out = Var.result(y, Tape.needsGrad(x));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                Tensor dx = gradTarget(x);
                Kernels.siluBackward(x.value(), out.grad(), dx);
                finishGrad(x, dx);
            });
        }
        return out;
    }

    static Var gelu(Var x) {
        requireNonNull("gelu", "x", x);
        Tensor y = output(x.value().shape());
        Kernels.gelu(x.value(), y);
        Var out = Var.result(y, Tape.needsGrad(x));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                Tensor dx = gradTarget(x);
                Kernels.geluBackward(x.value(), out.grad(), dx);
                finishGrad(x, dx);
            });
        }
        return out;
    }

    /** gate, up: same shape → silu(gate) ⊙ up. */
    static Var swiglu(Var gate, Var up) {
        requireSameShape("swiglu", gate, up);
        // the kernel writes every element of y, and the backward kernel every element of dgate and dup
        Tensor y = overwrittenOutput(gate.value().shape());
        Kernels.swiglu(gate.value(), up.value(), y);
        Var out = Var.result(y, Tape.needsGrad(gate, up));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                Tensor dgate = overwrittenGradTarget(gate);
                Tensor dup = overwrittenGradTarget(up);
                Kernels.swigluBackward(gate.value(), up.value(), out.grad(), dgate, dup);
                finishGrad(gate, dgate);
                finishGrad(up, dup);
            });
        }
        return out;
    }
}
