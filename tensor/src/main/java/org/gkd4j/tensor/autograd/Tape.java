package org.gkd4j.tensor.autograd;

import java.util.ArrayList;
import java.util.List;

import org.gkd4j.tensor.Tensor;

/**
 * The record of ops, in execution order, that a backward pass walks in reverse. One tape per thread; recording
 * stops inside a {@link #noGrad()} scope.
 *
 * <p>A custom op (for example a fused head + softmax + divergence node in another module) follows the same
 * pattern as every op in {@link Ops}: compute the value, create the output with
 * {@link Var#result(Tensor, boolean)} and, when it requires a gradient, record a backward step
 * that reads the output's gradient and accumulates ({@code +=}) into each input that requires one:
 *
 * <pre>{@code
 * static Var square(Var x) {                                   // x: [N] -> [N], y = x²
 *     Tensor y = Workspace.zeros(x.value().shape());
 *     Kernels.mul(x.value(), x.value(), y);
 *     Var out = Var.result(y, Tape.needsGrad(x));
 *     if (out.requiresGrad()) {
 *         Tape.record(out, () -> {
 *             Tensor dx = Workspace.zeros(x.value().shape());
 *             Kernels.mul(out.grad(), x.value(), dx);           // dy ⊙ x
 *             Kernels.axpy(2f, dx, x.gradOrZeros());            // x.grad += 2·x ⊙ dy
 *         });
 *     }
 *     return out;
 * }
 * }</pre>
 *
 * The backward step runs only when the output received a gradient, so {@code out.grad()} is non-null there.
 * Inputs that do not require a gradient must be skipped (check {@link Var#requiresGrad()}). Test a custom op with
 * {@link GradCheck}.
 */
public final class Tape {

    /** The backward step of one recorded op: reads the output gradient and accumulates into its inputs. */
    @FunctionalInterface
    public interface Backward {
        void run();
    }

    /** A no-grad scope; closing it never throws. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    private record Node(Var output, Backward backward) {
    }

    private static final ThreadLocal<Tape> CURRENT = ThreadLocal.withInitial(Tape::new);

    private final List<Node> nodes = new ArrayList<>();
    private int noGradDepth;

    private Tape() {
    }

    public static Tape current() {
        return CURRENT.get();
    }

    /** Returns true when ops on this thread record themselves (outside every no-grad scope). */
    public static boolean isRecording() {
        return current().noGradDepth == 0;
    }

    /** Returns true when an op with these inputs must record a backward step. */
    public static boolean needsGrad(Var... inputs) {
        if (!isRecording()) {
            return false;
        }
        for (Var input : inputs) {
            if (input != null && input.requiresGrad()) {
                return true;
            }
        }
        return false;
    }

    /** Records the backward step of an op whose output is {@code output}. */
    public static void record(Var output, Backward backward) {
        current().nodes.add(new Node(output, backward));
    }

    /** Opens a scope in which no op records itself; close it with try-with-resources. */
    public static Scope noGrad() {
        Tape tape = current();
        tape.noGradDepth++;
        return () -> tape.noGradDepth--;
    }

    /**
     * Runs every recorded backward step in reverse order from {@code output}, whose gradient is seeded with
     * {@code seed} (all ones when null), then clears the tape.
     */
    void backward(Var output, Tensor seed) {
        try {
            if (seed == null) {
                output.gradOrZeros().fill(1f);
            } else {
                output.gradOrZeros().copyFrom(seed);
            }
            for (int i = nodes.size() - 1; i >= 0; i--) {
                Node node = nodes.get(i);
                if (node.output().grad() != null) {
                    node.backward().run();
                }
            }
        } finally {
            clear();
        }
    }

    /** Drops every recorded step without running it (for example after a forward pass used only for its value). */
    public void clear() {
        nodes.clear();
    }

    public int size() {
        return nodes.size();
    }
}
