package org.gkd4j.gkd.train;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.gkd4j.gkd.divergence.Divergence;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Var;
import org.junit.jupiter.api.Test;

class ChunkedDistillationLossTest {

    private static final int ROWS = 5;
    private static final int CS = 3;
    private static final int CT = 4;
    private static final int VOCAB = 6;
    private static final float[] WEIGHTS = {0.2f, 0f, 0.5f, 1f, 0.3f};
    private static final float TAU = 1.5f;

    /** Σ_n w_n·D(T_n‖S_n) in double, with the KL formulas written out here. */
    private static double reference(boolean reverse, double[] hs, double[] ws, double[] ht, double[] wt) {
        double sum = 0;
        for (int n = 0; n < ROWS; n++) {
            double[] s = logSoftmax(hs, ws, n, CS);
            double[] t = logSoftmax(ht, wt, n, CT);
            double kl = 0;
            for (int v = 0; v < VOCAB; v++) {
                kl += reverse ? Math.exp(s[v]) * (s[v] - t[v]) : Math.exp(t[v]) * (t[v] - s[v]);
            }
            sum += WEIGHTS[n] * kl;
        }
        return sum;
    }

    private static double[] logSoftmax(double[] h, double[] w, int row, int channels) {
        double[] z = new double[VOCAB];
        double max = Double.NEGATIVE_INFINITY;
        for (int v = 0; v < VOCAB; v++) {
            for (int c = 0; c < channels; c++) {
                z[v] += h[row * channels + c] * w[v * channels + c];
            }
            z[v] /= TAU;
            max = Math.max(max, z[v]);
        }
        double sum = 0;
        for (double value : z) {
            sum += Math.exp(value - max);
        }
        double lse = max + Math.log(sum);
        for (int v = 0; v < VOCAB; v++) {
            z[v] -= lse;
        }
        return z;
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

    private void checkAgainstReference(Divergence divergence, boolean reverse) {
        float[] hs = random(ROWS * CS, 1);
        float[] ws = random(VOCAB * CS, 2);
        float[] ht = random(ROWS * CT, 3);
        float[] wt = random(VOCAB * CT, 4);
        Var studentHidden = Var.parameter("hs", Tensor.of(hs.clone(), ROWS, CS));
        Var studentHead = Var.parameter("ws", Tensor.of(ws.clone(), VOCAB, CS));
        Var loss = ChunkedDistillationLoss.forward(studentHidden, studentHead,
                Var.constant(Tensor.of(ht, ROWS, CT)), Var.constant(Tensor.of(wt, VOCAB, CT)), WEIGHTS, divergence,
                TAU, 2);
        double[] hsd = toDouble(hs);
        double[] wsd = toDouble(ws);
        double[] htd = toDouble(ht);
        double[] wtd = toDouble(wt);
        assertEquals(reference(reverse, hsd, wsd, htd, wtd), loss.value().get(0), 1e-5, "loss value");
        loss.backward();

        double eps = 1e-6;
        for (double[] parameter : new double[][] {hsd, wsd}) {
            Tensor grad = parameter == hsd ? studentHidden.grad() : studentHead.grad();
            for (int i = 0; i < parameter.length; i++) {
                double saved = parameter[i];
                parameter[i] = saved + eps;
                double plus = reference(reverse, hsd, wsd, htd, wtd);
                parameter[i] = saved - eps;
                double minus = reference(reverse, hsd, wsd, htd, wtd);
                parameter[i] = saved;
                assertEquals((plus - minus) / (2 * eps), grad.get(i), 2e-4,
                        (parameter == hsd ? "d/dhidden[" : "d/dhead[") + i + "]");
            }
        }
    }

    @Test
    void forwardKlMatchesFiniteDifferences() {
        checkAgainstReference(new Divergence.ForwardKl(), false);
    }

    @Test
    void reverseKlMatchesFiniteDifferences() {
        checkAgainstReference(new Divergence.ReverseKl(), true);
    }
}
