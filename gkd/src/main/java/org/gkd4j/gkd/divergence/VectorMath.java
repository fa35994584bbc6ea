package org.gkd4j.gkd.divergence;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.IntVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * Polynomial exp and log1p over float arrays, on the Vector API, for the divergence kernels.
 *
 * <p>NOTE: {@code lanewise(VectorOperators.EXP)} measured about 15 ns per float against about 0.3 ns for a multiply
 * in the same loop (JDK 25 Temurin, x86 AVX2, 2 shared cores), so it is not intrinsified on that machine. The functions
 * work on arrays rather than on vectors on purpose. A helper that takes or returns a vector is boxed (about 100
 * bytes per vector) wherever C2 declines to inline it. That happened once the helper had been compiled on its
 * own ("already compiled into a big method") or once the loop body passed the node budget.
 */
final class VectorMath {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    private static final float LOG2E = 1.44269504088896341f;
    /** ln 2 split into a part exact in float and the remainder (Cody-Waite), so x − k·ln 2 keeps its low bits. */
    private static final float LN2_HI = 0.693359375f;
    private static final float LN2_LO = -2.12194440e-4f;
    private static final float LN2 = 0.69314718f;
    /** Adding then subtracting 1.5·2²³ rounds a float of magnitude below 2²² to the nearest integer. */
    private static final float ROUND = 12582912f;
    /** ln(2⁻¹²⁶): below it the result would be subnormal, and exp returns 0 there. */
    private static final float EXP_MIN = -87.33654f;
    private static final float EXP_MAX = 88.37626f;
    private static final float SQRT2 = 1.41421356f;

    private VectorMath() {
    }

    /**
     * out[i] = e^((x[i] − shift)·scale) for i in [0, n), and returns the sum of the outputs (float lanes per
     * block, then double). out may be x itself. The result is 0 below ln(2⁻¹²⁶) (including −∞) and within about
     * 2e-7 relative of {@link Math#exp} elsewhere.
     */
    static double exp(float[] x, int xOffset, float shift, float scale, float[] out, int outOffset, int n) {
        int upper = F.loopBound(n);
        double sum = 0;
        float[] lanes = new float[LANES];
        for (int block = 0; block < upper; block += 1024) {
            int end = Math.min(block + 1024, upper);
            FloatVector acc = FloatVector.zero(F);
            for (int i = block; i < end; i += LANES) {
                FloatVector arg = FloatVector.fromArray(F, x, xOffset + i).sub(shift).mul(scale);
                VectorMask<Float> underflow = arg.compare(VectorOperators.LT, EXP_MIN);
                FloatVector clamped = arg.max(EXP_MIN).min(EXP_MAX);

                // arg = k·ln 2 + r with |r| ≤ ln 2 / 2
                FloatVector k = clamped.mul(LOG2E).add(ROUND).sub(ROUND);
                FloatVector r = clamped.sub(k.mul(LN2_HI)).sub(k.mul(LN2_LO));

                // e^r by its Taylor series to r⁷ (truncation below 6e-9 relative on |r| ≤ 0.347), Horner form
                FloatVector p = r.mul(1f / 5040).add(1f / 720);
                p = p.mul(r).add(1f / 120);
                p = p.mul(r).add(1f / 24);
                p = p.mul(r).add(1f / 6);
                p = p.mul(r).add(0.5f);
                p = p.mul(r).add(1f);
                p = p.mul(r).add(1f);

                // 2^k built in the exponent bits; k lies in [−126, 127] after the clamp
                IntVector bits = ((IntVector) k.convert(VectorOperators.F2I, 0)).add(127)
                        .lanewise(VectorOperators.LSHL, 23);
                FloatVector e = p.mul(bits.reinterpretAsFloats()).blend(0f, underflow);
                e.intoArray(out, outOffset + i);
                acc = acc.add(e);
            }
            sum += sumLanes(acc, lanes);
        }
        for (int i = upper; i < n; i++) {
            float arg = (x[xOffset + i] - shift) * scale;
            float e = arg < EXP_MIN ? 0f : (float) StrictMath.exp(arg);
            out[outOffset + i] = e;
            sum += e;
        }
        return sum;
    }

    /**
     * Returns the sum of the lanes of acc in lane order, in double. {@code reduceLanes(ADD)} leaves the order open,
     * and it differed in the last bit between interpreted and compiled code, so a rerun did not repeat bit for bit.
     */
    static double sumLanes(FloatVector acc, float[] lanes) {
        acc.intoArray(lanes, 0);
        double sum = 0;
        for (float lane : lanes) {
            sum += lane;
        }
        return sum;
    }

    /** a[i] = log(1 + a[i]) in place for a[i] in [0, 1], absolute error about 1e-7. */
    static void log1pUnit(float[] a, int offset, int n) {
        int upper = F.loopBound(n);
        for (int i = 0; i < upper; i += LANES) {
            // w = 1 + a lies in [1, 2]; fold (√2, 2] onto (√2/2, 1] and add ln 2 back
            FloatVector w = FloatVector.fromArray(F, a, offset + i).add(1f);
            VectorMask<Float> high = w.compare(VectorOperators.GT, SQRT2);
            FloatVector f = w.blend(w.mul(0.5f), high);
            FloatVector ln2 = FloatVector.zero(F).blend(LN2, high);

            // log f = 2·atanh(z), z = (f − 1)/(f + 1), |z| ≤ 0.172, series to z⁹ (truncation below 4e-10)
            FloatVector z = f.sub(1f).div(f.add(1f));
            FloatVector z2 = z.mul(z);
            FloatVector series = z2.mul(2f / 9).add(2f / 7);
            series = series.mul(z2).add(2f / 5);
            series = series.mul(z2).add(2f / 3);
            series = series.mul(z2).add(2f);
            series.mul(z).add(ln2).intoArray(a, offset + i);
        }
        for (int i = upper; i < n; i++) {
            a[offset + i] = (float) StrictMath.log1p(a[offset + i]);
        }
    }
}
