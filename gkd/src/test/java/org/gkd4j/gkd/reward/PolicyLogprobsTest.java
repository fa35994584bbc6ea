package org.gkd4j.gkd.reward;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.SplittableRandom;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Var;
import org.junit.jupiter.api.Test;

class PolicyLogprobsTest {

    private static final int ROWS = 5;
    private static final int CHANNELS = 3;
    private static final int VOCAB = 7;
    private static final int[] TARGETS = {2, -1, 6, 0, 4};
    private static final float[] WEIGHTS = {0.5f, 3f, -1.25f, 2f, 0f};

    /** Σ_n w_n · log softmax(h_n·Wᵀ)[y_n] in double, written out independently of the code under test. */
    private static double reference(double[] h, double[] w) {
        double sum = 0;
        for (int n = 0; n < ROWS; n++) {
            if (TARGETS[n] < 0 || WEIGHTS[n] == 0) {
                continue;
            }
            double[] z = new double[VOCAB];
            double max = Double.NEGATIVE_INFINITY;
            for (int v = 0; v < VOCAB; v++) {
                for (int c = 0; c < CHANNELS; c++) {
                    z[v] += h[n * CHANNELS + c] * w[v * CHANNELS + c];
                }
                max = Math.max(max, z[v]);
            }
            double exp = 0;
            for (int v = 0; v < VOCAB; v++) {
                exp += Math.exp(z[v] - max);
            }
            sum += WEIGHTS[n] * (z[TARGETS[n]] - max - Math.log(exp));
        }
        return sum;
    }

    private static float[] random(int size, long seed) {
        SplittableRandom random = new SplittableRandom(seed);
        float[] values = new float[size];
        for (int i = 0; i < size; i++) {
            values[i] = (float) random.nextDouble(-1.5, 1.5);
        }
        return values;
    }

    private static double[] toDouble(float[] values) {
        double[] result = new double[values.length];
        for (int i = 0; i < values.length; i++) {
            result[i] = values[i];
        }
        return result;
    }

    @Test
    void weightedSumMatchesDoubleReference() {
        float[] h = random(ROWS * CHANNELS, 1);
        float[] w = random(VOCAB * CHANNELS, 2);
        Var out = PolicyLogprobs.weightedSum(Var.constant(Tensor.of(h, ROWS, CHANNELS)),
                Var.constant(Tensor.of(w, VOCAB, CHANNELS)), TARGETS, WEIGHTS, 2);
        assertEquals(reference(toDouble(h), toDouble(w)), out.value().get(0), 1e-5);
    }

    @Test
    void gradientsMatchCentralFiniteDifferences() {
        float[] h = random(ROWS * CHANNELS, 3);
        float[] w = random(VOCAB * CHANNELS, 4);
        Var hidden = Var.parameter("hidden", Tensor.of(h.clone(), ROWS, CHANNELS));
        Var head = Var.parameter("head", Tensor.of(w.clone(), VOCAB, CHANNELS));
        PolicyLogprobs.weightedSum(hidden, head, TARGETS, WEIGHTS, 2).backward();

        double eps = 1e-6;
        double[] hd = toDouble(h);
        double[] wd = toDouble(w);
        for (int i = 0; i < hd.length; i++) {
            double saved = hd[i];
            hd[i] = saved + eps;
            double plus = reference(hd, wd);
            hd[i] = saved - eps;
            double minus = reference(hd, wd);
            hd[i] = saved;
            assertEquals((plus - minus) / (2 * eps), hidden.grad().get(i), 1e-4, "d/dhidden[" + i + "]");
        }
        for (int i = 0; i < wd.length; i++) {
            double saved = wd[i];
            wd[i] = saved + eps;
            double plus = reference(hd, wd);
            wd[i] = saved - eps;
            double minus = reference(hd, wd);
            wd[i] = saved;
            assertEquals((plus - minus) / (2 * eps), head.grad().get(i), 1e-4, "d/dhead[" + i + "]");
        }
    }

    @Test
    void targetOutsideVocabularyIsRejected() {
        Var hidden = Var.constant(Tensor.zeros(1, CHANNELS));
        Var head = Var.constant(Tensor.zeros(VOCAB, CHANNELS));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> PolicyLogprobs.weightedSum(hidden, head, new int[] {VOCAB}, new float[] {1f}, 4));
        assertEquals(true, error.getMessage().contains("outside the vocabulary"), error.getMessage());
    }
}
