package org.gkd4j.tensor.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Var;
import org.junit.jupiter.api.Test;

class SgdTest {

    private static final double TOLERANCE = 1e-6;

    private static void setGrad(Var p, float... values) {
        p.gradOrZeros().copyFrom(Tensor.of(values, values.length));
    }

    @Test
    void momentumMatchesHandCalculation() {
        Var w = Var.parameter("w", Tensor.of(new float[] {1f, -2f}, 2));
        Sgd sgd = Sgd.builder(List.of(w)).learningRate(0.1f).momentum(0.9f).build();

        // step 1: buf = g = [0.5, -1]; w = [1 − 0.05, −2 + 0.1] = [0.95, −1.9]
        setGrad(w, 0.5f, -1f);
        sgd.step();
        assertEquals(0.95, w.value().get(0), TOLERANCE);
        assertEquals(-1.9, w.value().get(1), TOLERANCE);

        // step 2: buf = 0.9·[0.5, −1] + [−0.25, 2] = [0.2, 1.1];
        // w = [0.95 − 0.02, −1.9 − 0.11] = [0.93, −2.01]
        setGrad(w, -0.25f, 2f);
        sgd.step();
        assertEquals(0.93, w.value().get(0), TOLERANCE);
        assertEquals(-2.01, w.value().get(1), TOLERANCE);
        assertEquals(0.2, sgd.state().get("sgd.momentumBuffer.w").get(0), TOLERANCE);
        assertEquals(1.1, sgd.state().get("sgd.momentumBuffer.w").get(1), TOLERANCE);
    }

    @Test
    void nesterovMatchesHandCalculation() {
        Var w = Var.parameter("w", Tensor.of(new float[] {1f, -2f}, 2));
        Sgd sgd = Sgd.builder(List.of(w)).learningRate(0.1f).momentum(0.9f).nesterov(true).build();

        // step 1: buf = g; d = g + 0.9·buf = 1.9·g = [0.95, −1.9];
        // w = [1 − 0.095, −2 + 0.19] = [0.905, −1.81]
        setGrad(w, 0.5f, -1f);
        sgd.step();
        assertEquals(0.905, w.value().get(0), TOLERANCE);
        assertEquals(-1.81, w.value().get(1), TOLERANCE);

        // step 2: buf = [0.2, 1.1]; d = [−0.25 + 0.18, 2 + 0.99] = [−0.07, 2.99]; w = [0.912, −2.109]
        setGrad(w, -0.25f, 2f);
        sgd.step();
        assertEquals(0.912, w.value().get(0), TOLERANCE);
        assertEquals(-2.109, w.value().get(1), TOLERANCE);
    }

    @Test
    void coupledWeightDecayMatchesHandCalculation() {
        // a [1, 2] weight, decayed by the default filter, wd 0.1
        Var w = Var.parameter("w", Tensor.of(new float[] {1f, -2f}, 1, 2));
        Sgd sgd = Sgd.builder(List.of(w)).learningRate(0.1f).momentum(0.9f).weightDecay(0.1f).build();

        // step 1: d = g + 0.1·w = [0.6, −1.2] = buf; w = [1 − 0.06, −2 + 0.12] = [0.94, −1.88]
        setGrad(w, 0.5f, -1f);
        sgd.step();
        assertEquals(0.94, w.value().get(0), TOLERANCE);
        assertEquals(-1.88, w.value().get(1), TOLERANCE);

        // step 2: d = [−0.25 + 0.094, 2 − 0.188] = [−0.156, 1.812];
        // buf = 0.9·[0.6, −1.2] + d = [0.384, 0.732];
        // w = [0.94 − 0.0384, −1.88 − 0.0732] = [0.9016, −1.9532]
        setGrad(w, -0.25f, 2f);
        sgd.step();
        assertEquals(0.9016, w.value().get(0), TOLERANCE);
        assertEquals(-1.9532, w.value().get(1), TOLERANCE);
    }

    @Test
    void plainSgdHasNoBuffers() {
        Var w = Var.parameter("w", Tensor.of(new float[] {1f, -2f}, 2));
        Sgd sgd = Sgd.builder(List.of(w)).learningRate(0.5f).build();

        // w ← w − 0.5·g = [1 − 0.25, −2 + 0.5]
        setGrad(w, 0.5f, -1f);
        sgd.step();
        assertEquals(0.75f, w.value().get(0));
        assertEquals(-1.5f, w.value().get(1));
        assertTrue(sgd.state().keySet().stream().noneMatch(k -> k.startsWith("sgd.momentumBuffer")),
                sgd.state().keySet().toString());
    }

    @Test
    void nesterovWithoutMomentumIsRejected() {
        Var w = Var.parameter("w", Tensor.zeros(2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sgd.builder(List.of(w)).nesterov(true).build());
        assertTrue(e.getMessage().contains("Nesterov"), e.getMessage());
    }

    @Test
    void momentumOutOfRangeIsRejected() {
        Var w = Var.parameter("w", Tensor.zeros(2));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Sgd.builder(List.of(w)).momentum(1.5f).build());
        assertTrue(e.getMessage().contains("momentum 1.5"), e.getMessage());
    }
}
