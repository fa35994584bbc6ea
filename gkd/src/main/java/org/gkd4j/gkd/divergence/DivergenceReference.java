package org.gkd4j.gkd.divergence;

/**
 * The scalar reference of the per-row divergence kernel, in double precision: the definition that
 * {@link DivergenceKernel} is tested against. Rows: student logits z_S [V], teacher logits z_T [V].
 *
 * <p>Gradient. Every divergence here is a function of the student log-probabilities s = log_softmax(z_S/τ).
 * With u = ∂D/∂s (per vocabulary entry), the chain rule through log_softmax gives
 * ∂D/∂z_S = (u − S·Σ_j u_j) / τ. Each divergence therefore only supplies u (any multiple of S may be dropped from
 * u because it cancels):
 * <ul>
 *   <li>forward KL: u = −T;</li>
 *   <li>reverse KL: u = S (s − t);</li>
 *   <li>JSD(β), m = log(β·T + (1−β)·S): u = (1−β) S (s − m), because the two mixture terms cancel;</li>
 *   <li>skew KL(α), m = log(α·T + (1−α)·S): u = −(1−α) S · T/M;</li>
 *   <li>skew reverse KL(α), m = log((1−α)·T + α·S): u = S (s − m) − α S · S/M;</li>
 *   <li>total variation: u = ½ S · sign(S − T).</li>
 * </ul>
 * Products p·(log p − log q) are taken as 0 when p is 0, so an underflowed probability never yields 0·∞ = NaN.
 */
public final class DivergenceReference {

    static final int FORWARD_KL = 0;
    static final int REVERSE_KL = 1;
    static final int JSD = 2;
    static final int SKEW_KL = 3;
    static final int SKEW_REVERSE_KL = 4;
    static final int TOTAL_VARIATION = 5;

    private DivergenceReference() {
    }

    /**
     * Returns D(T‖S) for one row and, when {@code gradient} is not null, writes ∂D/∂z_S into it.
     * student, teacher, gradient: [V].
     */
    public static double evaluate(Divergence divergence, double[] student, double[] teacher, double tau,
                                  double[] gradient) {
        int v = student.length;
        if (teacher.length != v || (gradient != null && gradient.length != v)) {
            throw new IllegalArgumentException("divergence: student logits have V = " + v + " but teacher has "
                    + teacher.length + (gradient == null ? "" : " and gradient " + gradient.length)
                    + "; both models must share one vocabulary");
        }
        checkTemperature(tau);
        int kind = kind(divergence);
        double param = param(divergence);

        // log-softmax of both rows at temperature τ
        double[] s = logSoftmax(student, tau);
        double[] t = logSoftmax(teacher, tau);

        // per-entry loss terms and u = ∂D/∂s
        double loss = 0;
        double sumU = 0;
        double[] u = new double[v];
        double[] terms = new double[2];
        for (int i = 0; i < v; i++) {
            element(kind, param, StrictMath.exp(s[i]), s[i], StrictMath.exp(t[i]), t[i], terms);
            loss += terms[0];
            u[i] = terms[1];
            sumU += terms[1];
        }

        // chain rule through log_softmax(z_S/τ)
        if (gradient != null) {
            for (int i = 0; i < v; i++) {
                gradient[i] = (u[i] - StrictMath.exp(s[i]) * sumU) / tau;
            }
        }
        return loss;
    }

    /** Float-row convenience form of {@link #evaluate(Divergence, double[], double[], double, double[])}. */
    public static double evaluate(Divergence divergence, float[] student, float[] teacher, float tau,
                                  float[] gradient) {
        double[] grad = gradient == null ? null : new double[gradient.length];
        double loss = evaluate(divergence, toDouble(student), toDouble(teacher), tau, grad);
        if (gradient != null) {
            for (int i = 0; i < grad.length; i++) {
                gradient[i] = (float) grad[i];
            }
        }
        return loss;
    }

    /**
     * Computes one vocabulary entry: out[0] = its loss term, out[1] = u = ∂D/∂s at that entry.
     * bigS = S, s = log S, bigT = T, t = log T. Shared with the scalar tail of {@link DivergenceKernel}.
     */
    static void element(int kind, double param, double bigS, double s, double bigT, double t, double[] out) {
        switch (kind) {
            case FORWARD_KL -> {
                out[0] = times(bigT, t - s);
                out[1] = -bigT;
            }
            case REVERSE_KL -> {
                out[0] = times(bigS, s - t);
                out[1] = out[0];
            }
            case JSD -> {
                double m = logAddExp(t + StrictMath.log(param), s + StrictMath.log1p(-param));
                double studentTerm = times(bigS, s - m);
                out[0] = param * times(bigT, t - m) + (1 - param) * studentTerm;
                out[1] = (1 - param) * studentTerm;
            }
            case SKEW_KL -> {
                double m = logAddExp(t + StrictMath.log(param), s + StrictMath.log1p(-param));
                out[0] = times(bigT, t - m);
                out[1] = -(1 - param) * times(bigS, StrictMath.exp(t - m));
            }
            case SKEW_REVERSE_KL -> {
                double m = logAddExp(t + StrictMath.log1p(-param), s + StrictMath.log(param));
                double studentTerm = times(bigS, s - m);
                out[0] = studentTerm;
                out[1] = studentTerm - param * times(bigS, StrictMath.exp(s - m));
            }
            case TOTAL_VARIATION -> {
                double diff = bigS - bigT;
                out[0] = 0.5 * Math.abs(diff);
                out[1] = 0.5 * bigS * Math.signum(diff);
            }
            default -> throw new IllegalStateException("divergence kind " + kind);
        }
    }

    /** Maps a divergence to its kernel form; JSD at β = 0 and β = 1 is forward and reverse KL exactly. */
    static int kind(Divergence divergence) {
        return switch (divergence) {
            case Divergence.ForwardKl f -> FORWARD_KL;
            case Divergence.ReverseKl r -> REVERSE_KL;
            case Divergence.Jsd j when j.beta() == 0 -> FORWARD_KL;
            case Divergence.Jsd j when j.beta() == 1 -> REVERSE_KL;
            case Divergence.Jsd j -> JSD;
            case Divergence.SkewKl k -> SKEW_KL;
            case Divergence.SkewReverseKl k -> SKEW_REVERSE_KL;
            case Divergence.TotalVariation tv -> TOTAL_VARIATION;
        };
    }

    /** Returns β for JSD, α for the skew divergences, 0 otherwise. */
    static double param(Divergence divergence) {
        return switch (divergence) {
            case Divergence.Jsd j -> j.beta();
            case Divergence.SkewKl k -> k.alpha();
            case Divergence.SkewReverseKl k -> k.alpha();
            default -> 0;
        };
    }

    static void checkTemperature(double tau) {
        if (!(tau > 0) || Double.isInfinite(tau)) {
            throw new IllegalArgumentException("divergence: temperature τ is " + tau
                    + " but must be a positive finite number (1 for the plain softmax)");
        }
    }

    /** p·d with 0·d = 0 even when d is infinite (p·log p → 0 as p → 0). */
    private static double times(double p, double d) {
        return p == 0 ? 0 : p * d;
    }

    /** log(e^a + e^b) without overflow. */
    static double logAddExp(double a, double b) {
        double hi = Math.max(a, b);
        if (hi == Double.NEGATIVE_INFINITY) {
            return hi;
        }
        return hi + StrictMath.log1p(StrictMath.exp(-Math.abs(a - b)));
    }

    private static double[] logSoftmax(double[] logits, double tau) {
        double max = Double.NEGATIVE_INFINITY;
        for (double z : logits) {
            max = Math.max(max, z);
        }
        double sum = 0;
        for (double z : logits) {
            sum += StrictMath.exp((z - max) / tau);
        }
        double logSum = StrictMath.log(sum);
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = (logits[i] - max) / tau - logSum;
        }
        return out;
    }

    private static double[] toDouble(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
