package org.gkd4j.tensor.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.List;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Var;
import org.junit.jupiter.api.Test;

class GradClipTest {

    private static Var withGrad(String name, float... grad) {
        Var p = Var.parameter(name, Tensor.zeros(grad.length));
        p.gradOrZeros().copyFrom(Tensor.of(grad, grad.length));
        return p;
    }

    @Test
    void normAboveMaximumScalesAllGradients() {
        // ‖[3, 4, 12]‖ = √(9 + 16 + 144) = 13; factor 6.5 / (13 + 1e-6) ≈ 0.5
        Var a = withGrad("a", 3f, 4f);
        Var b = withGrad("b", 12f);
        Var noGrad = Var.parameter("c", Tensor.zeros(3));
        double norm = GradClip.clipGlobalNorm(List.of(a, noGrad, b), 6.5f);
        assertEquals(13.0, norm, 1e-12);
        double factor = 6.5 / (13.0 + 1e-6);
        assertEquals(3 * factor, a.grad().get(0), 1e-6);
        assertEquals(4 * factor, a.grad().get(1), 1e-6);
        assertEquals(12 * factor, b.grad().get(0), 1e-6);
        assertEquals(1.5, a.grad().get(0), 1e-5);
        assertEquals(null, noGrad.grad());
    }

    @Test
    void normBelowMaximumLeavesGradientsUnchanged() {
        Var a = withGrad("a", 3f, 4f);
        double norm = GradClip.clipGlobalNorm(List.of(a), 5.5f);
        assertEquals(5.0, norm, 1e-12);
        assertArrayEquals(new float[] {3f, 4f}, a.grad().toArray());
    }

    @Test
    void nonFiniteNormIsReturnedWithoutScaling() {
        Var a = withGrad("a", 3f, Float.NaN);
        Var b = withGrad("b", 100f);
        double nan = GradClip.clipGlobalNorm(List.of(a, b), 1f);
        assertTrue(Double.isNaN(nan), "norm " + nan);
        assertEquals(100f, b.grad().get(0));

        Var c = withGrad("c", Float.POSITIVE_INFINITY, 2f);
        double infinite = GradClip.clipGlobalNorm(List.of(c), 1f);
        assertEquals(Double.POSITIVE_INFINITY, infinite);
        assertEquals(2f, c.grad().get(1));
    }

    @Test
    void largeGradientsDoNotOverflowTheNorm() {
        // 3e30² overflows float but not double: the norm is 5e30
        Var a = withGrad("a", 3e30f, 4e30f);
        double norm = GradClip.clipGlobalNorm(List.of(a), 1f);
        assertEquals(5e30, norm, 5e30 * 1e-6);
        assertEquals(0.6, a.grad().get(0), 1e-6);
    }

    @Test
    void nonPositiveMaximumIsRejected() {
        Var a = withGrad("a", 1f);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> GradClip.clipGlobalNorm(List.of(a), 0f));
        assertTrue(e.getMessage().contains("maxNorm 0.0"), e.getMessage());
    }
}
