package org.gkd4j.tensor.autograd;

import java.util.ArrayList;
import java.util.List;

/**
 * The record of ops, in execution order, that a backward pass walks in reverse. One tape per thread; recording
 * stops inside a {@link #noGrad()} scope.
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

    /** Runs every recorded backward step in reverse order from the scalar {@code loss}, then clears the tape. */
    void backward(Var loss) {
        if (loss.value().size() != 1) {
            throw new IllegalArgumentException("backward: the loss must be a scalar but has shape "
                    + loss.value().shapeString());
        }
        loss.gradOrZeros().fill(1f);
        for (int i = nodes.size() - 1; i >= 0; i--) {
            Node node = nodes.get(i);
            if (node.output().grad() != null) {
                node.backward().run();
            }
        }
        clear();
    }

    /** Drops every recorded step without running it (for example after a forward pass used only for its value). */
    public void clear() {
        nodes.clear();
    }

    public int size() {
        return nodes.size();
    }
}
