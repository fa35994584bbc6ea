package org.gkd4j.tensor.autograd;

import java.util.Arrays;

import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Kernels;

/**
 * Differentiable ops: each computes its value with {@link org.gkd4j.tensor.kernels.Kernels} and, when the tape
 * records and an input requires a gradient, records its backward step, which accumulates into the gradients of
 * its inputs. Shape letters as in {@link org.gkd4j.tensor.kernels.Backend}.
 *
 * <p>Outputs and saved values come from the active {@link Workspace} when there is one (see its contract).
 * The ops live in small classes by concept; this class is the one entry point.
 */
public final class Ops {

    private Ops() {
    }

    // ---------------------------------------------------------------- linear algebra and lookup

    /** a·b. a: [M, K], b: [K, N] → [M, N]. */
    public static Var matmul(Var a, Var b) {
        return LinearOps.matmul(a, b);
    }

    /** x·Wᵀ, a linear layer without bias. x: [N, C] (or [B, T, C]), weight: [O, C] → [N, O] (or [B, T, O]). */
    public static Var linear(Var x, Var weight) {
        return LinearOps.linear(x, weight);
    }

    /** table[ids]. table: [V, C], ids: [N] → [N, C]. */
    public static Var embedding(Var table, int[] ids) {
        return LinearOps.embedding(table, ids);
    }

    /** x[rows]. x: [N, C], rows: [R] → [R, C]; rows of x that are not gathered get zero gradient. */
    public static Var gatherRows(Var x, int[] rows) {
        return LinearOps.gatherRows(x, rows);
    }

    // ---------------------------------------------------------------- element-wise

    /** a + b, same shapes. */
    public static Var add(Var a, Var b) {
        return ElementwiseOps.add(a, b);
    }

    /** a ⊙ b, same shapes. */
    public static Var mul(Var a, Var b) {
        return ElementwiseOps.mul(a, b);
    }

    /** s·a. */
    public static Var scale(Var a, float s) {
        return ElementwiseOps.scale(a, s);
    }

    /** Σ a over every element → [1]. */
    public static Var sum(Var a) {
        return ElementwiseOps.sum(a);
    }

    /** Returns a view of x with another shape of the same size (one dimension may be -1); the gradient flows back. */
    public static Var reshape(Var x, int... shape) {
        return ElementwiseOps.reshape(x, shape);
    }

    // ---------------------------------------------------------------- normalization and activations

    /** RMSNorm along the last axis, one fused node. x: [N, C] (any leading axes), weight: [C]. */
    public static Var rmsNorm(Var x, Var weight, float eps) {
        return NormOps.rmsNorm(x, weight, eps);
    }

    /** LayerNorm along the last axis. x: [N, C] (any leading axes), weight, bias: [C]. */
    public static Var layerNorm(Var x, Var weight, Var bias, float eps) {
        return NormOps.layerNorm(x, weight, bias, eps);
    }

    /** x·σ(x), element-wise. */
    public static Var silu(Var x) {
        return ActivationOps.silu(x);
    }

    /** GELU, tanh form, element-wise. */
    public static Var gelu(Var x) {
        return ActivationOps.gelu(x);
    }

    /** silu(gate) ⊙ up, one fused node. */
    public static Var swiglu(Var gate, Var up) {
        return ActivationOps.swiglu(gate, up);
    }

    // ---------------------------------------------------------------- attention

    /** RoPE on interleaved pairs. x: [N, H, D] (N = B·T) or [B, T, H, D], positions: [N]. */
    public static Var rope(Var x, int[] positions, float theta) {
        return AttentionOps.rope(x, positions, theta);
    }

    /**
     * Causal grouped-query attention, one fused node. q: [B, T, H, D], k, v: [B, T, G, D] → [B, T, H, D].
     * keyMask: [B·T], true for real tokens, or null when nothing is padded.
     */
    public static Var attention(Var q, Var k, Var v, boolean[] keyMask) {
        return AttentionOps.attention(q, k, v, keyMask);
    }

    // ---------------------------------------------------------------- softmax and loss

    /** softmax along the last axis, one fused node. */
    public static Var softmax(Var x) {
        return SoftmaxOps.softmax(x);
    }

    /** log-softmax along the last axis. */
    public static Var logSoftmax(Var x) {
        return SoftmaxOps.logSoftmax(x);
    }

    /**
     * Mean cross-entropy over the rows whose target is not {@code ignoreIndex}, one fused node → [1].
     * logits: [N, V] (any leading axes), targets: [N]. With every row ignored the loss is 0.
     */
    public static Var crossEntropy(Var logits, int[] targets, int ignoreIndex) {
        return SoftmaxOps.crossEntropy(logits, targets, ignoreIndex);
    }

    // ---------------------------------------------------------------- helpers for the op classes

    /** Returns a zero output tensor for an op: from the active {@link Workspace}, else a new heap tensor. */
    static Tensor output(int... shape) {
        return Workspace.zeros(shape);
    }

    /**
     * Returns where a backward kernel that overwrites should write the gradient of {@code input}: the gradient
     * itself while it is still unallocated (writing equals accumulating into zeros), otherwise a temporary that
     * {@link #finishGrad} adds in. Inputs that take no gradient get a scratch tensor.
     */
    static Tensor gradTarget(Var input) {
        if (input.requiresGrad() && input.grad() == null) {
            return input.gradOrZeros();
        }
        return output(input.value().shape());
    }

    /**
     * Like {@link #gradTarget}, for a backward kernel that overwrites every element: neither the fresh gradient
     * nor the temporary needs zeroing.
     */
    static Tensor overwrittenGradTarget(Var input) {
        if (input.requiresGrad() && input.grad() == null) {
            return input.gradForOverwrite();
        }
        return Workspace.uninitialized(input.value().shape());
    }

    /** Returns an output tensor with undefined contents, for an op whose kernel writes every element. */
    static Tensor overwrittenOutput(int... shape) {
        return Workspace.uninitialized(shape);
    }

    /** Adds the temporary from {@link #gradTarget} into the gradient of {@code input} when one was used. */
    static void finishGrad(Var input, Tensor target) {
        if (input.requiresGrad() && target != input.grad()) {
            Kernels.axpy(1f, target, input.grad());
        }
    }

    /** Returns the gradient of {@code input} to accumulate into, or a scratch tensor when it takes none. */
    static Tensor accumulator(Var input) {
        return input.requiresGrad() ? input.gradOrZeros() : output(input.value().shape());
    }

    static void requireNonNull(String op, String name, Var value) {
        if (value == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null");
        }
    }

    static void requireSameShape(String op, Var a, Var b) {
        requireNonNull(op, "a", a);
        requireNonNull(op, "b", b);
        if (!a.value().sameShape(b.value())) {
            throw new IllegalArgumentException(op + ": shapes " + a.value().shapeString() + " and "
                    + b.value().shapeString() + " differ; both inputs must have the same shape");
        }
    }

    static void requireRank(String op, String name, Var x, int rank, String letters) {
        requireNonNull(op, name, x);
        if (x.value().rank() != rank) {
            throw new IllegalArgumentException(op + ": " + name + " " + x.value().shapeString() + " has rank "
                    + x.value().rank() + " but must be " + letters);
        }
    }

    /** Returns the shape with its last dimension replaced. */
    static int[] withLastDim(int[] shape, int last) {
        int[] result = Arrays.copyOf(shape, shape.length);
        result[result.length - 1] = last;
        return result;
    }
}
