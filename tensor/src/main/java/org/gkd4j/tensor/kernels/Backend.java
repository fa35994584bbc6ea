package org.gkd4j.tensor.kernels;

import org.gkd4j.tensor.Tensor;

/**
 * The kernels that every backend implements, op by op, on dense row-major tensors.
 *
 * <p>Shape letters used throughout: B batch, T time (sequence), C channels, H attention heads, G key/value heads
 * (grouped-query attention, H a multiple of G), D head size, V vocabulary, N rows (any flattened leading axes),
 * M/K/N for matrix multiply.
 *
 * <p>Callers go through {@link Kernels}, which validates every shape and index and names the op in its message;
 * implementations may assume valid input. "Along the last axis" means each row of the tensor seen as
 * [N, dim(-1)]. Outputs may not alias inputs unless a method's documentation allows it. Backward kernels whose
 * names end in {@code Backward} accumulate ({@code +=}) into parameter gradients and overwrite input gradients
 * unless stated.
 *
 * <p>The Vector API implementation is the default; {@link ScalarBackend} is the plain reference that defines
 * each kernel. An accelerator backend (TornadoVM) can extend the scalar one and replace kernels one at a time.
 */
public interface Backend {

    /** A short name for the start-up line, such as "vector" or "scalar". */
    String name();

    // ---------------------------------------------------------------- matrix multiply

    /**
     * c = op(a)·op(b), or c += op(a)·op(b) when {@code accumulate}.
     * a: [M, K] ([K, M] when transA); b: [K, N] ([N, K] when transB); c: [M, N].
     * Batched: a and c may carry one leading batch axis [Bt, ., .]; b is then [Bt, ., .] or a shared rank-2 matrix.
     * transA and transB are never both true (the three layouts training needs: A·B, A·Bᵀ, Aᵀ·B).
     */
    void matmul(Tensor a, Tensor b, Tensor c, boolean transA, boolean transB, boolean accumulate);

    // ---------------------------------------------------------------- element-wise

    /** out = a + b, all the same size; out may alias a or b. */
    void add(Tensor a, Tensor b, Tensor out);

    /** out = a ⊙ b, all the same size; out may alias a or b. */
    void mul(Tensor a, Tensor b, Tensor out);

    /** out = s·a; out may alias a. */
    void scale(Tensor a, float s, Tensor out);

    /** y += alpha·x. */
    void axpy(float alpha, Tensor x, Tensor y);

    /** out[n] = Σ_c x[n, c]. x: [N, C], out: [N]. */
    void sumLastAxis(Tensor x, Tensor out);

    /** out[n] = max_c x[n, c]. x: [N, C], out: [N]. */
    void maxLastAxis(Tensor x, Tensor out);

    // ---------------------------------------------------------------- softmax

    /** y = softmax(x) along the last axis, computed as exp(x - max) / Σ exp(x - max). x, y: [N, C]; y may alias x. */
    void softmax(Tensor x, Tensor y);

    /** y = x - max - log Σ exp(x - max) along the last axis. x, y: [N, C]; y may alias x. */
    void logSoftmax(Tensor x, Tensor y);

    /** dx = y ⊙ (dy - Σ_c dy ⊙ y) for y = softmax(x). All [N, C]. */
    void softmaxBackward(Tensor y, Tensor dy, Tensor dx);

    /** dx = dy - exp(y) · Σ_c dy for y = logSoftmax(x). All [N, C]. */
    void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx);

    // ---------------------------------------------------------------- normalization

    /**
     * RMSNorm: y = x / sqrt(mean(x²) + eps) ⊙ weight. x, y: [N, C]; weight: [C]; invRms: [N] receives
     * 1 / sqrt(mean(x²) + eps) for the backward pass.
     */
    void rmsNorm(Tensor x, Tensor weight, float eps, Tensor y, Tensor invRms);

    /** Backward of {@link #rmsNorm}: writes dx [N, C], accumulates dweight [C]. */
    void rmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor dy, Tensor dx, Tensor dweight);

    /**
     * LayerNorm: y = (x - mean) / sqrt(var + eps) ⊙ weight + bias. x, y: [N, C]; weight, bias: [C];
     * mean, invStd: [N] are saved for the backward pass.
     */
    void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y, Tensor mean, Tensor invStd);

    /** Backward of {@link #layerNorm}: writes dx [N, C], accumulates dweight and dbias [C]. */
    void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor dy,
                           Tensor dx, Tensor dweight, Tensor dbias);

    // ---------------------------------------------------------------- activations

    /** y = x·σ(x). */
    void silu(Tensor x, Tensor y);

    /** dx = dy · σ(x)·(1 + x·(1 - σ(x))). */
    void siluBackward(Tensor x, Tensor dy, Tensor dx);

    /** y = 0.5·x·(1 + tanh(√(2/π)·(x + 0.044715·x³))), the tanh form of GELU. */
    void gelu(Tensor x, Tensor y);

    /** Backward of {@link #gelu}: dx = dy · d gelu(x)/dx. */
    void geluBackward(Tensor x, Tensor dy, Tensor dx);

    /** SwiGLU: y = silu(gate) ⊙ up. gate, up, y: same size. */
    void swiglu(Tensor gate, Tensor up, Tensor y);

    /** Backward of {@link #swiglu}: writes dgate and dup. */
    void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dgate, Tensor dup);

    // ---------------------------------------------------------------- rotary position embedding

    /**
     * RoPE in place on x: [N, H, D] (N = B·T rows, D even), rotating each interleaved pair (x[2i], x[2i+1]) of
     * every head by the angle positions[n] · theta^(-2i/D). positions: [N], each ≥ 0. With {@code inverse} the
     * rotation is by the negative angle, which is the backward pass.
     */
    void rope(Tensor x, int[] positions, float theta, boolean inverse);

    // ---------------------------------------------------------------- attention

    /**
     * Causal scaled-dot-product attention with grouped-query heads.
     * q: [B, T, H, D]; k, v: [B, T, G, D]; out: [B, T, H, D]; logsumexp: [B, H, T] saved for the backward pass.
     * Query head h reads key/value head h / (H / G). Query t attends to keys s ≤ t with keyMask[b·T + s] true
     * (keyMask null: all keys valid). scores = q·kᵀ / √D. A query with no valid key outputs zeros and gets
     * logsumexp -∞, so the backward pass skips it.
     */
    void attention(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp);

    /**
     * Backward of {@link #attention}: overwrites dq [B, T, H, D], dk and dv [B, T, G, D] from dout [B, T, H, D],
     * recomputing the probabilities from logsumexp instead of storing them.
     */
    void attentionBackward(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp,
                           Tensor dout, Tensor dq, Tensor dk, Tensor dv);

    // ---------------------------------------------------------------- embedding and loss

    /** out[n, :] = table[ids[n], :]. table: [V, C]; ids: [N]; out: [N, C]. */
    void embedding(Tensor table, int[] ids, Tensor out);

    /** dtable[ids[n], :] += dout[n, :] (scatter-add). dout: [N, C]; dtable: [V, C]. */
    void embeddingBackward(Tensor dout, int[] ids, Tensor dtable);

    /**
     * Cross-entropy per row: losses[n] = logsumexp(logits[n]) - logits[n, targets[n]], or 0 where
     * targets[n] == ignoreIndex. logits: [N, V]; targets: [N], each in [0, V) or ignoreIndex; losses: [N].
     */
    void crossEntropy(Tensor logits, int[] targets, int ignoreIndex, Tensor losses);

    /**
     * Backward of {@link #crossEntropy} for a loss Σ_n scale·losses[n]:
     * dlogits[n] = scale·(softmax(logits[n]) - onehot(targets[n])), and 0 for ignored rows. All [N, V].
     */
    void crossEntropyBackward(Tensor logits, int[] targets, int ignoreIndex, float scale, Tensor dlogits);
}
