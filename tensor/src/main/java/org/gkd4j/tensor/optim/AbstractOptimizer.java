package org.gkd4j.tensor.optim;

import java.util.Arrays;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.function.Predicate;
import it.unimi.dsi.fastutil.ints.IntArrayList;
import org.gkd4j.tensor.kernels.Parallel;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Var;

/**
 * The parts every optimizer shares: the parameter list, the weight-decay mask, the learning rate, the step count
 * and the named state, laid out as
 * <ul>
 *   <li>{@code <prefix>.step}: shape [2], the step count as {@code high·2^24 + low}, because a float represents
 *       integers exactly only up to 2^24;</li>
 *   <li>{@code <prefix>.learningRate}: shape [1], restored on load;</li>
 *   <li>{@code <prefix>.<hyper-parameter>}: shape [1] each, which must match on load;</li>
 *   <li>{@code <prefix>.<buffer kind>.<parameter name>}: one buffer of the parameter's shape per kind.</li>
 * </ul>
 */
abstract class AbstractOptimizer implements Optimizer {

    /**
     * Elements per update task. A chunk touches 256 KiB (16 Ki floats of weight, gradient and two state arrays), so
     * it should cost far more than handing it to a worker. NOTE: an estimate, not a tuned value.
     */
    static final int CHUNK = 16 * 1024;

    private static final long STEP_SPLIT = 1L << 24;

    private final String displayName;
    private final String prefix;
    private final List<Var> params;
    private final boolean[] decays;
    private float learningRate;
    private long stepCount;

    AbstractOptimizer(String displayName, String prefix, List<Var> params, float learningRate,
            Predicate<Var> decayFilter) {
        this.displayName = displayName;
        this.prefix = prefix;
        this.params = List.copyOf(checkParameters(displayName, params));
        this.decays = new boolean[this.params.size()];
        for (int i = 0; i < decays.length; i++) {
            decays[i] = decayFilter.test(this.params.get(i));
        }
        setLearningRate(learningRate);
    }

    private static List<Var> checkParameters(String displayName, List<Var> params) {
        if (params == null || params.isEmpty()) {
            throw new IllegalArgumentException(displayName + ": the parameter list is empty; pass the model's "
                    + "trainable parameters");
        }
        Set<String> names = new HashSet<>();
        for (Var p : params) {
            if (p == null || p.name() == null || !p.requiresGrad()) {
                throw new IllegalArgumentException(displayName + ": " + p + " is not a named trainable parameter; "
                        + "create parameters with Var.parameter(name, value)");
            }
            if (!names.add(p.name())) {
                throw new IllegalArgumentException(displayName + ": two parameters are named '" + p.name()
                        + "'; state entries are keyed by name, so names must be unique");
            }
        }
        return params;
    }

    /** Computes the per-step constants. The {@code step} counts from 1 for the first update. */
    abstract void beginStep(long step, float learningRate);

    /**
     * Updates elements [from, to) of parameter {@code index} in place from {@code grad}, which has the parameter's
     * size. Each element's update reads only that element, so any split into ranges gives the same bits.
     */
    abstract void update(int index, Tensor weight, Tensor grad, boolean decay, int from, int to);

    /**
     * Returns the hyper-parameters that a loaded state must match, by name, in a fixed order. They are stored and
     * compared as floats, so two settings that round to the same float count as equal.
     */
    abstract Map<String, Float> hyperParameters();

    /** Returns the per-parameter buffers by kind, each array aligned with {@link #parameters()}. */
    abstract Map<String, Tensor[]> buffers();

    @Override
    public final void step() {
        stepCount++;
        beginStep(stepCount, learningRate);

        // check every gradient before any weight changes, and cut each parameter into chunks of at most CHUNK
        // elements (pairs of parameter index and first element) to spread over the pool
        IntArrayList chunks = new IntArrayList();
        for (int i = 0; i < params.size(); i++) {
            Var p = params.get(i);
            Tensor grad = p.grad();
            if (grad == null) {
                continue;
            }
            if (grad.size() != p.value().size()) {
                throw new IllegalArgumentException(displayName + ".step: gradient of '" + p.name() + "' has shape "
                        + grad.shapeString() + " but the parameter has shape " + p.value().shapeString());
            }
            for (int from = 0; from < grad.size(); from += CHUNK) {
                chunks.add(i);
                chunks.add(from);
            }
        }
        Parallel.forEach(chunks.size() / 2, c -> {
            int i = chunks.getInt(2 * c);
            int from = chunks.getInt(2 * c + 1);
            Var p = params.get(i);
            update(i, p.value(), p.grad(), decays[i], from, Math.min(p.value().size(), from + CHUNK));
        });
    }

    @Override
    public final void zeroGrad() {
        for (Var p : params) {
            p.zeroGrad();
        }
    }

    @Override
    public final float learningRate() {
        return learningRate;
    }

    @Override
    public final void setLearningRate(float learningRate) {
        if (!(learningRate >= 0f) || Float.isInfinite(learningRate)) {
            throw new IllegalArgumentException(displayName + ": learning rate " + learningRate
                    + " is invalid; expected a finite value >= 0");
        }
        this.learningRate = learningRate;
    }

    @Override
    public final long stepCount() {
        return stepCount;
    }

    @Override
    public final List<Var> parameters() {
        return params;
    }

    /** Returns whether parameter {@code index} takes weight decay under the filter given at construction. */
    final boolean decays(int index) {
        return decays[index];
    }

    @Override
    public final Map<String, Tensor> state() {
        Map<String, Tensor> state = new LinkedHashMap<>();
        state.put(prefix + ".step", Tensor.of(new float[] {stepCount / STEP_SPLIT, stepCount % STEP_SPLIT}, 2));
        state.put(prefix + ".learningRate", Tensor.of(new float[] {learningRate}, 1));
        for (Map.Entry<String, Float> hyper : hyperParameters().entrySet()) {
            state.put(prefix + "." + hyper.getKey(), Tensor.of(new float[] {hyper.getValue()}, 1));
        }
        for (Map.Entry<String, Tensor[]> buffer : buffers().entrySet()) {
            for (int i = 0; i < params.size(); i++) {
                state.put(bufferKey(buffer.getKey(), params.get(i)), buffer.getValue()[i].copy());
            }
        }
        return state;
    }

    @Override
    public final void loadState(Map<String, Tensor> state) {
        String op = displayName + ".loadState";
        String stepKey = prefix + ".step";
        if (state == null || state.get(stepKey) == null) {
            String found = state == null ? "none" : state.keySet().stream().limit(3).toList().toString();
            throw new IllegalArgumentException(op + ": the state has no entry '" + stepKey + "', so " + displayName
                    + " did not save it (entries found: " + found + ")");
        }

        // scalar entries: present with their shape, hyper-parameters equal to this optimizer's
        Set<String> expected = new HashSet<>();
        expected.add(checkShape(op, state, stepKey, new int[] {2}, null));
        String learningRateKey = prefix + ".learningRate";
        expected.add(checkShape(op, state, learningRateKey, new int[] {1}, null));
        for (Map.Entry<String, Float> hyper : hyperParameters().entrySet()) {
            String key = prefix + "." + hyper.getKey();
            expected.add(checkShape(op, state, key, new int[] {1}, null));
            float saved = state.get(key).get(0);
            if (Float.floatToIntBits(saved) != Float.floatToIntBits(hyper.getValue())) {
                throw new IllegalArgumentException(op + ": the state has " + hyper.getKey() + " = " + saved
                        + " but this optimizer has " + hyper.getKey() + " = " + hyper.getValue()
                        + "; build the optimizer with the hyper-parameters of the saved run");
            }
        }

        // buffers: one per parameter and kind, of the parameter's shape
        for (String kind : buffers().keySet()) {
            for (Var p : params) {
                expected.add(checkShape(op, state, bufferKey(kind, p), p.value().shape(), p));
            }
        }

        // nothing else: an extra entry means the state belongs to another parameter set or optimizer
        for (Map.Entry<String, Tensor> entry : state.entrySet()) {
            if (!expected.contains(entry.getKey())) {
                String shape = entry.getValue() == null ? "null" : entry.getValue().shapeString();
                throw new IllegalArgumentException(op + ": entry '" + entry.getKey() + "' of shape " + shape
                        + " matches no parameter or setting of this " + displayName + " (its parameters are named"
                        + " like '" + params.get(0).name() + "'); load a state saved for the same parameters");
            }
        }

        // step count and learning rate
        long step = decodeStep(op, state.get(stepKey));
        float savedLearningRate = state.get(learningRateKey).get(0);
        if (!(savedLearningRate >= 0f) || Float.isInfinite(savedLearningRate)) {
            throw new IllegalArgumentException(op + ": entry '" + learningRateKey + "' is " + savedLearningRate
                    + "; expected a finite learning rate >= 0");
        }

        // all checks passed: copy
        stepCount = step;
        learningRate = savedLearningRate;
        for (Map.Entry<String, Tensor[]> buffer : buffers().entrySet()) {
            for (int i = 0; i < params.size(); i++) {
                buffer.getValue()[i].copyFrom(state.get(bufferKey(buffer.getKey(), params.get(i))));
            }
        }
    }

    private String bufferKey(String kind, Var p) {
        return prefix + "." + kind + "." + p.name();
    }

    /** Checks that entry {@code key} exists with {@code shape}; names {@code owner} in the message when given. */
    private static String checkShape(String op, Map<String, Tensor> state, String key, int[] shape, Var owner) {
        Tensor entry = state.get(key);
        String forParameter = owner == null ? "" : " for parameter '" + owner.name() + "'";
        String expectedShape = owner == null
                ? "it should have shape "
                : "parameter '" + owner.name() + "' has shape ";
        if (entry == null) {
            throw new IllegalArgumentException(op + ": the state has no entry '" + key + "'" + forParameter
                    + " of shape " + Arrays.toString(shape) + "; load a state saved for the same parameters");
        }
        if (!Arrays.equals(entry.shape(), shape)) {
            throw new IllegalArgumentException(op + ": entry '" + key + "' has shape " + entry.shapeString()
                    + " but " + expectedShape + Arrays.toString(shape)
                    + "; load a state saved for the same parameters");
        }
        return key;
    }

    private static long decodeStep(String op, Tensor step) {
        float high = step.get(0);
        float low = step.get(1);
        boolean valid = high >= 0f && high < STEP_SPLIT && high == Math.rint(high)
                && low >= 0f && low < STEP_SPLIT && low == Math.rint(low);
        if (!valid) {
            throw new IllegalArgumentException(op + ": step entry [" + high + ", " + low + "] is invalid; expected"
                    + " two whole numbers in [0, 2^24) encoding high·2^24 + low");
        }
        return (long) high * STEP_SPLIT + (long) low;
    }
}
