package org.gkd4j.tensor.optim;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.function.Predicate;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Var;

/**
 * Stochastic gradient descent with optional momentum, Nesterov momentum and L2 weight decay, following PyTorch's
 * {@code torch.optim.SGD} without dampening:
 * <pre>
 *   d = g + wd·w                     (wd only for parameters the decay filter accepts)
 *   buf ← μ·buf + d                  (when μ > 0; buf starts at zero, so the first step sets buf = d)
 *   d = buf, or d + μ·buf with Nesterov
 *   w ← w − lr·d
 * </pre>
 * Unlike {@link AdamW}, the weight decay here is coupled: it enters the gradient and so the momentum.
 *
 * <p>State entries: {@code sgd.momentumBuffer.<name>} (only when μ > 0), the step count, the learning rate and
 * the hyper-parameters momentum, nesterov (0 or 1) and weightDecay.
 */
public final class Sgd extends AbstractOptimizer {

    private final float momentum;
    private final boolean nesterov;
    private final float weightDecay;
    private final Tensor[] momentumBuffers;
    private float stepLearningRate;

    private Sgd(Builder b) {
        super("Sgd", "sgd", b.params, b.learningRate, b.decayFilter);
        if (!(b.momentum >= 0f && b.momentum < 1f)) {
            throw new IllegalArgumentException("Sgd: momentum " + b.momentum + " is invalid; expected a value in"
                    + " [0, 1), typically 0.9, or 0 for plain SGD");
        }
        if (b.nesterov && b.momentum == 0f) {
            throw new IllegalArgumentException("Sgd: Nesterov momentum needs momentum > 0, but momentum is 0");
        }
        if (!(b.weightDecay >= 0f) || Float.isInfinite(b.weightDecay)) {
            throw new IllegalArgumentException("Sgd: weightDecay " + b.weightDecay + " is invalid; expected a"
                    + " finite value >= 0");
        }
        this.momentum = b.momentum;
        this.nesterov = b.nesterov;
        this.weightDecay = b.weightDecay;

        // momentum buffers start at zero; plain SGD keeps none
        List<Var> params = parameters();
        this.momentumBuffers = new Tensor[momentum > 0f ? params.size() : 0];
        for (int i = 0; i < momentumBuffers.length; i++) {
            momentumBuffers[i] = Tensor.zeros(params.get(i).value().shape());
        }
    }

    /** Starts a builder with lr 1e-3, no momentum, no Nesterov and no weight decay. */
    public static Builder builder(List<Var> params) {
        return new Builder(params);
    }

    @Override
    void beginStep(long step, float learningRate) {
        this.stepLearningRate = learningRate;
    }

    @Override
    void update(int index, Tensor weight, Tensor grad, boolean decay, int from, int to) {
        float[] buffer = momentum > 0f ? momentumBuffers[index].data() : null;
        UpdateKernels.sgd(weight.data(), weight.offset(), grad.data(), grad.offset(), buffer, from, to,
                stepLearningRate, momentum, nesterov, decay ? weightDecay : 0f);
    }

    @Override
    Map<String, Float> hyperParameters() {
        Map<String, Float> hyper = new LinkedHashMap<>();
        hyper.put("momentum", momentum);
        hyper.put("nesterov", nesterov ? 1f : 0f);
        hyper.put("weightDecay", weightDecay);
        return hyper;
    }

    @Override
    Map<String, Tensor[]> buffers() {
        Map<String, Tensor[]> buffers = new LinkedHashMap<>();
        if (momentum > 0f) {
            buffers.put("momentumBuffer", momentumBuffers);
        }
        return buffers;
    }

    @Override
    public String toString() {
        return "Sgd(lr=" + learningRate() + ", momentum=" + momentum + ", nesterov=" + nesterov + ", weightDecay="
                + weightDecay + ", parameters=" + parameters().size() + ")";
    }

    /** Settings of an {@link Sgd}, checked when {@link #build()} runs. */
    public static final class Builder {

        private final List<Var> params;
        private float learningRate = 1e-3f;
        private float momentum;
        private boolean nesterov;
        private float weightDecay;
        private Predicate<Var> decayFilter = DECAY_RANK_2_AND_UP;

        private Builder(List<Var> params) {
            this.params = params;
        }

        public Builder learningRate(float learningRate) {
            this.learningRate = learningRate;
            return this;
        }

        /** Sets μ, the factor that carries the previous update into the next. */
        public Builder momentum(float momentum) {
            this.momentum = momentum;
            return this;
        }

        /** Switches to Nesterov momentum, which looks ahead along the buffer; needs momentum > 0. */
        public Builder nesterov(boolean nesterov) {
            this.nesterov = nesterov;
            return this;
        }

        /** Sets the L2 weight decay wd, added to the gradient as wd·w. */
        public Builder weightDecay(float weightDecay) {
            this.weightDecay = weightDecay;
            return this;
        }

        /** Sets which parameters take weight decay. The default decays parameters of rank 2 or more. */
        public Builder decayFilter(Predicate<Var> decayFilter) {
            this.decayFilter = Objects.requireNonNull(decayFilter, "decayFilter");
            return this;
        }

        public Sgd build() {
            return new Sgd(this);
        }
    }
}
