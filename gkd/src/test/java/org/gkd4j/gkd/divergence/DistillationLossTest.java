package org.gkd4j.gkd.divergence;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Random;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Tape;
import org.gkd4j.tensor.autograd.Var;
import org.gkd4j.tensor.kernels.Parallel;
import org.junit.jupiter.api.Test;

class DistillationLossTest {

    private static final List<Divergence> SMOOTH = List.of(Divergence.forwardKl(), Divergence.reverseKl(),
            Divergence.jsd(0.5), Divergence.jsd(0.1), new Divergence.SkewKl(0.1),
            new Divergence.SkewReverseKl(0.1));

    private static Tensor random(Random random, int... shape) {
        Tensor tensor = Tensor.zeros(shape);
        for (int i = 0; i < tensor.size(); i++) {
            tensor.set(i, (float) random.nextGaussian());
        }
        return tensor;
    }

    /** Σ_n w_n D(n) with logits hidden · headᵀ computed in double, and its gradients; the unfused reference. */
    private static double unfused(Divergence divergence, double[][] studentHidden, double[][] studentHead,
                                  double[][] teacherHidden, double[][] teacherHead, float[] weights, double tau,
                                  double[][] dHidden, double[][] dHead) {
        int v = studentHead.length;
        double loss = 0;
        for (int n = 0; n < weights.length; n++) {
            double[] zs = new double[v];
            double[] zt = new double[v];
            for (int j = 0; j < v; j++) {
                zs[j] = dot(studentHidden[n], studentHead[j]);
                zt[j] = dot(teacherHidden[n], teacherHead[j]);
            }
            double[] dz = new double[v];
            loss += weights[n] * DivergenceReference.evaluate(divergence, zs, zt, tau, dz);
            if (dHidden != null) {
                for (int j = 0; j < v; j++) {
                    for (int c = 0; c < studentHead[j].length; c++) {
                        dHidden[n][c] += weights[n] * dz[j] * studentHead[j][c];
                        dHead[j][c] += weights[n] * dz[j] * studentHidden[n][c];
                    }
                }
            }
        }
        return loss;
    }

    private static double dot(double[] a, double[] b) {
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
            sum += a[i] * b[i];
        }
        return sum;
    }

    private static double[][] toMatrix(Tensor tensor) {
        int rows = tensor.dim(0);
        int cols = tensor.dim(1);
        double[][] out = new double[rows][cols];
        for (int r = 0; r < rows; r++) {
            for (int c = 0; c < cols; c++) {
                out[r][c] = tensor.at(r, c);
            }
        }
        return out;
    }

    private static float maxAbs(Tensor tensor) {
        float max = 0;
        for (int i = 0; i < tensor.size(); i++) {
            max = Math.max(max, Math.abs(tensor.get(i)));
        }
        return max;
    }

    @Test
    void fusedGradientsMatchUnfusedAndFiniteDifferences() {
        Random random = new Random(21);
        int rows = 6;
        int v = 11;
        int studentChannels = 4;
        int teacherChannels = 3;
        float[] weights = {0.5f, 0f, 0.25f, 1f, 0f, 0.125f};
        for (Divergence divergence : SMOOTH) {
            Tensor studentHidden = random(random, rows, studentChannels);
            Tensor studentHead = random(random, v, studentChannels);
            Tensor teacherHidden = random(random, rows, teacherChannels);
            Tensor teacherHead = random(random, v, teacherChannels);
            Var hidden = Var.parameter("hidden", studentHidden);
            Var head = Var.parameter("head", studentHead);
            float tau = 1.5f;

            Var loss = DistillationLoss.forward(hidden, head, teacherHidden, teacherHead, weights, divergence, tau,
                    4);
            loss.backward();

            // unfused double computation
            double[][] sh = toMatrix(studentHidden);
            double[][] sw = toMatrix(studentHead);
            double[][] th = toMatrix(teacherHidden);
            double[][] tw = toMatrix(teacherHead);
            double[][] dHidden = new double[rows][studentChannels];
            double[][] dHead = new double[v][studentChannels];
            double expected = unfused(divergence, sh, sw, th, tw, weights, tau, dHidden, dHead);
            assertEquals(expected, loss.value().get(0), 1e-5 * Math.abs(expected) + 1e-6, divergence.toString());
            float hiddenScale = maxAbs(hidden.grad());
            float headScale = maxAbs(head.grad());
            for (int n = 0; n < rows; n++) {
                for (int c = 0; c < studentChannels; c++) {
                    assertEquals(dHidden[n][c], hidden.grad().at(n, c), 1e-4 * hiddenScale + 1e-7,
                            divergence + " dHidden " + n + "," + c);
                }
            }
            for (int j = 0; j < v; j++) {
                for (int c = 0; c < studentChannels; c++) {
                    assertEquals(dHead[j][c], head.grad().at(j, c), 1e-4 * headScale + 1e-7,
                            divergence + " dHead " + j + "," + c);
                }
            }

            // central finite differences of the double computation
            double h = 1e-6;
            for (int n = 0; n < rows; n++) {
                for (int c = 0; c < studentChannels; c++) {
                    double saved = sh[n][c];
                    sh[n][c] = saved + h;
                    double plus = unfused(divergence, sh, sw, th, tw, weights, tau, null, null);
                    sh[n][c] = saved - h;
                    double minus = unfused(divergence, sh, sw, th, tw, weights, tau, null, null);
                    sh[n][c] = saved;
                    assertEquals((plus - minus) / (2 * h), dHidden[n][c], 1e-7, divergence + " fd hidden");
                }
            }
            for (int j = 0; j < v; j++) {
                for (int c = 0; c < studentChannels; c++) {
                    double saved = sw[j][c];
                    sw[j][c] = saved + h;
                    double plus = unfused(divergence, sh, sw, th, tw, weights, tau, null, null);
                    sw[j][c] = saved - h;
                    double minus = unfused(divergence, sh, sw, th, tw, weights, tau, null, null);
                    sw[j][c] = saved;
                    assertEquals((plus - minus) / (2 * h), dHead[j][c], 1e-7, divergence + " fd head");
                }
            }
        }
    }

    @Test
    void chunkSizeDoesNotChangeResult() {
        Random random = new Random(22);
        int rows = 9;
        int v = 37;
        Tensor studentHidden = random(random, rows, 5);
        Tensor studentHead = random(random, v, 5);
        Tensor teacherHidden = random(random, rows, 6);
        Tensor teacherHead = random(random, v, 6);
        float[] weights = {1, 1, 0, 1, 1, 1, 0, 1, 1};
        Var referenceHidden = null;
        Var referenceHead = null;
        float referenceLoss = 0;
        for (int chunkRows : new int[] {100, 1, 2, 3, 7}) {
            Var hidden = Var.parameter("hidden", studentHidden);
            Var head = Var.parameter("head", studentHead);
            Var loss = DistillationLoss.forward(hidden, head, teacherHidden, teacherHead, weights,
                    Divergence.jsd(0.5), 1f, chunkRows);
            loss.backward();
            if (referenceHidden == null) {
                referenceHidden = hidden;
                referenceHead = head;
                referenceLoss = loss.value().get(0);
                continue;
            }
            assertEquals(referenceLoss, loss.value().get(0), 1e-6f * Math.abs(referenceLoss), "chunk " + chunkRows);
            for (int i = 0; i < referenceHidden.grad().size(); i++) {
                assertEquals(referenceHidden.grad().get(i), hidden.grad().get(i), 1e-6f, "chunk " + chunkRows);
            }
            for (int i = 0; i < referenceHead.grad().size(); i++) {
                assertEquals(referenceHead.grad().get(i), head.grad().get(i), 1e-6f, "chunk " + chunkRows);
            }
        }
    }

    @Test
    void zeroWeightRowsContributeNothing() {
        Random random = new Random(23);
        int rows = 4;
        int v = 9;
        Tensor studentHidden = random(random, rows, 3);
        Tensor studentHead = random(random, v, 3);
        Tensor teacherHidden = random(random, rows, 3);
        Tensor teacherHead = random(random, v, 3);
        float[] weights = {1, 0, 1, 0};
        Var hidden = Var.parameter("hidden", studentHidden);
        Var head = Var.parameter("head", studentHead);
        Var loss = DistillationLoss.forward(hidden, head, teacherHidden, teacherHead, weights,
                Divergence.forwardKl(), 1f, 2);
        loss.backward();
        for (int c = 0; c < 3; c++) {
            assertEquals(0f, hidden.grad().at(1, c));
            assertEquals(0f, hidden.grad().at(3, c));
        }

        // changing the ignored rows (even to NaN) changes nothing
        Tensor changed = studentHidden.copy();
        for (int c = 0; c < 3; c++) {
            changed.set(3 + c, Float.NaN);
            changed.set(9 + c, 100f);
        }
        Tensor changedTeacher = teacherHidden.copy();
        changedTeacher.set(3, Float.NaN);
        Var again = DistillationLoss.forward(Var.parameter("hidden", changed), Var.parameter("head", studentHead),
                changedTeacher, teacherHead, weights, Divergence.forwardKl(), 1f, 2);
        Tape.current().clear();
        assertEquals(loss.value().get(0), again.value().get(0));
    }

    @Test
    void maskedLossMatchesReferenceTokenMean() {
        // Identity heads make the hidden rows the logits. One sequence has a prompt of 2 tokens and a completion
        // of 2 tokens, so logit positions 1 and 2 are kept and positions 0 and 3 are not.
        Tensor identity = Tensor.of(new float[] {1, 0, 0, 0, 1, 0, 0, 0, 1}, 3, 3);
        Tensor student = Tensor.of(new float[] {1, 2, 3, 0, 0, 0, 2, 0, 0, 5, -5, 9}, 4, 3);
        Tensor teacher = Tensor.of(new float[] {3, 2, 1, 0, 0, 0, 0, 0, 2, -7, 1, 1}, 4, 3);
        LossMask mask = LossMask.of(4, new int[] {2}, new int[] {2});
        try (Tape.Scope ignored = Tape.noGrad()) {
            double[][] cases = {{0, 0.6804790632, 1.3609581265}, {0.5, 0.1464494593, 0.2928989185}};
            for (double[] c : cases) {
                Divergence jsd = Divergence.jsd(c[0]);
                float tokenMean = DistillationLoss.forward(Var.constant(student), Var.constant(identity), teacher,
                        identity, mask.positionWeights(Reduction.TOKEN_MEAN), jsd, 1f, 8).value().get(0);
                float sum = DistillationLoss.forward(Var.constant(student), Var.constant(identity), teacher,
                        identity, mask.positionWeights(Reduction.SUM), jsd, 1f, 8).value().get(0);
                assertEquals(c[1], tokenMean, 1e-6, "token mean β=" + c[0]);
                assertEquals(c[2], sum, 1e-6, "sum β=" + c[0]);
            }
        }
    }

    @Test
    void allMaskedGivesZeroLoss() {
        Tensor head = Tensor.of(new float[] {1, 0, 0, 1}, 2, 2);
        Tensor hidden = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
        LossMask mask = LossMask.of(2, new int[] {2}, new int[] {0});
        Var parameter = Var.parameter("hidden", hidden);
        Var loss = DistillationLoss.forward(parameter, Var.constant(head), hidden.copy(), head,
                mask.positionWeights(Reduction.TOKEN_MEAN), Divergence.jsd(0.5), 1f, 4);
        assertEquals(0f, loss.value().get(0));
        loss.backward();
        assertEquals(0f, maxAbs(parameter.grad()));
    }

    @Test
    void microBatchAccumulationMatchesWholeBatch() {
        Random random = new Random(24);
        int batch = 4;
        int length = 5;
        int v = 13;
        int channels = 4;
        Tensor studentHidden = random(random, batch * length, channels);
        Tensor studentHead = random(random, v, channels);
        Tensor teacherHidden = random(random, batch * length, 3);
        Tensor teacherHead = random(random, v, 3);
        int[] prompts = {1, 2, 3, 2};
        int[] completions = {3, 1, 2, 0};
        for (Reduction reduction : Reduction.values()) {
            // whole batch
            LossMask whole = LossMask.of(length, prompts, completions);
            Var wholeHidden = Var.parameter("hidden", studentHidden);
            Var wholeHead = Var.parameter("head", studentHead);
            DistillationLoss.forward(wholeHidden, wholeHead, teacherHidden, teacherHead,
                    whole.positionWeights(reduction), Divergence.jsd(0.5), 1f, 3).backward();

            // two micro-batches of two sequences, weights from the window's totals
            Var head = Var.parameter("head", studentHead);
            Tensor hiddenGrad = Tensor.zeros(batch * length, channels);
            LossMask first = LossMask.of(length, new int[] {1, 2}, new int[] {3, 1});
            LossMask second = LossMask.of(length, new int[] {3, 2}, new int[] {2, 0});
            int tokens = first.keptTokens() + second.keptTokens();
            int sequences = first.sequencesWithTokens() + second.sequencesWithTokens();
            LossMask[] parts = {first, second};
            for (int part = 0; part < 2; part++) {
                Var hidden = Var.parameter("hidden", studentHidden.rows(part * 2 * length, 2 * length).copy());
                DistillationLoss.forward(hidden, head, teacherHidden.rows(part * 2 * length, 2 * length),
                        teacherHead, parts[part].positionWeights(reduction, tokens, sequences), Divergence.jsd(0.5),
                        1f, 3).backward();
                for (int i = 0; i < hidden.grad().size(); i++) {
                    hiddenGrad.set(part * 2 * length * channels + i, hidden.grad().get(i));
                }
            }

            for (int i = 0; i < hiddenGrad.size(); i++) {
                assertEquals(wholeHidden.grad().get(i), hiddenGrad.get(i), 1e-6f, reduction + " dHidden " + i);
            }
            for (int i = 0; i < head.grad().size(); i++) {
                assertEquals(wholeHead.grad().get(i), head.grad().get(i), 1e-6f, reduction + " dHead " + i);
            }
            assertTrue(maxAbs(head.grad()) > 1e-3f, "the gradient is not trivially zero");
        }
    }

    @Test
    void threadCountDoesNotChangeResult() {
        Random random = new Random(26);
        int rows = 12;
        int v = 301;
        Tensor studentHidden = random(random, rows, 4);
        Tensor studentHead = random(random, v, 4);
        Tensor teacherHidden = random(random, rows, 5);
        Tensor teacherHead = random(random, v, 5);
        float[] weights = new float[rows];
        java.util.Arrays.fill(weights, 1f / rows);
        int saved = Parallel.threads();
        float[][] losses = new float[2][];
        Tensor[] grads = new Tensor[2];
        try {
            int[] threadCounts = {1, 4};
            for (int k = 0; k < 2; k++) {
                Parallel.setThreads(threadCounts[k]);
                Var hidden = Var.parameter("hidden", studentHidden);
                Var loss = DistillationLoss.forward(hidden, Var.constant(studentHead), teacherHidden, teacherHead,
                        weights, new Divergence.SkewKl(0.1), 2f, 5);
                loss.backward();
                losses[k] = loss.value().toArray();
                grads[k] = hidden.grad();
            }
        } finally {
            Parallel.setThreads(saved);
        }
        assertEquals(losses[0][0], losses[1][0]);
        for (int i = 0; i < grads[0].size(); i++) {
            assertEquals(grads[0].get(i), grads[1].get(i), "dHidden " + i);
        }
    }

    @Test
    void noGradScopeRecordsNothing() {
        Random random = new Random(25);
        Tensor studentHidden = random(random, 3, 2);
        Tensor head = random(random, 5, 2);
        Var hidden = Var.parameter("hidden", studentHidden);
        int before = Tape.current().size();
        Var loss;
        try (Tape.Scope ignored = Tape.noGrad()) {
            loss = DistillationLoss.forward(hidden, Var.parameter("head", head), studentHidden.copy(), head,
                    new float[] {1, 1, 1}, Divergence.reverseKl(), 1f, 2);
        }
        assertEquals(before, Tape.current().size());
        assertTrue(!loss.requiresGrad());
        assertNull(hidden.grad());
        assertEquals(0f, loss.value().get(0), 1e-6f);
    }

    @Test
    void mismatchedShapesAreRejected() {
        Var hidden = Var.parameter("hidden", Tensor.zeros(3, 2));
        Var head = Var.parameter("head", Tensor.zeros(5, 2));
        IllegalArgumentException vocabulary = assertThrows(IllegalArgumentException.class,
                () -> DistillationLoss.forward(hidden, head, Tensor.zeros(3, 4), Tensor.zeros(6, 4),
                        new float[3], Divergence.forwardKl(), 1f, 2));
        assertTrue(vocabulary.getMessage().contains("tokenizer"), vocabulary.getMessage());
        IllegalArgumentException weights = assertThrows(IllegalArgumentException.class,
                () -> DistillationLoss.forward(hidden, head, Tensor.zeros(3, 4), Tensor.zeros(5, 4),
                        new float[2], Divergence.forwardKl(), 1f, 2));
        assertTrue(weights.getMessage().contains("2 position weights"), weights.getMessage());
        assertThrows(IllegalArgumentException.class,
                () -> DistillationLoss.forward(hidden, head, Tensor.zeros(3, 4), Tensor.zeros(5, 4),
                        new float[3], Divergence.forwardKl(), 1f, 0));
    }
}
