package org.gkd4j.gkd.divergence;

import java.util.Locale;

/**
 * A divergence D(T‖S) between the teacher distribution T and the student distribution S over the vocabulary, for
 * one position. Both come from logits at the loss temperature τ: S = softmax(z_S/τ), T = softmax(z_T/τ),
 * s = log S, t = log T.
 *
 * <ul>
 *   <li>{@link ForwardKl}: KL(T‖S) = Σ T (t − s).</li>
 *   <li>{@link ReverseKl}: KL(S‖T) = Σ S (s − t).</li>
 *   <li>{@link Jsd} (generalized Jensen-Shannon, β = jsdBeta): with M = β·T + (1−β)·S,
 *       β·KL(T‖M) + (1−β)·KL(S‖M). β = 0 is forward KL and β = 1 is reverse KL exactly (the interior formula
 *       tends to 0 at both ends, so the ends are not computed with it).</li>
 *   <li>{@link SkewKl} (α): KL(T ‖ α·T + (1−α)·S).</li>
 *   <li>{@link SkewReverseKl} (α): KL(S ‖ (1−α)·T + α·S).</li>
 *   <li>{@link TotalVariation}: ½ Σ |T − S|.</li>
 * </ul>
 *
 * <p>The loss is not multiplied by τ²: the value is the divergence itself, and its gradient with respect to the
 * raw student logits z_S carries the 1/τ factor of z_S/τ. A caller that wants the τ² scaling of classic
 * distillation multiplies the loss itself.
 * The kernels are {@link DivergenceKernel} (Vector API) and {@link DivergenceReference} (scalar, double).
 */
public sealed interface Divergence {

    /** The command-line name: fkl, rkl, jsd, skl, srkl or tvd. */
    String cliName();

    /** KL(T‖S), the forward KL; β = 0 of {@link Jsd}. */
    record ForwardKl() implements Divergence {
        @Override
        public String cliName() {
            return "fkl";
        }
    }

    /** KL(S‖T), the reverse KL; β = 1 of {@link Jsd}. */
    record ReverseKl() implements Divergence {
        @Override
        public String cliName() {
            return "rkl";
        }
    }

    /** Generalized Jensen-Shannon divergence with mixture weight β (jsdBeta) on the teacher, 0 ≤ β ≤ 1. */
    record Jsd(double beta) implements Divergence {
        public Jsd {
            if (!(beta >= 0 && beta <= 1)) {
                throw new IllegalArgumentException("jsd: jsdBeta (β) is " + beta
                        + " but must lie in [0, 1]; 0 is forward KL and 1 is reverse KL");
            }
        }

        @Override
        public String cliName() {
            return "jsd";
        }
    }

    /** Skew KL with skew α, 0 < α < 1: KL(T ‖ α·T + (1−α)·S). */
    record SkewKl(double alpha) implements Divergence {
        public SkewKl {
            checkSkew("skl", alpha);
        }

        @Override
        public String cliName() {
            return "skl";
        }
    }

    /** Skew reverse KL with skew α, 0 < α < 1: KL(S ‖ (1−α)·T + α·S). */
    record SkewReverseKl(double alpha) implements Divergence {
        public SkewReverseKl {
            checkSkew("srkl", alpha);
        }

        @Override
        public String cliName() {
            return "srkl";
        }
    }

    /** Total variation distance ½ Σ |T − S|. */
    record TotalVariation() implements Divergence {
        @Override
        public String cliName() {
            return "tvd";
        }
    }

    static Divergence forwardKl() {
        return new ForwardKl();
    }

    static Divergence reverseKl() {
        return new ReverseKl();
    }

    static Divergence jsd(double beta) {
        return new Jsd(beta);
    }

    /**
     * Parses a command-line name. jsdBeta (β) is read only for jsd and skewAlpha (α) only for skl and srkl.
     */
    static Divergence parse(String name, double jsdBeta, double skewAlpha) {
        String key = name == null ? "" : name.trim().toLowerCase(Locale.ROOT);
        return switch (key) {
            case "fkl" -> new ForwardKl();
            case "rkl" -> new ReverseKl();
            case "jsd" -> new Jsd(jsdBeta);
            case "skl" -> new SkewKl(skewAlpha);
            case "srkl" -> new SkewReverseKl(skewAlpha);
            case "tvd" -> new TotalVariation();
            default -> throw new IllegalArgumentException("divergence: unknown name '" + name
                    + "'; expected one of fkl, rkl, jsd, skl, srkl, tvd");
        };
    }

    private static void checkSkew(String op, double alpha) {
        // α = 0 of skl is forward KL and α = 0 of srkl is reverse KL: use fkl or rkl for those.
        if (!(alpha > 0 && alpha < 1)) {
            throw new IllegalArgumentException(op + ": skew α is " + alpha
                    + " but must lie in (0, 1); for α = 0 use fkl or rkl");
        }
    }
}
