package org.gkd4j.gkd.divergence;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The per-row divergence kernel on the Vector API: value of D(T‖S) and ∂D/∂z_S for one row of student logits z_S
 * [V] and teacher logits z_T [V] at temperature τ. Same math as {@link DivergenceReference} (see there for u);
 * float lanes, with sums gathered per block of {@value #BLOCK} entries into doubles.
 *
 * <p>Passes over V: (1) both maxima; (2) exp((z − max)/τ) of both rows into the scratch buffer and their sums;
 * (3a) for JSD and the skew divergences only, the mixture log m (one exp and one log1p per entry, and one more
 * exp for the ratio T/M or S/M of the skew divergences); (3) the loss terms and u = ∂D/∂s, u into the gradient
 * row and S into the scratch; (4) the gradient (u − S·Σu)·scale/τ. Pass 3 reuses the exponentials of pass 2, so
 * forward KL, reverse KL and total variation cost two exponentials per entry.
 */
public final class DivergenceKernel {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_PREFERRED;
    private static final int LANES = F.length();
    /** Entries summed in float lanes before the partial sum moves into a double. */
    private static final int BLOCK = 1024;
    /**
     * Floor of the log-probabilities s and t. They are finite for finite logits (computed as (z − max)/τ − log Σ,
     * never as log of an underflowed probability), so p·(log p − log q) is 0 when p underflows to 0. The floor
     * extends that to −∞ logits: 0·(finite) = 0 instead of 0·∞ = NaN, and T·(t − s) against a −∞ student logit
     * costs about T·1e30 instead of +∞. A per-lane zero test would be exact, but it made the loop bodies too large
     * for C2 to inline (NodeCountInliningCutoff), which boxes every vector.
     */
    static final float LOGPROB_FLOOR = -1e30f;

    private DivergenceKernel() {
    }

    /** Returns the scratch length that {@link #evaluate} needs for vocabulary size v. */
    public static int scratchLength(int v) {
        return 4 * v;
    }

    /**
     * Returns D(T‖S) for one row and, when {@code gradient} is not null, writes gradScale·∂D/∂z_S into
     * gradient[gradOffset .. gradOffset + v). student, teacher: rows of v logits at their offsets;
     * scratch: at least {@link #scratchLength}(v) floats, overwritten. The gradient row may not overlap the inputs.
     */
    public static double evaluate(Divergence divergence, float[] student, int studentOffset, float[] teacher,
                                  int teacherOffset, int v, float tau, float[] gradient, int gradOffset,
                                  float gradScale, float[] scratch) {
        if (v < 1 || scratch.length < scratchLength(v)) {
            throw new IllegalArgumentException("divergence: vocabulary " + v + " with a scratch of "
                    + scratch.length + " floats; need V ≥ 1 and a scratch of scratchLength(V) = 4·V");
        }
        DivergenceReference.checkTemperature(tau);
        int kind = DivergenceReference.kind(divergence);
        double param = DivergenceReference.param(divergence);
        float invTau = 1f / tau;

        // pass 1: maxima of both rows
        float maxS = max(student, studentOffset, v);
        float maxT = max(teacher, teacherOffset, v);

        // pass 2: unnormalised probabilities exp((z − max)/τ), students in scratch[0, v), teachers in [v, 2v)
        double sumS = VectorMath.exp(student, studentOffset, maxS, invTau, scratch, 0, v);
        double sumT = VectorMath.exp(teacher, teacherOffset, maxT, invTau, scratch, v, v);
        Row row = new Row(maxS, maxT, invTau, (float) (1 / sumS), (float) (1 / sumT), (float) StrictMath.log(sumS),
                (float) StrictMath.log(sumT));

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

    /**
     * Pass 3. sums[0] += Σ loss terms, sums[1] += Σ u. With a gradient row, u goes there and S replaces the
     * student exponentials in scratch[0, v). One loop per divergence, so no vector value merges across branches
     * (such merges made C2 allocate a box per vector: 1 to 3 MB per row at V = 32000).
     */
    private static void termsAndU(int kind, double param, Row row, float[] student, int studentOffset,
                                  float[] teacher, int teacherOffset, int v, float[] gradient, int gradOffset,
                                  float[] scratch, double[] sums) {
        Pass pass = new Pass(row, student, studentOffset, teacher, teacherOffset, v, gradient, gradOffset, scratch);
        int upper = F.loopBound(v);
        float p = (float) param;
        float logP = (float) StrictMath.log(param);
        float log1mP = (float) StrictMath.log1p(-param);
        switch (kind) {
            case DivergenceReference.FORWARD_KL -> forwardKl(pass, upper);
            case DivergenceReference.REVERSE_KL -> reverseKl(pass, upper);
            case DivergenceReference.JSD -> {
                mixture(pass, upper, logP, log1mP, false, false);
                jsd(pass, upper, p);
            }
            case DivergenceReference.SKEW_KL -> {
                mixture(pass, upper, logP, log1mP, true, true);
                skewKl(pass, upper, p);
            }
            case DivergenceReference.SKEW_REVERSE_KL -> {
                mixture(pass, upper, log1mP, logP, true, false);
                skewReverseKl(pass, upper, p);
            }
            default -> totalVariation(pass, upper);
        }
        sums[0] = pass.loss;
        sums[1] = pass.sumU;

        // scalar tail, in double
        double[] terms = new double[2];
        for (int i = upper; i < v; i++) {
            double bigS = scratch[i] * (double) row.invSumS;
            double bigT = scratch[v + i] * (double) row.invSumT;
            double s = Math.max(LOGPROB_FLOOR, (student[studentOffset + i] - row.maxS) * (double) row.invTau
                    - row.logSumS);
            double t = Math.max(LOGPROB_FLOOR, (teacher[teacherOffset + i] - row.maxT) * (double) row.invTau
                    - row.logSumT);
            DivergenceReference.element(kind, param, bigS, s, bigT, t, terms);
            sums[0] += terms[0];
            sums[1] += terms[1];
            if (gradient != null) {
                gradient[gradOffset + i] = (float) terms[1];
                scratch[i] = (float) bigS;
            }
        }
    }

    /** The arrays and row constants of pass 3, with its two running sums. */
    private static final class Pass {
        final Row row;
        final float[] student;
        final int studentOffset;
        final float[] teacher;
        final int teacherOffset;
        final int v;
        final float[] gradient;
        final int gradOffset;
        final float[] scratch;
        final float[] lanes = new float[LANES];
        double loss;
        double sumU;

        Pass(Row row, float[] student, int studentOffset, float[] teacher, int teacherOffset, int v,
             float[] gradient, int gradOffset, float[] scratch) {
            this.row = row;
            this.student = student;
            this.studentOffset = studentOffset;
            this.teacher = teacher;
            this.teacherOffset = teacherOffset;
            this.v = v;
            this.gradient = gradient;
            this.gradOffset = gradOffset;
            this.scratch = scratch;
        }

        FloatVector studentProbs(int i) {
            return FloatVector.fromArray(F, scratch, i).mul(row.invSumS);
        }

        FloatVector teacherProbs(int i) {
            return FloatVector.fromArray(F, scratch, v + i).mul(row.invSumT);
        }

        /** s = (z_S − max)/τ − log Σ. */
        FloatVector studentLogprobs(int i) {
            return FloatVector.fromArray(F, student, studentOffset + i).sub(row.maxS).mul(row.invTau)
                    .sub(row.logSumS).max(LOGPROB_FLOOR);
        }

        FloatVector teacherLogprobs(int i) {
            return FloatVector.fromArray(F, teacher, teacherOffset + i).sub(row.maxT).mul(row.invTau)
                    .sub(row.logSumT).max(LOGPROB_FLOOR);
        }

        /** Returns m = log M at entry i, written by {@link #mixture}. */
        FloatVector mixtureAt(int i) {
            return FloatVector.fromArray(F, scratch, 2 * v + i);
        }

        /** Returns e^(x − m) at entry i, written by {@link #mixture}. */
        FloatVector ratioAt(int i) {
            return FloatVector.fromArray(F, scratch, 3 * v + i);
        }

        /** Keeps u and S for pass 4 when a gradient is requested. */
        void store(int i, FloatVector u, FloatVector bigS) {
            if (gradient != null) {
                u.intoArray(gradient, gradOffset + i);
                bigS.intoArray(scratch, i);
            }
        }

        void add(FloatVector lossAcc, FloatVector uAcc) {
            loss += VectorMath.sumLanes(lossAcc, lanes);
            sumU += VectorMath.sumLanes(uAcc, lanes);
        }
    }

    /** KL(T‖S): term T (t − s), u = −T. */
    private static void forwardKl(Pass pass, int upper) {
        for (int block = 0; block < upper; block += BLOCK) {
            int end = Math.min(block + BLOCK, upper);
            FloatVector lossAcc = FloatVector.zero(F);
            FloatVector uAcc = FloatVector.zero(F);
            for (int i = block; i < end; i += LANES) {
                FloatVector bigT = pass.teacherProbs(i);
                FloatVector term = bigT.mul(pass.teacherLogprobs(i).sub(pass.studentLogprobs(i)));
                FloatVector u = bigT.neg();
                lossAcc = lossAcc.add(term);
                uAcc = uAcc.add(u);
                pass.store(i, u, pass.studentProbs(i));
            }
            pass.add(lossAcc, uAcc);
        }
    }

    /** KL(S‖T): term S (s − t), u = the same term. */
    private static void reverseKl(Pass pass, int upper) {
        for (int block = 0; block < upper; block += BLOCK) {
            int end = Math.min(block + BLOCK, upper);
            FloatVector lossAcc = FloatVector.zero(F);
            FloatVector uAcc = FloatVector.zero(F);
            for (int i = block; i < end; i += LANES) {
                FloatVector bigS = pass.studentProbs(i);
                FloatVector term = bigS.mul(pass.studentLogprobs(i).sub(pass.teacherLogprobs(i)));
                lossAcc = lossAcc.add(term);
                uAcc = uAcc.add(term);
                pass.store(i, term, bigS);
            }
            pass.add(lossAcc, uAcc);
        }
    }

    /** JSD(β), m = log(β·T + (1−β)·S): term β T (t − m) + (1−β) S (s − m), u = (1−β) S (s − m). */
    private static void jsd(Pass pass, int upper, float beta) {
        for (int block = 0; block < upper; block += BLOCK) {
            int end = Math.min(block + BLOCK, upper);
            FloatVector lossAcc = FloatVector.zero(F);
            FloatVector uAcc = FloatVector.zero(F);
            for (int i = block; i < end; i += LANES) {
                FloatVector bigS = pass.studentProbs(i);
                FloatVector bigT = pass.teacherProbs(i);
                FloatVector s = pass.studentLogprobs(i);
                FloatVector t = pass.teacherLogprobs(i);
                FloatVector m = pass.mixtureAt(i);
                FloatVector u = bigS.mul(s.sub(m)).mul(1 - beta);
                FloatVector term = bigT.mul(t.sub(m)).mul(beta).add(u);
                lossAcc = lossAcc.add(term);
                uAcc = uAcc.add(u);
                pass.store(i, u, bigS);
            }
            pass.add(lossAcc, uAcc);
        }
    }

    /** Skew KL(α), m = log(α·T + (1−α)·S): term T (t − m), u = −(1−α) S e^(t − m). */
    private static void skewKl(Pass pass, int upper, float alpha) {
        for (int block = 0; block < upper; block += BLOCK) {
            int end = Math.min(block + BLOCK, upper);
            FloatVector lossAcc = FloatVector.zero(F);
            FloatVector uAcc = FloatVector.zero(F);
            for (int i = block; i < end; i += LANES) {
                FloatVector tm = pass.teacherLogprobs(i).sub(pass.mixtureAt(i));
                FloatVector ratio = pass.ratioAt(i);
                FloatVector bigS = pass.studentProbs(i);
                FloatVector term = pass.teacherProbs(i).mul(tm);
                FloatVector u = bigS.mul(ratio).mul(alpha - 1);
                lossAcc = lossAcc.add(term);
                uAcc = uAcc.add(u);
                pass.store(i, u, bigS);
            }
            pass.add(lossAcc, uAcc);
        }
    }

    /** Skew reverse KL(α), m = log((1−α)·T + α·S): term S (s − m), u = term − α S e^(s − m). */
    private static void skewReverseKl(Pass pass, int upper, float alpha) {
        for (int block = 0; block < upper; block += BLOCK) {
            int end = Math.min(block + BLOCK, upper);
            FloatVector lossAcc = FloatVector.zero(F);
            FloatVector uAcc = FloatVector.zero(F);
            for (int i = block; i < end; i += LANES) {
                FloatVector sm = pass.studentLogprobs(i).sub(pass.mixtureAt(i));
                FloatVector ratio = pass.ratioAt(i);
                FloatVector bigS = pass.studentProbs(i);
                FloatVector term = bigS.mul(sm);
                FloatVector u = term.sub(bigS.mul(ratio).mul(alpha));
                lossAcc = lossAcc.add(term);
                uAcc = uAcc.add(u);
                pass.store(i, u, bigS);
            }
            pass.add(lossAcc, uAcc);
        }
    }

    /** Total variation: term ½ |S − T|, u = ½ S sign(S − T). */
    private static void totalVariation(Pass pass, int upper) {
        for (int block = 0; block < upper; block += BLOCK) {
            int end = Math.min(block + BLOCK, upper);
            FloatVector lossAcc = FloatVector.zero(F);
            FloatVector uAcc = FloatVector.zero(F);
            for (int i = block; i < end; i += LANES) {
                FloatVector bigS = pass.studentProbs(i);
                FloatVector diff = bigS.sub(pass.teacherProbs(i));
                FloatVector term = diff.abs().mul(0.5f);
                FloatVector half = bigS.mul(0.5f);
                FloatVector u = half.blend(half.neg(), diff.compare(VectorOperators.LT, 0f))
                        .blend(0f, diff.compare(VectorOperators.EQ, 0f));
                lossAcc = lossAcc.add(term);
                uAcc = uAcc.add(u);
                pass.store(i, u, bigS);
            }
            pass.add(lossAcc, uAcc);
        }
    }

    /**
     * Pass 3a of the mixture divergences: m = log(e^(t + logWeightT) + e^(s + logWeightS)), the log of the mixture
     * M, as max(a, b) + log1p(e^(−|a − b|)) into scratch[2v, 3v) for the vector part of the row. With
     * {@code ratio} it also writes e^(x − m) into scratch[3v, 4v), with x = t when {@code ratioOfTeacher} (T/M of
     * skew KL) and x = s otherwise (S/M of skew reverse KL).
     */
    private static void mixture(Pass pass, int upper, float logWeightT, float logWeightS, boolean ratio,
                                boolean ratioOfTeacher) {
        // the loops load directly rather than through Pass: this method inlines VectorMath, which uses up C2's
        // node budget, and a Pass accessor that is then not inlined boxes its vector
        float[] scratch = pass.scratch;
        float[] student = pass.student;
        float[] teacher = pass.teacher;
        int studentOffset = pass.studentOffset;
        int teacherOffset = pass.teacherOffset;
        Row row = pass.row;
        int mixOffset = 2 * pass.v;
        int gapOffset = 3 * pass.v;

        // a = t + log w_T, b = s + log w_S: max(a, b) and |a − b|
        for (int i = 0; i < upper; i += LANES) {
            FloatVector a = FloatVector.fromArray(F, teacher, teacherOffset + i).sub(row.maxT()).mul(row.invTau())
                    .sub(row.logSumT()).max(LOGPROB_FLOOR).add(logWeightT);
            FloatVector b = FloatVector.fromArray(F, student, studentOffset + i).sub(row.maxS()).mul(row.invTau())
                    .sub(row.logSumS()).max(LOGPROB_FLOOR).add(logWeightS);
            a.max(b).intoArray(scratch, mixOffset + i);
            a.sub(b).abs().intoArray(scratch, gapOffset + i);
        }

        // m = max(a, b) + log1p(e^(−|a − b|))
        VectorMath.exp(scratch, gapOffset, 0f, -1f, scratch, gapOffset, upper);
        VectorMath.log1pUnit(scratch, gapOffset, upper);
        for (int i = 0; i < upper; i += LANES) {
            FloatVector hi = FloatVector.fromArray(F, scratch, mixOffset + i);
            hi.add(FloatVector.fromArray(F, scratch, gapOffset + i)).intoArray(scratch, mixOffset + i);
        }
        if (!ratio) {
            return;
        }

        // e^(x − m), x the log-probabilities computed as in Pass
        float[] logits = ratioOfTeacher ? teacher : student;
        int logitsOffset = ratioOfTeacher ? teacherOffset : studentOffset;
        float max = ratioOfTeacher ? row.maxT() : row.maxS();
        float logSum = ratioOfTeacher ? row.logSumT() : row.logSumS();
        for (int i = 0; i < upper; i += LANES) {
            FloatVector x = FloatVector.fromArray(F, logits, logitsOffset + i).sub(max).mul(row.invTau())
                    .sub(logSum).max(LOGPROB_FLOOR);
            x.sub(FloatVector.fromArray(F, scratch, mixOffset + i)).intoArray(scratch, gapOffset + i);
        }
        VectorMath.exp(scratch, gapOffset, 0f, 1f, scratch, gapOffset, upper);
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
}
