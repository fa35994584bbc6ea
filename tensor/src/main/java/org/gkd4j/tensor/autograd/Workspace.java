package org.gkd4j.tensor.autograd;

import java.util.ArrayList;
import java.util.Arrays;

import it.unimi.dsi.fastutil.ints.Int2ObjectOpenHashMap;
import org.gkd4j.tensor.Tensor;

/**
 * Reusable float arrays for the activations, temporaries and intermediate gradients of one training step, so a
 * steady training loop does not allocate memory in proportion to the model size on every step.
 *
 * <p>Arrays are pooled by length. {@link #take} hands out the next free array of that length (zeroed), or
 * allocates one the first time a step needs it. {@link #step} frees every array handed out so far and makes this
 * workspace the active one on the current thread until the scope closes; while it is active,
 * {@link Ops} outputs and the gradients of op results come from it.
 *
 * <p>Contract: a tensor from the workspace is valid only until the next {@link #step} or {@link #reset} of the
 * same workspace, which reuses its array. Call {@code step()} once at the start of each training step (the
 * trainer does), and do not keep op outputs across steps: copy what must survive (a loss value, a logged
 * activation). Parameters, their gradients (leaf variables), optimizer state and kvCaches never come from the
 * workspace, so they are unaffected. A workspace belongs to one thread.
 *
 * <pre>{@code
 * Workspace workspace = new Workspace();
 * for (int step = 0; step < steps; step++) {
 *     try (Workspace.Scope scope = workspace.step()) {
 *         Var loss = model.loss(batch);
 *         loss.backward();
 *         float value = loss.value().get(0);   // read before the next step reuses the array
 *         optimizer.step();
 *     }
 * }
 * }</pre>
 */
public final class Workspace {

    /** The activation of a workspace on a thread, closed with try-with-resources; close() declares no exception. */
    public interface Scope extends AutoCloseable {
        @Override
        void close();
    }

    /** The arrays of one length and how many of them the current step has handed out. */
    private static final class Pool {
        final ArrayList<float[]> arrays = new ArrayList<>();
        int used;
    }

    private static final ThreadLocal<Workspace> ACTIVE = new ThreadLocal<>();

    private final Int2ObjectOpenHashMap<Pool> pools = new Int2ObjectOpenHashMap<>();
    private long allocatedFloats;

    /** Returns the workspace active on this thread, or null outside every {@link #step}/{@link #activate} scope. */
    public static Workspace active() {
        return ACTIVE.get();
    }

    /** Returns a zero tensor from the active workspace, or a new heap tensor when none is active. */
    public static Tensor zeros(int... shape) {
        Workspace workspace = ACTIVE.get();
        return workspace == null ? Tensor.zeros(shape) : workspace.take(shape);
    }

    /**
     * Returns a tensor whose contents are undefined (stale values of an earlier step) from the active workspace,
     * or a new heap tensor when none is active. Only for outputs a kernel overwrites completely: it saves the
     * zeroing pass of {@link #zeros}.
     */
    public static Tensor uninitialized(int... shape) {
        Workspace workspace = ACTIVE.get();
        return workspace == null ? Tensor.zeros(shape) : workspace.take(shape, false);
    }

    /** Frees every array handed out so far and activates this workspace on the current thread. */
    public Scope step() {
        reset();
        return activate();
    }

    /** Activates this workspace on the current thread without freeing anything; the previous one returns on close. */
    public Scope activate() {
        Workspace previous = ACTIVE.get();
        ACTIVE.set(this);
        return () -> {
            if (previous == null) {
                ACTIVE.remove();
            } else {
                ACTIVE.set(previous);
            }
        };
    }

    /** Marks every array free for reuse; tensors handed out before this call must no longer be used. */
    public void reset() {
        for (Pool pool : pools.values()) {
            pool.used = 0;
        }
    }

    /** Returns a zero tensor of the given shape backed by a pooled array. */
    public Tensor take(int... shape) {
        return take(shape, true);
    }

    /** Returns a tensor backed by a pooled array, zeroed when {@code zero}, else with undefined contents. */
    private Tensor take(int[] shape, boolean zero) {
        int size = Tensor.sizeOf(shape, "Workspace.take");
        Pool pool = pools.get(size);
        if (pool == null) {
            pool = new Pool();
            pools.put(size, pool);
        }
        float[] array;
        if (pool.used < pool.arrays.size()) {
            array = pool.arrays.get(pool.used);
            if (zero) {
                Arrays.fill(array, 0f);
            }
        } else {
            array = new float[size];
            pool.arrays.add(array);
            allocatedFloats += size;
        }
        pool.used++;
        return Tensor.of(array, shape);
    }

    /** Returns the number of floats this workspace has allocated over its lifetime (its memory footprint). */
    public long allocatedFloats() {
        return allocatedFloats;
    }
}
