package org.gkd4j.tensor.kernels;

import org.gkd4j.tensor.Tensor;

/** The scalar reference backend: plain loops in float (double where a sum needs it) that define each kernel. */
public class ScalarBackend implements Backend {

    @Override
    public String name() {
        return "scalar";
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor c, boolean transA, boolean transB, boolean accumulate) {
        MatmulReference.matmul(a, b, c, transA, transB, accumulate);
    }

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        throw new UnsupportedOperationException("add: not implemented yet");
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        throw new UnsupportedOperationException("mul: not implemented yet");
    }

    @Override
    public void scale(Tensor a, float s, Tensor out) {
        throw new UnsupportedOperationException("scale: not implemented yet");
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        throw new UnsupportedOperationException("axpy: not implemented yet");
    }

    @Override
    public void sumLastAxis(Tensor x, Tensor out) {
        throw new UnsupportedOperationException("sumLastAxis: not implemented yet");
    }

    @Override
    public void maxLastAxis(Tensor x, Tensor out) {
        throw new UnsupportedOperationException("maxLastAxis: not implemented yet");
    }

    @Override
    public void softmax(Tensor x, Tensor y) {
        throw new UnsupportedOperationException("softmax: not implemented yet");
    }

    @Override
    public void logSoftmax(Tensor x, Tensor y) {
        throw new UnsupportedOperationException("logSoftmax: not implemented yet");
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        throw new UnsupportedOperationException("softmaxBackward: not implemented yet");
    }

    @Override
    public void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        throw new UnsupportedOperationException("logSoftmaxBackward: not implemented yet");
    }

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor y, Tensor invRms) {
        throw new UnsupportedOperationException("rmsNorm: not implemented yet");
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor dy, Tensor dx, Tensor dweight) {
        throw new UnsupportedOperationException("rmsNormBackward: not implemented yet");
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y, Tensor mean, Tensor invStd) {
        throw new UnsupportedOperationException("layerNorm: not implemented yet");
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor dy, Tensor dx, Tensor dweight, Tensor dbias) {
        throw new UnsupportedOperationException("layerNormBackward: not implemented yet");
    }

    @Override
    public void silu(Tensor x, Tensor y) {
        throw new UnsupportedOperationException("silu: not implemented yet");
    }

    @Override
    public void siluBackward(Tensor x, Tensor dy, Tensor dx) {
        throw new UnsupportedOperationException("siluBackward: not implemented yet");
    }

    @Override
    public void gelu(Tensor x, Tensor y) {
        throw new UnsupportedOperationException("gelu: not implemented yet");
    }

    @Override
    public void geluBackward(Tensor x, Tensor dy, Tensor dx) {
        throw new UnsupportedOperationException("geluBackward: not implemented yet");
    }

    @Override
    public void swiglu(Tensor gate, Tensor up, Tensor y) {
        throw new UnsupportedOperationException("swiglu: not implemented yet");
    }

    @Override
    public void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dgate, Tensor dup) {
        throw new UnsupportedOperationException("swigluBackward: not implemented yet");
    }

    @Override
    public void rope(Tensor x, int[] positions, float theta, boolean inverse) {
        throw new UnsupportedOperationException("rope: not implemented yet");
    }

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp) {
        throw new UnsupportedOperationException("attention: not implemented yet");
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp, Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        throw new UnsupportedOperationException("attentionBackward: not implemented yet");
    }

    @Override
    public void embedding(Tensor table, int[] ids, Tensor out) {
        throw new UnsupportedOperationException("embedding: not implemented yet");
    }

    @Override
    public void embeddingBackward(Tensor dout, int[] ids, Tensor dtable) {
        throw new UnsupportedOperationException("embeddingBackward: not implemented yet");
    }

    @Override
    public void crossEntropy(Tensor logits, int[] targets, int ignoreIndex, Tensor losses) {
        throw new UnsupportedOperationException("crossEntropy: not implemented yet");
    }

    @Override
    public void crossEntropyBackward(Tensor logits, int[] targets, int ignoreIndex, float scale, Tensor dlogits) {
        throw new UnsupportedOperationException("crossEntropyBackward: not implemented yet");
    }
}
