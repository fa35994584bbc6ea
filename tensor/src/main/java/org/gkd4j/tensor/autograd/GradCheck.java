package org.gkd4j.tensor.autograd;

import java.util.Random;
import java.util.function.Function;

import org.gkd4j.tensor.Tensor;

/**
 * Checks an op's analytic gradients against central finite differences, for tests in any module.
 *
 * <p>The op's output y is reduced to the scalar L = Σ r ⊙ y with fixed random weights r, accumulated in double.
 * The analytic gradient of every input that requires one comes from {@code y.backward(r)}; the numeric one
 * perturbs each float input element by ±step and takes (L(x + step) - L(x - step)) / (2·step). They must agree
 * within {@code absTolerance + relTolerance·max(|analytic|, |numeric|)}. Inputs with more than
 * {@link #MAX_CHECKED_ELEMENTS} elements are checked on an evenly spaced sample of elements.
 */
public final class GradCheck {

    /** The maximum number of elements of one input that are perturbed; larger inputs are sampled at even strides. */
    public static final int MAX_CHECKED_ELEMENTS = 256;

    public static final double DEFAULT_STEP = 1e-2;
    public static final double DEFAULT_REL_TOLERANCE = 2e-2;
    public static final double DEFAULT_ABS_TOLERANCE = 2e-3;

    private GradCheck() {
    }

    /** Checks with the default step and tolerances; throws AssertionError naming the op, input and element. */
    public static void check(String op, Function<Var[], Var> function, Var... inputs) {
        check(op, function, DEFAULT_STEP, DEFAULT_REL_TOLERANCE, DEFAULT_ABS_TOLERANCE, inputs);
    }

    /** Checks every input that requires a gradient; throws AssertionError on the first element that differs. */
    public static void check(String op, Function<Var[], Var> function, double step, double relTolerance,
                             double absTolerance, Var... inputs) {
        // random output weights r with |r| in [0.5, 1.5), so a small weight never hides an error; fixed per op name
        Tensor weights;
        try (Tape.Scope ignored = Tape.noGrad()) {
            Tensor probe = function.apply(inputs).value();
            weights = Tensor.zeros(probe.shape());
        }
        Random random = new Random(op.hashCode());
        for (int i = 0; i < weights.size(); i++) {
            double magnitude = 0.5 + random.nextDouble();
            weights.set(i, (float) (random.nextBoolean() ? magnitude : -magnitude));
        }

        // analytic gradients: the vector-Jacobian product rᵀ·∂y/∂x
        for (Var input : inputs) {
            input.zeroGrad();
        }
        Var output = function.apply(inputs);
        output.backward(weights);
        Tensor[] analytic = new Tensor[inputs.length];
        for (int j = 0; j < inputs.length; j++) {
            if (inputs[j].requiresGrad()) {
                analytic[j] = inputs[j].gradOrZeros().copy();
            }
        }

        // numeric gradients by central differences, one element at a time
        for (int j = 0; j < inputs.length; j++) {
            if (analytic[j] == null) {
                continue;
            }
            Tensor value = inputs[j].value();
            int stride = Math.max(1, (value.size() + MAX_CHECKED_ELEMENTS - 1) / MAX_CHECKED_ELEMENTS);
            for (int i = 0; i < value.size(); i += stride) {
                float original = value.get(i);
                value.set(i, (float) (original + step));
                double plus = weightedSum(function, inputs, weights);
                value.set(i, (float) (original - step));
                double minus = weightedSum(function, inputs, weights);
                value.set(i, original);
                // the float perturbation actually applied may differ slightly from ±step
                double applied = ((double) (float) (original + step) - (double) (float) (original - step));
                double numeric = (plus - minus) / applied;
                double expected = analytic[j].get(i);
                double tolerance = absTolerance + relTolerance * Math.max(Math.abs(expected), Math.abs(numeric));
                if (!(Math.abs(expected - numeric) <= tolerance)) {
                    throw new AssertionError(op + ": gradient of input " + j + " " + value.shapeString()
                            + " at element " + i + " is " + expected + " but central differences give " + numeric
                            + " (tolerance " + tolerance + ")");
                }
            }
        }
    }

    private static double weightedSum(Function<Var[], Var> function, Var[] inputs, Tensor weights) {
        try (Tape.Scope ignored = Tape.noGrad()) {
            Tensor y = function.apply(inputs).value();
            double sum = 0;
            for (int i = 0; i < y.size(); i++) {
                sum += (double) weights.get(i) * y.get(i);
            }
            return sum;
        }
    }
}
