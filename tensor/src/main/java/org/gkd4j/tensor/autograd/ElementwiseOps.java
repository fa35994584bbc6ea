package org.gkd4j.tensor.autograd;

import static org.gkd4j.tensor.autograd.Ops.finishGrad;
import static org.gkd4j.tensor.autograd.Ops.gradTarget;
import static org.gkd4j.tensor.autograd.Ops.output;
import static org.gkd4j.tensor.autograd.Ops.overwrittenOutput;
import static org.gkd4j.tensor.autograd.Ops.requireNonNull;
import static org.gkd4j.tensor.autograd.Ops.requireSameShape;

import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Kernels;

/** Element-wise arithmetic, the full sum and reshape with their backward steps. */
final class ElementwiseOps {

    private ElementwiseOps() {
    }

    /** a + b; da += dy, db += dy. */
    static Var add(Var a, Var b) {
        requireSameShape("add", a, b);
        Tensor y = overwrittenOutput(a.value().shape());
        Kernels.add(a.value(), b.value(), y);
        Var out = Var.result(y, Tape.needsGrad(a, b));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                // b copies dy before a may take dy's array as its own gradient
                accumulateCopy(out.grad(), b);
                accumulateShared(out.grad(), a);
            });
        }
        return out;
    }

    /** a ⊙ b; da += dy ⊙ b, db += dy ⊙ a. */
    static Var mul(Var a, Var b) {
        requireSameShape("mul", a, b);
        Tensor y = output(a.value().shape());
        Kernels.mul(a.value(), b.value(), y);
        Var out = Var.result(y, Tape.needsGrad(a, b));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                if (a.requiresGrad()) {
                    Tensor da = gradTarget(a);
                    Kernels.mul(out.grad(), b.value(), da);
                    finishGrad(a, da);
                }
                if (b.requiresGrad()) {
                    Tensor db = gradTarget(b);
                    Kernels.mul(out.grad(), a.value(), db);
                    finishGrad(b, db);
                }
            });
        }
        return out;
    }

    /** s·a; da += s·dy. */
    static Var scale(Var a, float s) {
        requireNonNull("scale", "a", a);
        Tensor y = output(a.value().shape());
        Kernels.scale(a.value(), s, y);
        Var out = Var.result(y, Tape.needsGrad(a));
        if (out.requiresGrad()) {
            Tape.record(out, () -> Kernels.axpy(s, out.grad(), a.gradOrZeros()));
        }
        return out;
    }

    /** Σ a → [1]; da += dy (the same scalar for every element). */
    static Var sum(Var a) {
        requireNonNull("sum", "a", a);
        Tensor y = output(1);
        Kernels.sumLastAxis(a.value().reshape(1, a.value().size()), y);
        Var out = Var.result(y, Tape.needsGrad(a));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                float dy = out.grad().get(0);
                Tensor da = a.gradOrZeros();
                float[] data = da.data();
                for (int i = da.offset(); i < da.offset() + da.size(); i++) {
                    data[i] += dy;
                }
            });
        }
        return out;
    }

    /** Returns a view of x with another shape; dx += dy seen in x's shape. */
    static Var reshape(Var x, int... shape) {
        requireNonNull("reshape", "x", x);
        Tensor y = x.value().reshape(shape);
        Var out = Var.result(y, Tape.needsGrad(x));
        if (out.requiresGrad()) {
            Tape.record(out, () -> accumulateShared(out.grad().reshape(x.value().shape()), x));
        }
        return out;
    }

    /**
     * Adds dy, the gradient of an op output whose backward step is running, into the gradient of input. A first
     * gradient of an op result takes dy's array instead of a copy: every backward step that reads the output's
     * gradient has run by now, since they were recorded after this op.
     */
    private static void accumulateShared(Tensor dy, Var input) {
        if (input.requiresGrad() && !input.adoptGrad(dy)) {
            accumulateCopy(dy, input);
        }
    }

    /** Adds dy into the gradient of input. A first gradient is a copy of dy, which saves zeroing and an add pass. */
    private static void accumulateCopy(Tensor dy, Var input) {
        if (!input.requiresGrad()) {
            return;
        }
        if (input.grad() == null) {
            input.gradForOverwrite().copyFrom(dy);
        } else {
            Kernels.axpy(1f, dy, input.grad());
        }
    }
}
