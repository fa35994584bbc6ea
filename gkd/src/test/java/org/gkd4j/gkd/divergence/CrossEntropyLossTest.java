package org.gkd4j.gkd.divergence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Var;
import org.junit.jupiter.api.Test;

class CrossEntropyLossTest {

    /** Σ_n w_n (logsumexp(z_n) − z_n[target]) in double, z = hidden · headᵀ. */
    private static double reference(double[][] hidden, double[][] head, int[] targets, float[] weights) {
        double loss = 0;
        for (int n = 0; n < hidden.length; n++) {
            if (weights[n] == 0) {
                continue;
            }
            double[] z = new double[head.length];
            double max = Double.NEGATIVE_INFINITY;
            for (int j = 0; j < head.length; j++) {
                for (int c = 0; c < hidden[n].length; c++) {
                    z[j] += hidden[n][c] * head[j][c];
                }
                max = Math.max(max, z[j]);
            }
            double sum = 0;
            for (double value : z) {
                sum += Math.exp(value - max);
            }
            loss += weights[n] * (max + Math.log(sum) - z[targets[n]]);
        }
        return loss;
    }

    private static double[][] toMatrix(Tensor tensor) {
        double[][] out = new double[tensor.dim(0)][tensor.dim(1)];
        for (int r = 0; r < out.length; r++) {
            for (int c = 0; c < out[r].length; c++) {
                out[r][c] = tensor.at(r, c);
            }
        }
        return out;
    }

    @Test
    void lossMatchesHandValue() {
        // logits [1, 2, 3], target 2: log(e + e² + e³) − 3
        Tensor identity = Tensor.of(new float[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, 3, 3);
        Tensor hidden = Tensor.of(new float[] {1, 2, 3}, 1, 3);
        Var loss = CrossEntropyLoss.forward(Var.constant(hidden), Var.constant(identity), new int[] {2},
                new float[] {1}, 4);
        assertEquals(0.40760596444, loss.value().get(0), 1e-6);
    }

    @Test
    void gradientsMatchFiniteDifferences() {
        Random random = new Random(31);
        int rows = 5;
        int v = 17;
        int channels = 3;
        Tensor hiddenValue = Tensor.zeros(rows, channels);
        Tensor headValue = Tensor.zeros(v, channels);
        for (int i = 0; i < hiddenValue.size(); i++) {
            hiddenValue.set(i, (float) random.nextGaussian());
        }
        for (int i = 0; i < headValue.size(); i++) {
            headValue.set(i, (float) random.nextGaussian());
        }
        int[] targets = {3, -1, 16, 0, 5};
        float[] weights = {0.5f, 0f, 1f, 0.25f, 2f};
        Var hidden = Var.parameter("hidden", hiddenValue);
        Var head = Var.parameter("head", headValue);
        Var loss = CrossEntropyLoss.forward(hidden, head, targets, weights, 2);
        loss.backward();

        double[][] h = toMatrix(hiddenValue);
        double[][] w = toMatrix(headValue);
        assertEquals(reference(h, w, targets, weights), loss.value().get(0), 1e-5);
        double step = 1e-6;
        for (int n = 0; n < rows; n++) {
            for (int c = 0; c < channels; c++) {
                double saved = h[n][c];
                h[n][c] = saved + step;
                double plus = reference(h, w, targets, weights);
                h[n][c] = saved - step;
                double minus = reference(h, w, targets, weights);
                h[n][c] = saved;
                assertEquals((plus - minus) / (2 * step), hidden.grad().at(n, c), 2e-5, "dHidden " + n + "," + c);
            }
        }
        for (int j = 0; j < v; j++) {
            for (int c = 0; c < channels; c++) {
                double saved = w[j][c];
                w[j][c] = saved + step;
                double plus = reference(h, w, targets, weights);
                w[j][c] = saved - step;
                double minus = reference(h, w, targets, weights);
                w[j][c] = saved;
                assertEquals((plus - minus) / (2 * step), head.grad().at(j, c), 2e-5, "dHead " + j + "," + c);
            }
        }
    }

    @Test
    void targetOutsideVocabularyIsRejected() {
        Var hidden = Var.parameter("hidden", Tensor.zeros(2, 2));
        Var head = Var.parameter("head", Tensor.zeros(4, 2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> CrossEntropyLoss.forward(hidden, head, new int[] {1, 4}, new float[] {1, 1}, 2));
        assertTrue(e.getMessage().contains("target 4"), e.getMessage());
    }
}
