package org.gkd4j.tensor.autograd;

import org.gkd4j.tensor.Tensor;

/**
 * A tensor in the autograd graph: its value, its gradient (allocated on first use) and whether gradients flow
 * into it. Parameters are leaf variables with {@code requiresGrad}; op outputs record how to reach their inputs
 * on the {@link Tape}.
 */
public final class Var {

    private final Tensor value;
    private final boolean requiresGrad;
    private final String name;
    private Tensor grad;

    private Var(Tensor value, boolean requiresGrad, String name) {
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.name = name;
    }

    /** Creates a trainable leaf: gradients accumulate into it on every backward pass. */
    public static Var parameter(String name, Tensor value) {
        return new Var(value, true, name);
    }

    /** Creates a leaf that takes no gradient (inputs, targets, frozen weights). */
    public static Var constant(Tensor value) {
        return new Var(value, false, null);
    }

    /** Creates the output of an op; it requires a gradient when any input does and the tape is recording. */
    public static Var result(Tensor value, boolean requiresGrad) {
        return new Var(value, requiresGrad, null);
    }

    public Tensor value() {
        return value;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Returns the parameter name, or null for an intermediate value. */
    public String name() {
        return name;
    }

    /** Returns the gradient, or null when no backward pass has reached this variable. */
    public Tensor grad() {
        return grad;
    }

    /** Returns the gradient, allocating a zero tensor of the value's shape on first use. */
    public Tensor gradOrZeros() {
        if (grad == null) {
            grad = Tensor.zeros(value.shape());
        }
        return grad;
    }

    public void zeroGrad() {
        if (grad != null) {
            grad.fill(0f);
        }
    }

    /** Returns a variable that shares this value but takes no gradient, cutting the graph here. */
    public Var detach() {
        return constant(value);
    }

    /** Runs the backward pass from this scalar loss through the current thread's tape. */
    public void backward() {
        Tape.current().backward(this);
    }

    @Override
    public String toString() {
        return (name == null ? "Var" : name) + value.shapeString() + (requiresGrad ? " requiresGrad" : "");
    }
}
