package org.gkd4j.gkd.divergence;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorMask;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-row divergence kernel on the Vector API: value of D(T‖S) and ∂D/∂z_S for one row of student logits z_S
 * [V] and teacher logits z_T [V] at temperature τ. Same math as {@link DivergenceReference} (see there for u);
 * float lanes, with sums gathered per block of {@value #BLOCK} entries into doubles.
 *
 * <p>Four passes over V: (1) both maxima; (2) exp((z − max)/τ) of both rows into the scratch buffer and their sums;
 * (3) the loss terms and u = ∂D/∂s, u into the gradient row and S into the scratch; (4) the gradient
 * (u − S·Σu)·scale/τ. Passes 3 and 4 read only the scratch and the gradient, so a row costs two exponentials per
 * entry, plus one exp and one log1p for the divergences with a mixture M.
 */
public final class DivergenceKernel {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    /** Entries summed in float lanes before the partial sum moves into a double. */
    private static final int BLOCK = 1024;

    private DivergenceKernel() {
    }

    /** Returns the scratch length that {@link #evaluate} needs for vocabulary size v. */
    public static int scratchLength(int v) {
        return 2 * v;
    }

    /**
     * Returns D(T‖S) for one row and, when {@code gradient} is not null, writes gradScale·∂D/∂z_S into
     * gradient[gradOffset .. gradOffset + v). student, teacher: rows of v logits at their offsets;
     * scratch: at least {@link #scratchLength}(v) floats, overwritten. The gradient row may not overlap the inputs.
     */
    public static double evaluate(Divergence divergence, float[] student, int studentOffset, float[] teacher,
                                  int teacherOffset, int v, float tau, float[] gradient, int gradOffset,
                                  float gradScale, float[] scratch) {
        if (v < 1 || scratch.length < 2 * v) {
            throw new IllegalArgumentException("divergence: vocabulary " + v + " with a scratch of "
                    + scratch.length + " floats; need V ≥ 1 and a scratch of at least 2·V");
        }
        DivergenceReference.checkTemperature(tau);
        int kind = DivergenceReference.kind(divergence);
        double param = DivergenceReference.param(divergence);
        float invTau = 1f / tau;

        // pass 1: maxima of both rows
        float maxS = max(student, studentOffset, v);
        float maxT = max(teacher, teacherOffset, v);

        // pass 2: unnormalised probabilities exp((z − max)/τ), students in scratch[0, v), teachers in [v, 2v)
        double sumS = expAndSum(student, studentOffset, maxS, invTau, scratch, 0, v);
        double sumT = expAndSum(teacher, teacherOffset, maxT, invTau, scratch, v, v);
        Row row = new Row(maxS, maxT, invTau, (float) (1 / sumS), (float) (1 / sumT), (float) Math.log(sumS),
                (float) Math.log(sumT));

        // pass 3: loss terms and u
        double[] sums = new double[2];
        termsAndU(kind, param, row, student, studentOffset, teacher, teacherOffset, v, gradient, gradOffset,
                scratch, sums);

        // pass 4: chain rule through log_softmax(z_S/τ)
        if (gradient != null) {
            gradient(gradient, gradOffset, scratch, v, (float) sums[1], gradScale * invTau);
        }
        return sums[0];
    }

    /** Row constants: maxima, 1/τ, 1/Σ and log Σ of the exponentials of both rows. */
    private record Row(float maxS, float maxT, float invTau, float invSumS, float invSumT, float logSumS,
                       float logSumT) {
    }

    private static float max(float[] x, int offset, int v) {
        int upper = F.loopBound(v);
        FloatVector acc = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
        for (int i = 0; i < upper; i += LANES) {
            acc = acc.max(FloatVector.fromArray(F, x, offset + i));
        }
        float max = acc.reduceLanes(VectorOperators.MAX);
        for (int i = upper; i < v; i++) {
            max = Math.max(max, x[offset + i]);
        }
        return max;
    }

    private static double expAndSum(float[] x, int offset, float max, float invTau, float[] out, int outOffset,
                                    int v) {
        int upper = F.loopBound(v);
        double sum = 0;
        for (int block = 0; block < upper; block += BLOCK) {
            int end = Math.min(block + BLOCK, upper);
            FloatVector acc = FloatVector.zero(F);
            for (int i = block; i < end; i += LANES) {
                FloatVector e = FloatVector.fromArray(F, x, offset + i).sub(max).mul(invTau)
                        .lanewise(VectorOperators.EXP);
                e.intoArray(out, outOffset + i);
                acc = acc.add(e);
            }
            sum += acc.reduceLanes(VectorOperators.ADD);
        }
        for (int i = upper; i < v; i++) {
            float e = (float) Math.exp((x[offset + i] - max) * invTau);
            out[outOffset + i] = e;
            sum += e;
        }
        return sum;
    }

    /**
     * Pass 3. sums[0] += Σ loss terms, sums[1] += Σ u. With a gradient row, u goes there and S replaces the
     * student exponentials in scratch[0, v).
     */
    private static void termsAndU(int kind, double param, Row row, float[] student, int studentOffset,
                                  float[] teacher, int teacherOffset, int v, float[] gradient, int gradOffset,
                                  float[] scratch, double[] sums) {
        int upper = F.loopBound(v);
        float p = (float) param;
        float logP = (float) Math.log(param);
        float log1mP = (float) Math.log1p(-param);
        for (int block = 0; block < upper; block += BLOCK) {
            int end = Math.min(block + BLOCK, upper);
            FloatVector lossAcc = FloatVector.zero(F);
            FloatVector uAcc = FloatVector.zero(F);
            for (int i = block; i < end; i += LANES) {
                FloatVector bigS = FloatVector.fromArray(F, scratch, i).mul(row.invSumS);
                FloatVector bigT = FloatVector.fromArray(F, scratch, v + i).mul(row.invSumT);
                FloatVector s = FloatVector.fromArray(F, student, studentOffset + i).sub(row.maxS).mul(row.invTau)
                        .sub(row.logSumS);
                FloatVector t = FloatVector.fromArray(F, teacher, teacherOffset + i).sub(row.maxT)
                        .mul(row.invTau).sub(row.logSumT);
                FloatVector term;
                FloatVector u;
                switch (kind) {
                    case DivergenceReference.FORWARD_KL -> {
                        term = times(bigT, t.sub(s));
                        u = bigT.neg();
                    }
                    case DivergenceReference.REVERSE_KL -> {
                        term = times(bigS, s.sub(t));
                        u = term;
                    }
                    case DivergenceReference.JSD -> {
                        FloatVector m = logAddExp(t.add(logP), s.add(log1mP));
                        FloatVector studentTerm = times(bigS, s.sub(m));
                        term = times(bigT, t.sub(m)).mul(p).add(studentTerm.mul(1 - p));
                        u = studentTerm.mul(1 - p);
                    }
                    case DivergenceReference.SKEW_KL -> {
                        FloatVector m = logAddExp(t.add(logP), s.add(log1mP));
                        FloatVector tm = t.sub(m);
                        term = times(bigT, tm);
                        u = bigS.mul(tm.lanewise(VectorOperators.EXP)).mul(p - 1);
                    }
                    case DivergenceReference.SKEW_REVERSE_KL -> {
                        FloatVector m = logAddExp(t.add(log1mP), s.add(logP));
                        FloatVector sm = s.sub(m);
                        term = times(bigS, sm);
                        u = term.sub(bigS.mul(sm.lanewise(VectorOperators.EXP)).mul(p));
                    }
                    default -> {
                        FloatVector diff = bigS.sub(bigT);
                        term = diff.abs().mul(0.5f);
                        FloatVector half = bigS.mul(0.5f);
                        u = FloatVector.zero(F).blend(half, diff.compare(VectorOperators.GT, 0f))
                                .blend(half.neg(), diff.compare(VectorOperators.LT, 0f));
                    }
                }
                lossAcc = lossAcc.add(term);
                uAcc = uAcc.add(u);
                if (gradient != null) {
                    u.intoArray(gradient, gradOffset + i);
                    bigS.intoArray(scratch, i);
                }
            }
            sums[0] += lossAcc.reduceLanes(VectorOperators.ADD);
            sums[1] += uAcc.reduceLanes(VectorOperators.ADD);
        }

        // scalar tail, in double
        double[] terms = new double[2];
        for (int i = upper; i < v; i++) {
            double bigS = scratch[i] * (double) row.invSumS;
            double bigT = scratch[v + i] * (double) row.invSumT;
            double s = (student[studentOffset + i] - row.maxS) * (double) row.invTau - row.logSumS;
            double t = (teacher[teacherOffset + i] - row.maxT) * (double) row.invTau - row.logSumT;
            DivergenceReference.element(kind, param, bigS, s, bigT, t, terms);
            sums[0] += terms[0];
            sums[1] += terms[1];
            if (gradient != null) {
                gradient[gradOffset + i] = (float) terms[1];
                scratch[i] = (float) bigS;
            }
        }
    }

    /** Pass 4: gradient = (u − S·Σu)·k, with u already in the gradient row and S in scratch[0, v). */
    private static void gradient(float[] gradient, int gradOffset, float[] scratch, int v, float sumU, float k) {
        int upper = F.loopBound(v);
        for (int i = 0; i < upper; i += LANES) {
            FloatVector u = FloatVector.fromArray(F, gradient, gradOffset + i);
            FloatVector bigS = FloatVector.fromArray(F, scratch, i);
            u.sub(bigS.mul(sumU)).mul(k).intoArray(gradient, gradOffset + i);
        }
        for (int i = upper; i < v; i++) {
            gradient[gradOffset + i] = (gradient[gradOffset + i] - scratch[i] * sumU) * k;
        }
    }

    /** p·d with lanes where p is 0 set to 0, so 0·log 0 = 0 rather than NaN. */
    private static FloatVector times(FloatVector p, FloatVector d) {
        VectorMask<Float> zero = p.compare(VectorOperators.EQ, 0f);
        return p.mul(d).blend(0f, zero);
    }

    /** log(e^a + e^b) = max(a, b) + log1p(exp(−|a − b|)). */
    private static FloatVector logAddExp(FloatVector a, FloatVector b) {
        FloatVector gap = a.sub(b).abs().neg().lanewise(VectorOperators.EXP).lanewise(VectorOperators.LOG1P);
        return a.max(b).add(gap);
    }
}
