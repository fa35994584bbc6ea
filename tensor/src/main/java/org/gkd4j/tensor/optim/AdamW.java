package org.gkd4j.tensor.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Var;

/**
 * Adam with decoupled weight decay (Loshchilov and Hutter, "Decoupled Weight Decay Regularization", ICLR 2019),
 * updating as PyTorch's {@code torch.optim.AdamW} does at step t (counting from 1):
 * <pre>
 *   m ← β1·m + (1−β1)·g          v ← β2·v + (1−β2)·g²
 *   m̂ = m / (1−β1^t)             v̂ = v / (1−β2^t)
 *   w ← w − lr·(m̂ / (√v̂ + ε) + wd·w)
 * </pre>
 * The weight-decay term uses the weight before this step's update, and applies only to the parameters the decay
 * filter accepts (by default {@link Optimizer#DECAY_RANK_2_AND_UP}: matrices, not norm gains or biases).
 *
 * <p>State entries: {@code adamw.m.<name>}, {@code adamw.v.<name>}, the step count, the learning rate and the
 * hyper-parameters beta1, beta2, eps and weightDecay (see {@link AbstractOptimizer} for the layout).
 *
 * <p>NOTE: the step count is shared by all parameters, whereas PyTorch counts steps per parameter. The two differ
 * only for a parameter that had no gradient on some steps, whose bias correction here uses the global count.
 */
public final class AdamW extends AbstractOptimizer {

    // kept in double so that 1 − β and the bias corrections come out as PyTorch computes them from Python floats
    private final double beta1;
    private final double beta2;
    private final double eps;
    private final double weightDecay;
    private final Tensor[] m;
    private final Tensor[] v;
    private UpdateKernels.AdamWFactors decayed;
    private UpdateKernels.AdamWFactors undecayed;

    private AdamW(Builder b) {
        super("AdamW", "adamw", b.params, b.learningRate, b.decayFilter);
        checkBeta("beta1", b.beta1);
        checkBeta("beta2", b.beta2);
        if (!(b.eps > 0) || Double.isInfinite(b.eps)) {
            throw new IllegalArgumentException("AdamW: eps " + b.eps + " is invalid; expected a finite value > 0,"
                    + " typically 1e-8");
        }
        if (!(b.weightDecay >= 0) || Double.isInfinite(b.weightDecay)) {
            throw new IllegalArgumentException("AdamW: weightDecay " + b.weightDecay + " is invalid; expected a"
                    + " finite value >= 0");
        }
        this.beta1 = b.beta1;
        this.beta2 = b.beta2;
        this.eps = b.eps;
        this.weightDecay = b.weightDecay;

        // moments start at zero, one pair per parameter
        List<Var> params = parameters();
        this.m = new Tensor[params.size()];
        this.v = new Tensor[params.size()];
        for (int i = 0; i < m.length; i++) {
            m[i] = Tensor.zeros(params.get(i).value().shape());
            v[i] = Tensor.zeros(params.get(i).value().shape());
        }
    }

    private static void checkBeta(String name, double beta) {
        if (!(beta >= 0 && beta < 1)) {
            throw new IllegalArgumentException("AdamW: " + name + " " + beta + " is invalid; expected a value in"
                    + " [0, 1), typically 0.9 for beta1 and 0.95 to 0.999 for beta2");
        }
    }

    /** Starts a builder with PyTorch's defaults: lr 1e-3, betas (0.9, 0.999), eps 1e-8, weight decay 0.01. */
    public static Builder builder(List<Var> params) {
        return new Builder(params);
    }

    @Override
    void beginStep(long step, float learningRate) {
        // bias corrections in double, as PyTorch computes them on Python floats
        double biasCorrection1 = 1.0 - Math.pow(beta1, step);
        double biasCorrection2 = 1.0 - Math.pow(beta2, step);
        float stepSize = (float) (learningRate / biasCorrection1);
        float biasCorrection2Sqrt = (float) Math.sqrt(biasCorrection2);
        float decayFactor = (float) (1.0 - learningRate * weightDecay);
        decayed = new UpdateKernels.AdamWFactors((float) beta1, (float) (1.0 - beta1), (float) beta2,
                (float) (1.0 - beta2), (float) eps, biasCorrection2Sqrt, stepSize, decayFactor);
        undecayed = new UpdateKernels.AdamWFactors((float) beta1, (float) (1.0 - beta1), (float) beta2,
                (float) (1.0 - beta2), (float) eps, biasCorrection2Sqrt, stepSize, 1f);
    }

    @Override
    void update(int index, Tensor weight, Tensor grad, boolean decay, int from, int to) {
        UpdateKernels.adamw(weight.data(), weight.offset(), grad.data(), grad.offset(), m[index].data(),
                v[index].data(), from, to, decay ? decayed : undecayed);
    }

    @Override
    Map<String, Float> hyperParameters() {
        Map<String, Float> hyper = new LinkedHashMap<>();
        hyper.put("beta1", (float) beta1);
        hyper.put("beta2", (float) beta2);
        hyper.put("eps", (float) eps);
        hyper.put("weightDecay", (float) weightDecay);
        return hyper;
    }

    @Override
    Map<String, Tensor[]> buffers() {
        Map<String, Tensor[]> buffers = new LinkedHashMap<>();
        buffers.put("m", m);
        buffers.put("v", v);
        return buffers;
    }

    @Override
    public String toString() {
        return "AdamW(lr=" + learningRate() + ", betas=(" + beta1 + ", " + beta2 + "), eps=" + eps
                + ", weightDecay=" + weightDecay + ", parameters=" + parameters().size() + ")";
    }

    /** Settings of an {@link AdamW}, checked when {@link #build()} runs. */
    public static final class Builder {

        private final List<Var> params;
        private float learningRate = 1e-3f;
        private double beta1 = 0.9;
        private double beta2 = 0.999;
        private double eps = 1e-8;
        private double weightDecay = 0.01;
        private Predicate<Var> decayFilter = DECAY_RANK_2_AND_UP;

        private Builder(List<Var> params) {
            this.params = params;
        }

        public Builder learningRate(float learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /**
         * Sets β1 and β2, the decay rates of the first and second moment averages. Pass double literals (0.999,
         * not 0.999f) to get PyTorch's factors: 1 − 0.999f is 1.3e-5 off 0.001 in relative terms.
         */
        public Builder betas(double beta1, double beta2) {
            this.beta1 = beta1;
            this.beta2 = beta2;
            return this;
        }

        /** Sets ε, added to √v̂ in the denominator. */
        public Builder eps(double eps) {
            this.eps = eps;
            return this;
        }

        /** Sets the decoupled weight decay wd. Each step shrinks decayed weights by the factor 1 − lr·wd. */
        public Builder weightDecay(double weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /** Sets which parameters take weight decay, for example {@code p -> !p.name().endsWith(".bias")}. */
        public Builder decayFilter(Predicate<Var> decayFilter) {
            this.decayFilter = Objects.requireNonNull(decayFilter, "decayFilter");
            return this;
        }

        public AdamW build() {
            return new AdamW(this);
        }
    }
}
