package org.gkd4j.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * exp and lane sums that give the same bits in interpreted, C1 and C2 code, for decoding and sampling that repeat
 * bit for bit (a resumed training run must sample the same tokens as a straight one).
 *
 * <p>{@code lanewise(EXP)} and {@code reduceLanes(ADD)} need not: compiled code may call a vector math library
 * that interpreted code does not, and the order of the additions is left open. This exp uses only IEEE add,
 * multiply and fused multiply-add, so the vector and scalar forms agree exactly: Cody–Waite reduction
 * x = n·ln 2 + r, then Cephes' polynomial for exp(r), scaled by 2ⁿ through the exponent bits. It stays within
 * 3 ulp of StrictMath.exp on [-87, 88] (tested). Inputs are clamped to that range, so exp(-∞) is about 1e-38.
 */
public final class RepeatableMath {

    static final VectorSpecies<Float> F = FloatVector.SPECIES_256.length() <= FloatVector.SPECIES_PREFERRED.length()
            ? FloatVector.SPECIES_256 : FloatVector.SPECIES_PREFERRED;

    private static final float MIN = -87.3f;
    private static final float MAX = 88.3f;
    private static final float LOG2E = 1.44269504088896341f;
    // round to the nearest integer by adding and removing 1.5·2²³ (exact for |x| < 2²²)
    private static final float ROUND = 12582912f;
    // ln 2 split into a part with few mantissa bits and the rest, so n·LN2_HI is exact
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float P0 = 1.9875691500e-4f;
    private static final float P1 = 1.3981999507e-3f;
    private static final float P2 = 8.3334519073e-3f;
    private static final float P3 = 4.1665795894e-2f;
    private static final float P4 = 1.6666665459e-1f;
    private static final float P5 = 5.0000001201e-1f;

    private RepeatableMath() {
    }

    /** exp of every lane. */
    public static FloatVector exp(FloatVector x) {
        FloatVector clamped = x.max(MIN).min(MAX);
        FloatVector n = clamped.mul(LOG2E).add(ROUND).sub(ROUND);
        FloatVector r = n.fma(FloatVector.broadcast(F, -LN2_HI), clamped);
        r = n.fma(FloatVector.broadcast(F, -LN2_LO), r);
        FloatVector p = r.fma(FloatVector.broadcast(F, P0), FloatVector.broadcast(F, P1));
        p = p.fma(r, FloatVector.broadcast(F, P2));
        p = p.fma(r, FloatVector.broadcast(F, P3));
        p = p.fma(r, FloatVector.broadcast(F, P4));
        p = p.fma(r, FloatVector.broadcast(F, P5));
        FloatVector y = p.mul(r).fma(r, r.add(1f));
        IntVector exponent = (IntVector) n.convert(VectorOperators.F2I, 0);
        FloatVector scale = exponent.add(127).lanewise(VectorOperators.LSHL, 23).reinterpretAsFloats();
        return y.mul(scale);
    }

    /** exp(x), bit for bit the same as one lane of {@link #exp(FloatVector)}. */
    public static float exp(float x) {
        float clamped = Math.min(Math.max(x, MIN), MAX);
        float n = clamped * LOG2E + ROUND - ROUND;
        float r = Math.fma(n, -LN2_HI, clamped);
        r = Math.fma(n, -LN2_LO, r);
        float p = Math.fma(r, P0, P1);
        p = Math.fma(p, r, P2);
        p = Math.fma(p, r, P3);
        p = Math.fma(p, r, P4);
        p = Math.fma(p, r, P5);
        float y = Math.fma(p * r, r, r + 1f);
        return y * Float.intBitsToFloat(((int) n + 127) << 23);
    }

    /** Σ of the lanes, added in lane order. */
    public static float sumLanes(FloatVector v) {
        float sum = 0f;
        for (int i = 0; i < v.length(); i++) {
            sum += v.lane(i);
        }
        return sum;
    }

    /** Returns the vector species these functions use: 256 bits where the machine has them. */
    public static VectorSpecies<Float> species() {
        return F;
    }
}
