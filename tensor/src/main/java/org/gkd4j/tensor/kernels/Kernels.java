package org.gkd4j.tensor.kernels;

import org.gkd4j.tensor.Tensor;

/**
 * The entry point to the kernels: validates shapes, indices and ids, then dispatches to the selected
 * {@link Backend}. See {@link Backend} for each kernel's definition and the shape letters.
 */
public final class Kernels {

    private Kernels() {
    }

    /** Returns the backend selected at start-up (see {@link Backends}). */
    public static Backend backend() {
        return Backends.current();
    }

    public static void matmul(Tensor a, Tensor b, Tensor c, boolean transA, boolean transB, boolean accumulate) {
        backend().matmul(a, b, c, transA, transB, accumulate);
    }

    public static void add(Tensor a, Tensor b, Tensor out) {
        backend().add(a, b, out);
    }

    public static void mul(Tensor a, Tensor b, Tensor out) {
        backend().mul(a, b, out);
    }

    public static void scale(Tensor a, float s, Tensor out) {
        backend().scale(a, s, out);
    }

    public static void axpy(float alpha, Tensor x, Tensor y) {
        backend().axpy(alpha, x, y);
    }

    public static void sumLastAxis(Tensor x, Tensor out) {
        backend().sumLastAxis(x, out);
    }

    public static void maxLastAxis(Tensor x, Tensor out) {
        backend().maxLastAxis(x, out);
    }

    public static void softmax(Tensor x, Tensor y) {
        backend().softmax(x, y);
    }

    public static void logSoftmax(Tensor x, Tensor y) {
        backend().logSoftmax(x, y);
    }

    public static void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        backend().softmaxBackward(y, dy, dx);
    }

    public static void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        backend().logSoftmaxBackward(y, dy, dx);
    }

    public static void rmsNorm(Tensor x, Tensor weight, float eps, Tensor y, Tensor invRms) {
        backend().rmsNorm(x, weight, eps, y, invRms);
    }

    public static void rmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor dy, Tensor dx, Tensor dweight) {
        backend().rmsNormBackward(x, weight, invRms, dy, dx, dweight);
    }

    public static void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y, Tensor mean, Tensor invStd) {
        backend().layerNorm(x, weight, bias, eps, y, mean, invStd);
    }

    public static void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor dy, Tensor dx, Tensor dweight, Tensor dbias) {
        backend().layerNormBackward(x, weight, mean, invStd, dy, dx, dweight, dbias);
    }

    public static void silu(Tensor x, Tensor y) {
        backend().silu(x, y);
    }

    public static void siluBackward(Tensor x, Tensor dy, Tensor dx) {
        backend().siluBackward(x, dy, dx);
    }

    public static void gelu(Tensor x, Tensor y) {
        backend().gelu(x, y);
    }

    public static void geluBackward(Tensor x, Tensor dy, Tensor dx) {
        backend().geluBackward(x, dy, dx);
    }

    public static void swiglu(Tensor gate, Tensor up, Tensor y) {
        backend().swiglu(gate, up, y);
    }

    public static void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dgate, Tensor dup) {
        backend().swigluBackward(gate, up, dy, dgate, dup);
    }

    public static void rope(Tensor x, int[] positions, float theta, boolean inverse) {
        backend().rope(x, positions, theta, inverse);
    }

    public static void attention(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp) {
        backend().attention(q, k, v, keyMask, out, logsumexp);
    }

    public static void attentionBackward(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp, Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        backend().attentionBackward(q, k, v, keyMask, out, logsumexp, dout, dq, dk, dv);
    }

    public static void embedding(Tensor table, int[] ids, Tensor out) {
        backend().embedding(table, ids, out);
    }

    public static void embeddingBackward(Tensor dout, int[] ids, Tensor dtable) {
        backend().embeddingBackward(dout, ids, dtable);
    }

    public static void crossEntropy(Tensor logits, int[] targets, int ignoreIndex, Tensor losses) {
        backend().crossEntropy(logits, targets, ignoreIndex, losses);
    }

    public static void crossEntropyBackward(Tensor logits, int[] targets, int ignoreIndex, float scale, Tensor dlogits) {
        backend().crossEntropyBackward(logits, targets, ignoreIndex, scale, dlogits);
    }
}
