package org.gkd4j.tensor.kernels;

import org.gkd4j.tensor.Tensor;

/**
 * The default backend: kernels on the JDK Vector API, split across {@link Parallel} when the work is large.
 * Each kernel lives in a small class by concept; {@link ScalarBackend} defines what each computes.
 */
public class VectorBackend extends ScalarBackend {

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor c, boolean transA, boolean transB, boolean accumulate) {
        VectorMatmul.matmul(a, b, c, transA, transB, accumulate);
    }

    // ---------------------------------------------------------------- element-wise

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        VectorElementwise.add(a, b, out);
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        VectorElementwise.mul(a, b, out);
    }

    @Override
    public void scale(Tensor a, float s, Tensor out) {
        VectorElementwise.scale(a, s, out);
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        VectorElementwise.axpy(alpha, x, y);
    }

    @Override
    public void sumLastAxis(Tensor x, Tensor out) {
        VectorElementwise.sumLastAxis(x, out);
    }

    @Override
    public void maxLastAxis(Tensor x, Tensor out) {
        VectorElementwise.maxLastAxis(x, out);
    }

    // ---------------------------------------------------------------- softmax

    @Override
    public void softmax(Tensor x, Tensor y) {
        VectorSoftmax.softmax(x, y);
    }

    @Override
    public void logSoftmax(Tensor x, Tensor y) {
        VectorSoftmax.logSoftmax(x, y);
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        VectorSoftmax.softmaxBackward(y, dy, dx);
    }

    @Override
    public void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        VectorSoftmax.logSoftmaxBackward(y, dy, dx);
    }

    // ---------------------------------------------------------------- normalization

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor y, Tensor invRms) {
        VectorNorms.rmsNorm(x, weight, eps, y, invRms);
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor dy, Tensor dx, Tensor dweight) {
        VectorNorms.rmsNormBackward(x, weight, invRms, dy, dx, dweight);
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y, Tensor mean, Tensor invStd) {
        VectorNorms.layerNorm(x, weight, bias, eps, y, mean, invStd);
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor dy,
                                  Tensor dx, Tensor dweight, Tensor dbias) {
        VectorNorms.layerNormBackward(x, weight, mean, invStd, dy, dx, dweight, dbias);
    }

    // ---------------------------------------------------------------- activations

    @Override
    public void silu(Tensor x, Tensor y) {
        VectorActivations.silu(x, y);
    }

    @Override
    public void siluBackward(Tensor x, Tensor dy, Tensor dx) {
        VectorActivations.siluBackward(x, dy, dx);
    }

    @Override
    public void gelu(Tensor x, Tensor y) {
        VectorActivations.gelu(x, y);
    }

    @Override
    public void geluBackward(Tensor x, Tensor dy, Tensor dx) {
        VectorActivations.geluBackward(x, dy, dx);
    }

    @Override
    public void swiglu(Tensor gate, Tensor up, Tensor y) {
        VectorActivations.swiglu(gate, up, y);
    }

    @Override
    public void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dgate, Tensor dup) {
        VectorActivations.swigluBackward(gate, up, dy, dgate, dup);
    }

    // ---------------------------------------------------------------- rotary position embedding and attention

    @Override
    public void rope(Tensor x, int[] positions, float theta, boolean inverse) {
        VectorRope.rope(x, positions, theta, inverse);
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp) {
        VectorAttention.attention(q, k, v, keyMask, out, logsumexp);
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp,
                                  Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        VectorAttention.attentionBackward(q, k, v, keyMask, out, logsumexp, dout, dq, dk, dv);
    }

    // ---------------------------------------------------------------- embedding and loss

    @Override
    public void embedding(Tensor table, int[] ids, Tensor out) {
        VectorElementwise.embedding(table, ids, out);
    }

    @Override
    public void embeddingBackward(Tensor dout, int[] ids, Tensor dtable) {
        VectorElementwise.embeddingBackward(dout, ids, dtable);
    }

    @Override
    public void crossEntropy(Tensor logits, int[] targets, int ignoreIndex, Tensor losses) {
        VectorSoftmax.crossEntropy(logits, targets, ignoreIndex, losses);
    }

    @Override
    public void crossEntropyBackward(Tensor logits, int[] targets, int ignoreIndex, float scale, Tensor dlogits) {
        VectorSoftmax.crossEntropyBackward(logits, targets, ignoreIndex, scale, dlogits);
    }
}
