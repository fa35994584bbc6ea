package org.gkd4j.gkd.divergence;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

/**
 * Fixture values computed independently in float64 (generalized JSD reference table), checked against both
 * the scalar reference and the Vector API kernel.
 */
class DivergenceReferenceValuesTest {

    private static final double[] BETAS = {0, 0.1, 0.5, 0.9, 1};

    /** Checks value against both implementations: 1e-9 in double, 1e-5 relative (plus 1e-7 absolute) in float. */
    private static void assertLoss(double expected, Divergence divergence, float[] student, float[] teacher,
                                   float tau) {
        double reference = DivergenceReference.evaluate(divergence, toDouble(student), toDouble(teacher), tau,
                null);
        assertEquals(expected, reference, 1e-9, "reference " + divergence + " τ=" + tau);
        double vector = DivergenceKernel.evaluate(divergence, student, 0, teacher, 0, student.length, tau, null, 0,
                1f, new float[DivergenceKernel.scratchLength(student.length)]);
        assertEquals(expected, vector, 1e-5 * Math.abs(expected) + 1e-7, "vector " + divergence + " τ=" + tau);
    }

    private static void assertGradient(double[] expected, Divergence divergence, float[] student, float[] teacher,
                                       float tau) {
        double[] reference = new double[student.length];
        DivergenceReference.evaluate(divergence, toDouble(student), toDouble(teacher), tau, reference);
        float[] vector = new float[student.length];
        DivergenceKernel.evaluate(divergence, student, 0, teacher, 0, student.length, tau, vector, 0, 1f,
                new float[DivergenceKernel.scratchLength(student.length)]);
        for (int i = 0; i < expected.length; i++) {
            // the table has 8 decimals
            assertEquals(expected[i], reference[i], 6e-9, "reference gradient " + i + " " + divergence);
            assertEquals(expected[i], vector[i], 2e-6, "vector gradient " + i + " " + divergence);
        }
    }

    @Test
    void jsdMatchesTableOnMirrorPair() {
        float[] student = {1, 2, 3};
        float[] teacher = {3, 2, 1};
        double[] tau1 = {1.1504207652, 0.0971066173, 0.2475880715, 0.0971066173, 1.1504207652};
        double[] tau2 = {0.3201566678, 0.0283764212, 0.0768625093, 0.0283764212, 0.3201566678};
        for (int b = 0; b < BETAS.length; b++) {
            assertLoss(tau1[b], Divergence.jsd(BETAS[b]), student, teacher, 1f);
            assertLoss(tau2[b], Divergence.jsd(BETAS[b]), student, teacher, 2f);
        }
    }

    @Test
    void jsdMatchesTableOnUniformStudent() {
        float[] student = {0, 0, 0, 0};
        float[] teacher = {2, 0, 0, 0};
        double[] tau1 = {0.4680105957, 0.0413379644, 0.1107067705, 0.0404151384, 0.4544585928};
        double[] tau2 = {0.1179928669, 0.0104706553, 0.0278124152, 0.0097172635, 0.1073740195};
        for (int b = 0; b < BETAS.length; b++) {
            assertLoss(tau1[b], Divergence.jsd(BETAS[b]), student, teacher, 1f);
            assertLoss(tau2[b], Divergence.jsd(BETAS[b]), student, teacher, 2f);
        }
    }

    @Test
    void identicalLogitsGiveZero() {
        float[] logits = {2, 1, 0.1f};
        for (double beta : BETAS) {
            assertLoss(0, Divergence.jsd(beta), logits, logits.clone(), 1f);
            assertLoss(0, Divergence.jsd(beta), logits, logits.clone(), 2f);
        }
        assertLoss(0, new Divergence.SkewKl(0.1), logits, logits.clone(), 1f);
        assertLoss(0, new Divergence.SkewReverseKl(0.1), logits, logits.clone(), 1f);
        assertLoss(0, new Divergence.TotalVariation(), logits, logits.clone(), 1f);
    }

    @Test
    void jsdMatchesTableOnDisjointPair() {
        float[] student = {5, 0};
        float[] teacher = {0, 5};
        double[] tau1 = {4.9330714908, 0.2965111193, 0.6529675774, 0.2965111193, 4.9330714908};
        double[] tau2 = {2.1207090999, 0.1722713901, 0.4246119962, 0.1722713901, 2.1207090999};
        for (int b = 0; b < BETAS.length; b++) {
            assertLoss(tau1[b], Divergence.jsd(BETAS[b]), student, teacher, 1f);
            assertLoss(tau2[b], Divergence.jsd(BETAS[b]), student, teacher, 2f);
        }
    }

    @Test
    void jsdValuesAndGradientsMatchTable() {
        float[] student = {0.5f, 1.5f, -1.0f};
        float[] teacher = {2.0f, 0.0f, 0.5f};
        double[] loss1 = {0.7663123754, 0.0687475773, 0.1989727764, 0.0836225833, 1.0038329387};
        double[] loss2 = {0.2284207182, 0.0206827647, 0.0598173401, 0.0231665291, 0.2640958380};
        double[][] grad1 = {
                {-0.48240854, 0.59004844, -0.10763990},
                {-0.04149774, 0.05075714, -0.00925940},
                {-0.10729861, 0.13124016, -0.02394156},
                {-0.04316877, 0.05280102, -0.00963225},
                {-0.52494290, 0.64207350, -0.11713059}};
        double[][] grad2 = {
                {-0.11150225, 0.16417219, -0.05266993},
                {-0.01001238, 0.01474189, -0.00472951},
                {-0.02838486, 0.04179291, -0.01340806},
                {-0.01105237, 0.01627313, -0.00522077},
                {-0.12693942, 0.18690136, -0.05996194}};
        for (int b = 0; b < BETAS.length; b++) {
            Divergence jsd = Divergence.jsd(BETAS[b]);
            assertLoss(loss1[b], jsd, student, teacher, 1f);
            assertLoss(loss2[b], jsd, student, teacher, 2f);
            assertGradient(grad1[b], jsd, student, teacher, 1f);
            assertGradient(grad2[b], jsd, student, teacher, 2f);
        }
    }

    @Test
    void forwardAndReverseKlEqualJsdEnds() {
        float[] student = {0.5f, 1.5f, -1.0f};
        float[] teacher = {2.0f, 0.0f, 0.5f};
        assertLoss(0.7663123754, Divergence.forwardKl(), student, teacher, 1f);
        assertLoss(1.0038329387, Divergence.reverseKl(), student, teacher, 1f);
        assertGradient(new double[] {-0.11150225, 0.16417219, -0.05266993}, Divergence.forwardKl(), student,
                teacher, 2f);
        assertGradient(new double[] {-0.12693942, 0.18690136, -0.05996194}, Divergence.reverseKl(), student,
                teacher, 2f);
    }

    @Test
    void skewAndTotalVariationMatchTable() {
        float[] student = {1, 2, 3};
        float[] teacher = {3, 2, 1};
        assertLoss(0.8299145682, new Divergence.SkewKl(0.1), student, teacher, 1f);
        assertLoss(0.8299145682, new Divergence.SkewReverseKl(0.1), student, teacher, 1f);
        assertLoss(0.5752103826, new Divergence.TotalVariation(), student, teacher, 1f);
    }

    static double[] toDouble(float[] values) {
        double[] out = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = values[i];
        }
        return out;
    }
}
