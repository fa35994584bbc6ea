package org.gkd4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * Lane reductions with a fixed order of additions.
 *
 * <p>{@code reduceLanes(ADD)} leaves the order of the float additions open, and the JIT's intrinsic and the
 * interpreter's fallback do use different orders, so the same input can give different last bits before and after
 * a method is compiled. That breaks bitwise reproducibility (a resumed training run must match a straight one).
 * {@link #sum} instead folds the upper half of the lanes onto the lower half until one lane is left: a pairwise
 * tree whose order is fixed by the lane count, built from lane-wise adds and a shuffle, which both execution modes
 * compute identically.
 */
public final class VectorReductions {

    static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;

    /** FOLDS[i] moves lane j + (L >> (i + 1)) to lane j, for L = SPECIES.length(). */
    private static final VectorShuffle<Float>[] FOLDS = folds();

    private VectorReductions() {
    }

    @SuppressWarnings("unchecked")
    private static VectorShuffle<Float>[] folds() {
        int lanes = SPECIES.length();
        int steps = Integer.numberOfTrailingZeros(lanes);
        VectorShuffle<Float>[] folds = new VectorShuffle[steps];
        for (int i = 0, half = lanes / 2; i < steps; i++, half /= 2) {
            int shift = half;
            folds[i] = VectorShuffle.fromOp(SPECIES, lane -> (lane + shift) % lanes);
        }
        return folds;
    }

    /**
     * Returns the sum of the lanes of {@code v} (of {@link #SPECIES}) in a fixed pairwise order: with L lanes,
     * lanes j and j + L/2 are added first, then j and j + L/4 of the result, and so on.
     */
    public static float sum(FloatVector v) {
        FloatVector folded = v;
        for (VectorShuffle<Float> fold : FOLDS) {
            folded = folded.add(folded.rearrange(fold));
        }
        return folded.lane(0);
    }

    /** Returns the largest lane; max is exact, so any order gives the same result. */
    public static float max(FloatVector v) {
        return v.reduceLanes(VectorOperators.MAX);
    }
}
