package org.gkd4j.tensor.autograd;

import org.gkd4j.tensor.Tensor;

/**
 * A tensor in the autograd graph: its value, its gradient (allocated on first use) and whether gradients flow
 * into it. Parameters are leaf variables with {@code requiresGrad}; op outputs record how to reach their inputs
 * on the {@link Tape}.
 *
 * <p>Gradients of leaf variables are plain heap tensors that persist across steps (an optimizer reads them and
 * {@link #zeroGrad} clears them). Gradients of op results come from the active {@link Workspace} when there is
 * one, so they are valid only within the step.
 */
public final class Var {

    private final Tensor value;
    private final boolean requiresGrad;
    private final boolean leaf;
    private final String name;
    private Tensor grad;

    private Var(Tensor value, boolean requiresGrad, boolean leaf, String name) {
        if (value == null) {
            throw new IllegalArgumentException("Var: value is null");
        }
        this.value = value;
        this.requiresGrad = requiresGrad;
        this.leaf = leaf;
        this.name = name;
    }

    /** Creates a trainable leaf: gradients accumulate into it on every backward pass. */
    public static Var parameter(String name, Tensor value) {
        return new Var(value, true, true, name);
    }

    /** Creates a leaf that takes no gradient (inputs, targets, frozen weights). */
    public static Var constant(Tensor value) {
        return new Var(value, false, true, null);
    }

    /**
     * Creates the output of an op. Pass {@code Tape.needsGrad(inputs...)} as {@code requiresGrad}, and when it is
     * true record the backward step with {@link Tape#record}; see {@link Tape} for a custom fused op.
     */
    public static Var result(Tensor value, boolean requiresGrad) {
        return new Var(value, requiresGrad, false, null);
    }

    public Tensor value() {
        return value;
    }

    public boolean requiresGrad() {
        return requiresGrad;
    }

    /** Returns true for parameters and constants, false for op results. */
    public boolean isLeaf() {
        return leaf;
    }

    /** Returns the parameter name, or null for an intermediate value. */
    public String name() {
        return name;
    }

    /** Returns the gradient, or null when no backward pass has reached this variable. */
    public Tensor grad() {
        return grad;
    }

    /**
     * Returns the gradient, allocating a zero tensor of the value's shape on first use: on the heap for a leaf,
     * from the active {@link Workspace} for an op result.
     */
    public Tensor gradOrZeros() {
        if (grad == null) {
            grad = leaf ? Tensor.zeros(value.shape()) : Workspace.zeros(value.shape());
        }
        return grad;
    }

    /**
     * Returns the gradient for a backward step that overwrites every element: allocated without zeroing (from the
     * active {@link Workspace} for an op result) while it does not exist yet, since writing then equals
     * accumulating into zeros. Callers must check {@code grad() == null} first and write the whole tensor.
     */
    Tensor gradForOverwrite() {
        if (grad == null) {
            grad = leaf ? Tensor.zeros(value.shape()) : Workspace.uninitialized(value.shape());
        }
        return grad;
    }

    /**
     * Makes {@code gradient} this op result's gradient without copying it, and returns true, when this variable
     * has no gradient yet and is not a leaf (leaf gradients persist across steps). The caller must own
     * {@code gradient}: later backward steps add into it, so nothing else may read or write it afterwards.
     */
    boolean adoptGrad(Tensor gradient) {
        if (grad != null || leaf) {
            return false;
        }
        grad = gradient;
        return true;
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

    /** Runs the backward pass from this scalar loss through the current thread's tape (d loss/d loss = 1). */
    public void backward() {
        if (value.size() != 1) {
            throw new IllegalArgumentException("backward: the loss must be a scalar but has shape "
                    + value.shapeString() + "; reduce it with Ops.sum or pass the output gradient to backward(Tensor)");
        }
        Tape.current().backward(this, null);
    }

    /**
     * Runs the backward pass from this variable with the given output gradient (a vector-Jacobian product):
     * every input's gradient receives seed·∂this/∂input. seed must have the value's number of elements.
     */
    public void backward(Tensor seed) {
        if (seed == null || seed.size() != value.size()) {
            throw new IllegalArgumentException("backward: seed " + (seed == null ? "null" : seed.shapeString())
                    + " must have as many elements as the value " + value.shapeString());
        }
        Tape.current().backward(this, seed);
    }

    @Override
    public String toString() {
        return (name == null ? "Var" : name) + value.shapeString() + (requiresGrad ? " requiresGrad" : "");
    }
}
