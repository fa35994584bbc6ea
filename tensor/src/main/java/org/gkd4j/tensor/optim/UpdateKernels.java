package org.gkd4j.tensor.optim;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;

/**
 * The fused per-element update rules of the optimizers, each a Vector API loop beside its scalar reference.
 *
 * <p>Both versions apply the same float operations in the same order, without fused multiply-add, so they agree
 * bit for bit; the vector loops finish their tail with the scalar reference.
 */
final class UpdateKernels {

    private static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    private UpdateKernels() {
    }

    /**
     * The per-step constants of AdamW: betas β1, β2 with {@code 1 − β}, ε, √(1 − β2^t), the step size
     * lr / (1 − β1^t) and the decay factor 1 − lr·wd (1 for parameters excluded from weight decay).
     */
    record AdamWFactors(float beta1, float oneMinusBeta1, float beta2, float oneMinusBeta2, float eps,
            float biasCorrection2Sqrt, float stepSize, float decayFactor) {
    }

    /**
     * Updates elements [from, to) of one parameter with AdamW; w, g, m, v: [N].
     * m ← β1·m + (1−β1)·g, v ← β2·v + (1−β2)·g²,
     * w ← w·(1 − lr·wd) − stepSize·m / (√v / √(1−β2^t) + ε).
     */
    static void adamw(float[] w, int wOffset, float[] g, int gOffset, float[] m, float[] v, int from, int to,
            AdamWFactors f) {
        int upper = from + SPECIES.loopBound(to - from);
        int i = from;
        for (; i < upper; i += SPECIES.length()) {
            FloatVector grad = FloatVector.fromArray(SPECIES, g, gOffset + i);
            FloatVector m1 = FloatVector.fromArray(SPECIES, m, i).mul(f.beta1())
                    .add(grad.mul(f.oneMinusBeta1()));
            FloatVector v1 = FloatVector.fromArray(SPECIES, v, i).mul(f.beta2())
                    .add(grad.mul(grad).mul(f.oneMinusBeta2()));
            FloatVector denom = v1.sqrt().div(f.biasCorrection2Sqrt()).add(f.eps());
            FloatVector w1 = FloatVector.fromArray(SPECIES, w, wOffset + i).mul(f.decayFactor())
                    .sub(m1.div(denom).mul(f.stepSize()));
            m1.intoArray(m, i);
            v1.intoArray(v, i);
            w1.intoArray(w, wOffset + i);
        }
        adamwReference(w, wOffset, g, gOffset, m, v, i, to, f);
    }

    /** Scalar reference of {@link #adamw} over elements [from, to). */
    static void adamwReference(float[] w, int wOffset, float[] g, int gOffset, float[] m, float[] v, int from, int to,
            AdamWFactors f) {
        for (int i = from; i < to; i++) {
            float grad = g[gOffset + i];
            float m1 = m[i] * f.beta1() + grad * f.oneMinusBeta1();
            float v1 = v[i] * f.beta2() + grad * grad * f.oneMinusBeta2();
            float denom = (float) Math.sqrt(v1) / f.biasCorrection2Sqrt() + f.eps();
            m[i] = m1;
            v[i] = v1;
            w[wOffset + i] = w[wOffset + i] * f.decayFactor() - m1 / denom * f.stepSize();
        }
    }

    /**
     * Updates elements [from, to) of one parameter with SGD; w, g, buf: [N]. d = g + wd·w; with momentum μ > 0, buf ← μ·buf + d and
     * d = buf, or d = d + μ·buf with Nesterov; then w ← w − lr·d. {@code buf} is unused when μ = 0.
     */
    static void sgd(float[] w, int wOffset, float[] g, int gOffset, float[] buf, int from, int to, float learningRate,
            float momentum, boolean nesterov, float weightDecay) {
        int upper = from + SPECIES.loopBound(to - from);
        int i = from;
        for (; i < upper; i += SPECIES.length()) {
            FloatVector weight = FloatVector.fromArray(SPECIES, w, wOffset + i);
            FloatVector d = FloatVector.fromArray(SPECIES, g, gOffset + i).add(weight.mul(weightDecay));
            if (momentum != 0f) {
                FloatVector b = FloatVector.fromArray(SPECIES, buf, i).mul(momentum).add(d);
                b.intoArray(buf, i);
                d = nesterov ? d.add(b.mul(momentum)) : b;
            }
            weight.sub(d.mul(learningRate)).intoArray(w, wOffset + i);
        }
        sgdReference(w, wOffset, g, gOffset, buf, i, to, learningRate, momentum, nesterov, weightDecay);
    }

    /** Scalar reference of {@link #sgd} over elements [from, to). */
    static void sgdReference(float[] w, int wOffset, float[] g, int gOffset, float[] buf, int from, int to,
            float learningRate, float momentum, boolean nesterov, float weightDecay) {
        for (int i = from; i < to; i++) {
            float weight = w[wOffset + i];
            float d = g[gOffset + i] + weight * weightDecay;
            if (momentum != 0f) {
                float b = buf[i] * momentum + d;
                buf[i] = b;
                d = nesterov ? d + b * momentum : b;
            }
            w[wOffset + i] = weight - d * learningRate;
        }
    }
}
