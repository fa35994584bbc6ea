package org.gkd4j.gkd.divergence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class DivergenceKernelTest {

    private static final List<Divergence> ALL = List.of(
            Divergence.forwardKl(), Divergence.reverseKl(), Divergence.jsd(0.1), Divergence.jsd(0.5),
            Divergence.jsd(0.9), new Divergence.SkewKl(0.1), new Divergence.SkewReverseKl(0.3),
            new Divergence.TotalVariation());

    private static double[] randomRow(Random random, int v, double scale) {
        double[] row = new double[v];
        for (int i = 0; i < v; i++) {
            row[i] = random.nextGaussian() * scale;
        }
        return row;
    }

    private static float[] toFloat(double[] values) {
        float[] out = new float[values.length];
        for (int i = 0; i < values.length; i++) {
            out[i] = (float) values[i];
        }
        return out;
    }

    @Test
    void referenceGradientMatchesFiniteDifferences() {
        Random random = new Random(11);
        for (Divergence divergence : ALL) {
            for (double tau : new double[] {1, 2}) {
                int v = 13;
                double[] student = randomRow(random, v, 2);
                double[] teacher = randomRow(random, v, 2);
                double[] gradient = new double[v];
                DivergenceReference.evaluate(divergence, student, teacher, tau, gradient);
                double h = 1e-6;
                for (int i = 0; i < v; i++) {
                    double[] plus = student.clone();
                    double[] minus = student.clone();
                    plus[i] += h;
                    minus[i] -= h;
                    double numeric = (DivergenceReference.evaluate(divergence, plus, teacher, tau, null)
                            - DivergenceReference.evaluate(divergence, minus, teacher, tau, null)) / (2 * h);
                    assertEquals(numeric, gradient[i], 1e-7, divergence + " τ=" + tau + " entry " + i);
                }
            }
        }
    }

    @Test
    void vectorMatchesReferenceOnOddSizes() {
        Random random = new Random(12);
        for (int v : new int[] {1, 3, 7, 17, 1000, 3001}) {
            for (Divergence divergence : ALL) {
                for (float tau : new float[] {1f, 2f, 0.7f}) {
                    float[] student = toFloat(randomRow(random, v, 3));
                    float[] teacher = toFloat(randomRow(random, v, 3));
                    float[] expected = new float[v];
                    double expectedLoss = DivergenceReference.evaluate(divergence, student, teacher, tau, expected);

                    // the vector kernel reads and writes at offsets, with a gradient scale
                    int offset = 5;
                    float[] studentPadded = new float[v + offset];
                    float[] teacherPadded = new float[v + 2 * offset];
                    System.arraycopy(student, 0, studentPadded, offset, v);
                    System.arraycopy(teacher, 0, teacherPadded, 2 * offset, v);
                    float[] gradient = new float[v + 3];
                    double loss = DivergenceKernel.evaluate(divergence, studentPadded, offset, teacherPadded,
                            2 * offset, v, tau, gradient, 3, 0.5f, new float[DivergenceKernel.scratchLength(v)]);

                    String label = divergence + " V=" + v + " τ=" + tau;
                    assertEquals(expectedLoss, loss, 2e-5 * Math.abs(expectedLoss) + 1e-6, label);
                    double maxGrad = 0;
                    for (float g : expected) {
                        maxGrad = Math.max(maxGrad, Math.abs(g));
                    }
                    // float log-probabilities carry an absolute error of about ulp(|s|), and the gradient bracket
                    // (s − m − Σ) of the mixture divergences can cancel to 1e-2, so entries are compared relative
                    // to the largest gradient; total variation also flips sign(S − T) where S ≈ T in float
                    for (int i = 0; i < v; i++) {
                        assertEquals(0.5 * expected[i], gradient[3 + i], 3e-4 * maxGrad + 1e-8,
                                label + " entry " + i);
                    }
                }
            }
        }
    }

    @Test
    void valueWithoutGradientEqualsValueWithGradient() {
        Random random = new Random(13);
        int v = 101;
        float[] student = toFloat(randomRow(random, v, 2));
        float[] teacher = toFloat(randomRow(random, v, 2));
        float[] scratch = new float[DivergenceKernel.scratchLength(v)];
        for (Divergence divergence : ALL) {
            double withGradient = DivergenceKernel.evaluate(divergence, student, 0, teacher, 0, v, 1f,
                    new float[v], 0, 1f, scratch);
            double valueOnly = DivergenceKernel.evaluate(divergence, student, 0, teacher, 0, v, 1f, null, 0, 1f,
                    scratch);
            assertEquals(withGradient, valueOnly, 0, divergence.toString());
        }
    }

    @Test
    void underflowedProbabilitiesGiveNoNaN() {
        // exp(-2000) underflows in float and double, so many entries have S = 0 or T = 0 exactly
        int v = 40;
        float[] student = new float[v];
        float[] teacher = new float[v];
        for (int i = 0; i < v; i++) {
            student[i] = i % 2 == 0 ? 0f : -2000f;
            teacher[i] = i % 3 == 0 ? 0f : -2000f;
        }
        student[3] = 0f;
        float[] scratch = new float[DivergenceKernel.scratchLength(v)];
        for (Divergence divergence : List.of(Divergence.reverseKl(), Divergence.jsd(0.5), Divergence.jsd(0.1),
                new Divergence.SkewKl(0.1), new Divergence.SkewReverseKl(0.1), new Divergence.TotalVariation())) {
            float[] gradient = new float[v];
            double loss = DivergenceKernel.evaluate(divergence, student, 0, teacher, 0, v, 1f, gradient, 0, 1f,
                    scratch);
            assertTrue(Double.isFinite(loss), divergence + " loss " + loss);
            for (int i = 0; i < v; i++) {
                assertFalse(Float.isNaN(gradient[i]), divergence + " gradient " + i);
            }
            double reference = DivergenceReference.evaluate(divergence, student, teacher, 1f, null);
            assertTrue(Double.isFinite(reference), divergence + " reference " + reference);
            assertEquals(reference, loss, 1e-5 * Math.abs(reference) + 1e-6, divergence.toString());
        }
    }

    @Test
    void maskedEntryInBothRowsIsIgnored() {
        // a vocabulary entry masked with −∞ in both models contributes nothing and gets a zero gradient
        Random random = new Random(15);
        int v = 21;
        float[] student = toFloat(randomRow(random, v, 2));
        float[] teacher = toFloat(randomRow(random, v, 2));
        float[] studentMasked = new float[v + 1];
        float[] teacherMasked = new float[v + 1];
        System.arraycopy(student, 0, studentMasked, 0, 9);
        System.arraycopy(student, 9, studentMasked, 10, v - 9);
        System.arraycopy(teacher, 0, teacherMasked, 0, 9);
        System.arraycopy(teacher, 9, teacherMasked, 10, v - 9);
        studentMasked[9] = Float.NEGATIVE_INFINITY;
        teacherMasked[9] = Float.NEGATIVE_INFINITY;
        for (Divergence divergence : ALL) {
            double expected = DivergenceReference.evaluate(divergence, student, teacher, 1f, null);
            float[] gradient = new float[v + 1];
            double loss = DivergenceKernel.evaluate(divergence, studentMasked, 0, teacherMasked, 0, v + 1, 1f,
                    gradient, 0, 1f, new float[DivergenceKernel.scratchLength(v + 1)]);
            assertEquals(expected, loss, 1e-5 * Math.abs(expected) + 1e-7, divergence.toString());
            assertEquals(0f, gradient[9], divergence.toString());
        }
    }

    @Test
    void jsdIsSymmetricUnderSwapAndBeta() {
        Random random = new Random(14);
        double[] student = randomRow(random, 29, 2);
        double[] teacher = randomRow(random, 29, 2);
        for (double beta : new double[] {0, 0.2, 0.5, 0.7, 1}) {
            double forward = DivergenceReference.evaluate(Divergence.jsd(beta), student, teacher, 1.5, null);
            double swapped = DivergenceReference.evaluate(Divergence.jsd(1 - beta), teacher, student, 1.5, null);
            assertEquals(forward, swapped, 1e-12, "β=" + beta);
        }
    }

    @Test
    void jsdIsBoundedByBinaryEntropy() {
        // disjoint supports reach the bound H(β) = −β log β − (1−β) log(1−β)
        float[] student = {60, 0};
        float[] teacher = {0, 60};
        double beta = 0.3;
        double entropy = -beta * Math.log(beta) - (1 - beta) * Math.log(1 - beta);
        double loss = DivergenceReference.evaluate(Divergence.jsd(beta), student, teacher, 1f, null);
        assertTrue(loss <= entropy + 1e-12, loss + " > " + entropy);
        assertEquals(entropy, loss, 1e-9);
    }

    @Test
    void parseReadsCliNames() {
        assertInstanceOf(Divergence.ForwardKl.class, Divergence.parse("fkl", 0.5, 0.1));
        assertInstanceOf(Divergence.ReverseKl.class, Divergence.parse("RKL", 0.5, 0.1));
        assertEquals(new Divergence.Jsd(0.5), Divergence.parse("jsd", 0.5, 0.1));
        assertEquals(new Divergence.SkewKl(0.1), Divergence.parse("skl", 0.5, 0.1));
        assertEquals(new Divergence.SkewReverseKl(0.1), Divergence.parse("srkl", 0.5, 0.1));
        assertInstanceOf(Divergence.TotalVariation.class, Divergence.parse("tvd", 0.5, 0.1));
        assertEquals("jsd", Divergence.parse("jsd", 0, 0).cliName());
    }

    @Test
    void parseRejectsUnknownNameAndBadParameters() {
        IllegalArgumentException unknown = assertThrows(IllegalArgumentException.class,
                () -> Divergence.parse("kl", 0.5, 0.1));
        assertTrue(unknown.getMessage().contains("'kl'"), unknown.getMessage());
        IllegalArgumentException beta = assertThrows(IllegalArgumentException.class,
                () -> Divergence.parse("jsd", 1.5, 0.1));
        assertTrue(beta.getMessage().contains("1.5"), beta.getMessage());
        assertThrows(IllegalArgumentException.class, () -> Divergence.parse("skl", 0.5, 0));
        assertThrows(IllegalArgumentException.class, () -> Divergence.parse("jsd", Double.NaN, 0.1));
    }

    @Test
    void nonPositiveTemperatureIsRejected() {
        float[] row = {1, 2};
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> DivergenceKernel.evaluate(Divergence.forwardKl(), row, 0, row, 0, 2, 0f, null, 0, 1f,
                        new float[DivergenceKernel.scratchLength(2)]));
        assertTrue(e.getMessage().contains("τ"), e.getMessage());
    }
}
