package org.gkd4j.tensor.optim;

import java.util.List;
import java.util.Map;
import java.util.function.Predicate;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Var;

/**
 * Updates a fixed list of parameters from their gradients, one {@link #step()} at a time.
 *
 * <p>A parameter whose {@link Var#grad()} is null (no backward pass reached it) is skipped by a step but keeps its
 * state. After {@link #zeroGrad()} the gradients are zero tensors, not null, so the next step still updates every
 * parameter (moments decay and weight decay applies), as PyTorch does with {@code zero_grad(set_to_none=False)}.
 *
 * <p>{@link #state()} and {@link #loadState} move the whole optimizer state as named tensors, so a trainer can
 * write it to a safetensors file. Restoring a saved state into a fresh optimizer over parameters with the same
 * names, shapes and values continues bit for bit as the original would have.
 */
public interface Optimizer {

    /**
     * The default weight-decay filter: decays parameters of rank 2 or more (linear and embedding weights) and
     * leaves rank-1 parameters (norm gains, biases) alone, as is standard for transformers.
     */
    Predicate<Var> DECAY_RANK_2_AND_UP = p -> p.value().rank() >= 2;

    /** Applies one update to every parameter that has a gradient, with the current learning rate. */
    void step();

    /** Fills every existing gradient with zeros. */
    void zeroGrad();

    float learningRate();

    /** Sets the learning rate of the following steps; a schedule calls this before each step. */
    void setLearningRate(float learningRate);

    /** Returns the number of steps taken, including those restored by {@link #loadState}. */
    long stepCount();

    /** Returns the parameters in the order given at construction. */
    List<Var> parameters();

    /**
     * Returns a copy of the full state as named tensors: the step count, the learning rate, the hyper-parameters
     * and one buffer per parameter and kind, named {@code <optimizer>.<kind>.<parameter name>}.
     */
    Map<String, Tensor> state();

    /**
     * Replaces the state with a copy of {@code state}, as returned by {@link #state()} of an optimizer of the same
     * kind, hyper-parameters and parameter set. Checks everything before changing anything.
     *
     * @throws IllegalArgumentException naming the entry when one is missing, extra, of another shape, or when a
     *     hyper-parameter differs
     */
    void loadState(Map<String, Tensor> state);
}
