package org.gkd4j.tensor.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import java.util.Map;
import java.util.Random;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Var;
import org.gkd4j.tensor.kernels.Parallel;
import org.junit.jupiter.api.Test;

class AdamWTest {

    private static final double TOLERANCE = 1e-6;

    private static Var parameter(String name, float[] values, int... shape) {
        return Var.parameter(name, Tensor.of(values.clone(), shape));
    }

    private static void setGrad(Var p, float... values) {
        p.gradOrZeros().copyFrom(Tensor.of(values, values.length));
    }

    @Test
    void firstTwoStepsMatchHandCalculation() {
        // a [1, 2] weight, so the default filter decays it; lr 0.1, betas (0.9, 0.999), eps 1e-8, wd 0.1
        Var w = parameter("w", new float[] {1f, -2f}, 1, 2);
        AdamW adamw = AdamW.builder(List.of(w)).learningRate(0.1f).betas(0.9, 0.999).eps(1e-8)
                .weightDecay(0.1).build();

        // step 1, g = [0.5, -1]: m = 0.1·g = [0.05, -0.1], v = 0.001·g² = [0.00025, 0.001];
        // m̂ = m / (1 − 0.9) = [0.5, -1], v̂ = v / (1 − 0.999) = [0.25, 1], √v̂ = [0.5, 1]
        double u0 = 0.5 / (0.5 + 1e-8);
        double u1 = -1.0 / (1.0 + 1e-8);
        double w0 = 1.0 - 0.1 * (u0 + 0.1 * 1.0);
        double w1 = -2.0 - 0.1 * (u1 + 0.1 * -2.0);
        setGrad(w, 0.5f, -1f);
        adamw.step();
        assertEquals(0.890000002, w0, 1e-12);
        assertEquals(-1.880000001, w1, 1e-12);
        assertEquals(w0, w.value().get(0), TOLERANCE);
        assertEquals(w1, w.value().get(1), TOLERANCE);

        // step 2, g = [-0.25, 2]: m = 0.9·[0.05, -0.1] + 0.1·g = [0.02, 0.11],
        // v = 0.999·[0.00025, 0.001] + 0.001·g² = [0.00031225, 0.004999];
        // bias corrections 1 − 0.9² = 0.19 and 1 − 0.999² = 0.001999
        double m0 = 0.02;
        double m1 = 0.11;
        double v0 = 0.00031225;
        double v1 = 0.004999;
        double step2u0 = (m0 / 0.19) / (Math.sqrt(v0 / 0.001999) + 1e-8);
        double step2u1 = (m1 / 0.19) / (Math.sqrt(v1 / 0.001999) + 1e-8);
        double step2w0 = w0 - 0.1 * (step2u0 + 0.1 * w0);
        double step2w1 = w1 - 0.1 * (step2u1 + 0.1 * w1);
        setGrad(w, -0.25f, 2f);
        adamw.step();
        assertEquals(0.8544662986878464, step2w0, 1e-12);
        assertEquals(-1.8978103534620747, step2w1, 1e-12);
        assertEquals(step2w0, w.value().get(0), TOLERANCE);
        assertEquals(step2w1, w.value().get(1), TOLERANCE);

        // the moments in the state are the undivided averages, to float rounding (a few 1e-8)
        Map<String, Tensor> state = adamw.state();
        assertEquals(m0, state.get("adamw.m.w").get(0), 1e-7);
        assertEquals(m1, state.get("adamw.m.w").get(1), 1e-7);
        assertEquals(v0, state.get("adamw.v.w").get(0), 1e-9);
        assertEquals(v1, state.get("adamw.v.w").get(1), 1e-9);
        assertEquals(2, adamw.stepCount());
    }

    @Test
    void chunkedStepMatchesDoublePrecision() {
        // a parameter of several update chunks plus a short tail, on 2 threads, against AdamW's first step in double
        int n = 2 * AbstractOptimizer.CHUNK + 77;
        float[] start = new float[n];
        float[] grad = new float[n];
        Random random = new Random(5);
        for (int i = 0; i < n; i++) {
            start[i] = (float) random.nextGaussian();
            grad[i] = (float) random.nextGaussian();
        }
        float[][] results = new float[2][];
        int savedThreads = Parallel.threads();
        try {
            for (int threads = 1; threads <= 2; threads++) {
                Parallel.setThreads(threads);
                Var w = parameter("w", start, 1, n);
                AdamW adamw = AdamW.builder(List.of(w)).learningRate(0.01f).weightDecay(0.1).build();
                setGrad(w, grad);
                adamw.step();
                results[threads - 1] = w.value().toArray();
            }
        } finally {
            Parallel.setThreads(savedThreads);
        }

        // step 1: m̂ = g and v̂ = g², so w ← w·(1 − lr·wd) − lr·g / (|g| + ε)
        for (int i = 0; i < n; i++) {
            double expected = start[i] * (1 - 0.01 * 0.1) - 0.01 * grad[i] / (Math.abs(grad[i]) + 1e-8);
            assertEquals(expected, results[1][i], 1e-6, "element " + i);
        }
        assertArrayEquals(results[0], results[1], "1 and 2 threads give the same bits");
    }

    @Test
    void defaultFilterSkipsDecayOfRankOneParameters() {
        // zero gradients leave only the decay: w ← w·(1 − lr·wd) = 0.99·w for the matrix,
        // and the vector stays unchanged
        Var matrix = parameter("layer.weight", new float[] {2f, -4f}, 1, 2);
        Var vector = parameter("layer.bias", new float[] {2f, -4f}, 2);
        AdamW adamw = AdamW.builder(List.of(matrix, vector)).learningRate(0.1f).weightDecay(0.1).build();
        setGrad(matrix, 0f, 0f);
        setGrad(vector, 0f, 0f);
        adamw.step();
        assertEquals(1.98, matrix.value().get(0), TOLERANCE);
        assertEquals(-3.96, matrix.value().get(1), TOLERANCE);
        assertEquals(2f, vector.value().get(0));
        assertEquals(-4f, vector.value().get(1));
    }

    @Test
    void customFilterChoosesDecayedParameters() {
        Var matrix = parameter("norm.weight", new float[] {2f, -4f}, 1, 2);
        AdamW adamw = AdamW.builder(List.of(matrix)).learningRate(0.1f).weightDecay(0.1)
                .decayFilter(p -> !p.name().startsWith("norm.")).build();
        setGrad(matrix, 0f, 0f);
        adamw.step();
        assertEquals(2f, matrix.value().get(0));
        assertEquals(-4f, matrix.value().get(1));
    }

    @Test
    void parameterWithoutGradientKeepsWeightAndState() {
        Var trained = parameter("a", new float[] {1f, 1f}, 2);
        Var frozen = parameter("b", new float[] {3f, 5f}, 1, 2);
        AdamW adamw = AdamW.builder(List.of(trained, frozen)).learningRate(0.1f).build();
        setGrad(trained, 1f, -1f);
        adamw.step();
        adamw.step();
        assertArrayEquals(new float[] {3f, 5f}, frozen.value().toArray());
        assertArrayEquals(new float[] {0f, 0f}, adamw.state().get("adamw.m.b").toArray());
        assertTrue(trained.value().get(0) < 1f, "the parameter with a gradient moved");
        assertEquals(2, adamw.stepCount());
    }

    @Test
    void zeroGradFillsGradientsWithZeros() {
        Var p = parameter("p", new float[] {1f, 2f}, 2);
        AdamW adamw = AdamW.builder(List.of(p)).build();
        setGrad(p, 5f, 6f);
        adamw.zeroGrad();
        assertArrayEquals(new float[] {0f, 0f}, p.grad().toArray());
    }

    @Test
    void invalidSettingsAreRejected() {
        List<Var> params = List.of(parameter("p", new float[] {1f}, 1));
        IllegalArgumentException beta = assertThrows(IllegalArgumentException.class,
                () -> AdamW.builder(params).betas(0.9, 1).build());
        assertTrue(beta.getMessage().contains("beta2 1.0"), beta.getMessage());
        IllegalArgumentException eps = assertThrows(IllegalArgumentException.class,
                () -> AdamW.builder(params).eps(0f).build());
        assertTrue(eps.getMessage().contains("eps 0.0"), eps.getMessage());
        IllegalArgumentException decay = assertThrows(IllegalArgumentException.class,
                () -> AdamW.builder(params).weightDecay(-0.1).build());
        assertTrue(decay.getMessage().contains("weightDecay -0.1"), decay.getMessage());
        IllegalArgumentException rate = assertThrows(IllegalArgumentException.class,
                () -> AdamW.builder(params).learningRate(Float.NaN).build());
        assertTrue(rate.getMessage().contains("learning rate NaN"), rate.getMessage());
    }

    @Test
    void invalidParameterListsAreRejected() {
        Var a = parameter("same", new float[] {1f}, 1);
        Var b = parameter("same", new float[] {2f}, 1);
        IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class,
                () -> AdamW.builder(List.of(a, b)).build());
        assertTrue(duplicate.getMessage().contains("'same'"), duplicate.getMessage());
        IllegalArgumentException constant = assertThrows(IllegalArgumentException.class,
                () -> AdamW.builder(List.of(Var.constant(Tensor.zeros(2)))).build());
        assertTrue(constant.getMessage().contains("Var.parameter"), constant.getMessage());
        IllegalArgumentException empty = assertThrows(IllegalArgumentException.class,
                () -> AdamW.builder(List.of()).build());
        assertTrue(empty.getMessage().contains("empty"), empty.getMessage());
    }
}
