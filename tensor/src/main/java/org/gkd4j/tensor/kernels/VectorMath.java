package org.gkd4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShuffle;
import jdk.incubator.vector.VectorSpecies;

/**
 * The species of the vector kernels and the helpers they share: exp, sigmoid and tanh on lanes, dot products,
 * row updates and per-thread scratch arrays. exp, sigmoid, tanh and sumLanes are public so that Vector API code in
 * other modules can give the same bits in interpreted and JIT-compiled code.
 */
public final class VectorMath {

    public static final VectorSpecies<Float> SPECIES = FloatVector.SPECIES_PREFERRED;
    static final int LANES = SPECIES.length();

    // lane i reads lane i ^ k, for the tree of sumLanes; a swap wider than the vector is never used
    private static final VectorShuffle<Float> SWAP_1 = swap(1);
    private static final VectorShuffle<Float> SWAP_2 = swap(2);
    private static final VectorShuffle<Float> SWAP_4 = swap(4);
    private static final VectorShuffle<Float> SWAP_8 = swap(8);

    /** Elements of work below which a kernel stays on the calling thread (a pool hand-off costs microseconds). */
    static final int PARALLEL_GRAIN = 1 << 14;

    private VectorMath() {
    }

    private static final float LOG2E = 1.44269504088896341f;
    // ln 2 split into a high part with few mantissa bits, so n·LN2_HIGH is exact, and the remainder
    private static final float LN2_HIGH = 0.693359375f;
    private static final float LN2_LOW = -2.12194440e-4f;
    // adding and subtracting 1.5·2²³ rounds a float of magnitude below 2²² to the nearest integer
    private static final float ROUND_MAGIC = 12582912f;
    private static final int MAGIC_BITS = Float.floatToRawIntBits(ROUND_MAGIC);
    // exp overflows float above 88.72 and 2ⁿ is subnormal below -126, where it cannot be built from exponent bits
    private static final float EXP_MAX = 88.37f;
    private static final float EXP_MIN = -87.33f;

    /**
     * Returns exp(x) lane by lane, with relative error below 2e-7 on [-87.33, 88.37]. Inputs below that range
     * (-∞ included) return 0, and inputs above it return exp(88.37).
     *
     * <p>Only IEEE-exact lane operations (fma, mul, add, compare, bit shifts) are used, so the result is the same
     * in the interpreter and in JIT-compiled code. NOTE: lanewise(EXP) is about 4x faster on x86 (the SVML
     * intrinsic, 1.1 against 4–5 ns per element in our measurement on AVX2). But its compiled result differed in
     * the last bit from the interpreted one for 153 of 4096 inputs (JDK 25), which breaks bitwise-reproducible
     * training and resume.
     */
    public static FloatVector exp(FloatVector x) {
        // exp(x) = 2ⁿ·exp(r) with n = round(x·log₂e) and r = x - n·ln 2 in [-ln2/2, ln2/2]
        FloatVector clamped = x.min(EXP_MAX).max(EXP_MIN);
        FloatVector shifted = clamped.fma(LOG2E, ROUND_MAGIC);
        FloatVector n = shifted.sub(ROUND_MAGIC);
        FloatVector r = clamped.sub(n.mul(LN2_HIGH)).sub(n.mul(LN2_LOW));

        // exp(r) by its Taylor polynomial of degree 7 in Horner form (truncation error below 1e-8 on the interval)
        FloatVector p = r.fma(1f / 5040f, 1f / 720f);
        p = p.fma(r, constant(1f / 120f));
        p = p.fma(r, constant(1f / 24f));
        p = p.fma(r, constant(1f / 6f));
        p = p.fma(r, constant(0.5f));
        p = p.fma(r, constant(1f));
        p = p.fma(r, constant(1f));

        // 2ⁿ from exponent bits: the low mantissa bits of n + 1.5·2²³ contain n + 2²², so subtracting the bits of
        // the magic constant leaves n
        IntVector bits = ((IntVector) shifted.reinterpretAsInts()).sub(MAGIC_BITS - 127)
                .lanewise(VectorOperators.LSHL, 23);
        FloatVector result = p.mul(bits.reinterpretAsFloats());
        return result.blend(0f, x.lt(EXP_MIN));
    }

    /** Returns σ(x) = 1 / (1 + exp(-x)) lane by lane. */
    public static FloatVector sigmoid(FloatVector x) {
        return constant(1f).div(exp(x.neg()).add(1f));
    }

    /** Returns tanh(x) = 1 - 2 / (exp(2x) + 1) lane by lane (absolute error about 1e-7). */
    public static FloatVector tanh(FloatVector x) {
        return constant(1f).sub(constant(2f).div(exp(x.add(x)).add(1f)));
    }

    /**
     * Returns the sum of the lanes of v by a fixed pairwise tree: lane i adds lane i ^ k for k = LANES/2, ..., 2, 1,
     * then lane 0 is the sum. reduceLanes(ADD) leaves the order open and changes bits once the JIT compiles the
     * caller. The shuffles live in static final fields: a loop over an array of shuffles boxed the vectors (about
     * 245 KB more per AllocationBench step).
     */
    public static float sumLanes(FloatVector v) {
        FloatVector sum = v;
        if (LANES >= 16) {
            sum = sum.add(sum.rearrange(SWAP_8));
        }
        if (LANES >= 8) {
            sum = sum.add(sum.rearrange(SWAP_4));
        }
        if (LANES >= 4) {
            sum = sum.add(sum.rearrange(SWAP_2));
        }
        return sum.add(sum.rearrange(SWAP_1)).lane(0);
    }

    private static VectorShuffle<Float> swap(int distance) {
        return VectorShuffle.fromOp(SPECIES, i -> (i ^ distance) < LANES ? i ^ distance : i);
    }

    private static FloatVector constant(float value) {
        return FloatVector.broadcast(SPECIES, value);
    }

    /** Returns the number of rows per parallel part so that a part has about {@link #PARALLEL_GRAIN} elements. */
    static int rowGrain(int rowLength) {
        return Math.max(1, PARALLEL_GRAIN / Math.max(1, rowLength));
    }

    /** Returns Σ a[ao + i]·b[bo + i] for i in [0, n), one lane reduction at the end. */
    static float dot(float[] a, int ao, float[] b, int bo, int n) {
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += LANES) {
            acc = FloatVector.fromArray(SPECIES, a, ao + i).fma(FloatVector.fromArray(SPECIES, b, bo + i), acc);
        }
        float sum = sumLanes(acc);
        for (; i < n; i++) {
            sum += a[ao + i] * b[bo + i];
        }
        return sum;
    }

    /** y[yo + i] += alpha·x[xo + i] for i in [0, n). */
    static void axpy(float alpha, float[] x, int xo, float[] y, int yo, int n) {
        FloatVector scale = FloatVector.broadcast(SPECIES, alpha);
        int i = 0;
        int bound = SPECIES.loopBound(n);
        for (; i < bound; i += LANES) {
            FloatVector.fromArray(SPECIES, x, xo + i).fma(scale, FloatVector.fromArray(SPECIES, y, yo + i))
                    .intoArray(y, yo + i);
        }
        for (; i < n; i++) {
            y[yo + i] += alpha * x[xo + i];
        }
    }

    private static final ThreadLocal<float[]> SCRATCH = ThreadLocal.withInitial(() -> new float[0]);

    /**
     * Returns this thread's scratch array with at least {@code size} floats (contents undefined). It is reused by
     * the next kernel call on the same thread, so a kernel must not hold it across calls.
     */
    static float[] scratch(int size) {
        float[] array = SCRATCH.get();
        if (array.length < size) {
            array = new float[size];
            SCRATCH.set(array);
        }
        return array;
    }
}
