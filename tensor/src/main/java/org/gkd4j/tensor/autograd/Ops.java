package org.gkd4j.tensor.autograd;

import org.gkd4j.tensor.Tensor;

/**
 * Differentiable ops: each computes its value with {@link org.gkd4j.tensor.kernels.Kernels} and, when the tape
 * records and an input requires a gradient, records its backward step. Shape letters as in
 * {@link org.gkd4j.tensor.kernels.Backend}.
 */
public final class Ops {

    private Ops() {
    }

    /** a·b. a: [M, K], b: [K, N] → [M, N]. */
    public static Var matmul(Var a, Var b) {
        throw new UnsupportedOperationException("matmul: not implemented yet");
    }

    /** x·Wᵀ, a linear layer without bias. x: [N, C] (or [B, T, C]), weight: [O, C] → [N, O] (or [B, T, O]). */
    public static Var linear(Var x, Var weight) {
        throw new UnsupportedOperationException("linear: not implemented yet");
    }

    /** a + b, same shapes. */
    public static Var add(Var a, Var b) {
        throw new UnsupportedOperationException("add: not implemented yet");
    }

    /** a ⊙ b, same shapes. */
    public static Var mul(Var a, Var b) {
        throw new UnsupportedOperationException("mul: not implemented yet");
    }

    /** s·a. */
    public static Var scale(Var a, float s) {
        throw new UnsupportedOperationException("scale: not implemented yet");
    }

    /** Σ a over every element → [1]. */
    public static Var sum(Var a) {
        throw new UnsupportedOperationException("sum: not implemented yet");
    }

    /** A view of x with another shape of the same size; the gradient flows back through the view. */
    public static Var reshape(Var x, int... shape) {
        throw new UnsupportedOperationException("reshape: not implemented yet");
    }

    /** table[ids]. table: [V, C], ids: [N] → [N, C]. */
    public static Var embedding(Var table, int[] ids) {
        throw new UnsupportedOperationException("embedding: not implemented yet");
    }

    /** RMSNorm along the last axis, one fused node. x: [N, C], weight: [C]. */
    public static Var rmsNorm(Var x, Var weight, float eps) {
        throw new UnsupportedOperationException("rmsNorm: not implemented yet");
    }

    /** LayerNorm along the last axis. x: [N, C], weight, bias: [C]. */
    public static Var layerNorm(Var x, Var weight, Var bias, float eps) {
        throw new UnsupportedOperationException("layerNorm: not implemented yet");
    }

    public static Var silu(Var x) {
        throw new UnsupportedOperationException("silu: not implemented yet");
    }

    /** GELU, tanh form. */
    public static Var gelu(Var x) {
        throw new UnsupportedOperationException("gelu: not implemented yet");
    }

    /** silu(gate) ⊙ up, one fused node. */
    public static Var swiglu(Var gate, Var up) {
        throw new UnsupportedOperationException("swiglu: not implemented yet");
    }

    /** RoPE on interleaved pairs. x: [N, H, D] (N = B·T), positions: [N]. */
    public static Var rope(Var x, int[] positions, float theta) {
        throw new UnsupportedOperationException("rope: not implemented yet");
    }

    /**
     * Causal grouped-query attention, one fused node. q: [B, T, H, D], k, v: [B, T, G, D] → [B, T, H, D].
     * keyMask: [B·T], true for real tokens, or null when nothing is padded.
     */
    public static Var attention(Var q, Var k, Var v, boolean[] keyMask) {
        throw new UnsupportedOperationException("attention: not implemented yet");
    }

    /** softmax along the last axis, one fused node. */
    public static Var softmax(Var x) {
        throw new UnsupportedOperationException("softmax: not implemented yet");
    }

    /** log-softmax along the last axis. */
    public static Var logSoftmax(Var x) {
        throw new UnsupportedOperationException("logSoftmax: not implemented yet");
    }

    /**
     * Mean cross-entropy over the rows whose target is not {@code ignoreIndex}, one fused node → [1].
     * logits: [N, V], targets: [N]. With every row ignored the loss is 0.
     */
    public static Var crossEntropy(Var logits, int[] targets, int ignoreIndex) {
        throw new UnsupportedOperationException("crossEntropy: not implemented yet");
    }

    /** Returns a fresh output tensor for an op (from the step's reusable buffers once they exist). */
    static Tensor output(int... shape) {
        return Tensor.zeros(shape);
    }
}
