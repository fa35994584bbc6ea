package org.gkd4j.tensor.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotSame;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Kernels;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/** Checks the tape, variables, no-grad scopes, detach, gradient accumulation, the workspace and GradCheck. */
class AutogradTest {

    @AfterEach
    void clearTape() {
        Tape.current().clear();
    }

    /** y = x² with a backward step that is off by a factor 1.1: GradCheck must reject it. */
    private static Var wrongSquare(Var x) {
        Tensor y = Tensor.zeros(x.value().shape());
        Kernels.mul(x.value(), x.value(), y);
        Var out = Var.result(y, Tape.needsGrad(x));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                Tensor dx = Tensor.zeros(x.value().shape());
                Kernels.mul(out.grad(), x.value(), dx);
                Kernels.axpy(2.2f, dx, x.gradOrZeros());
            });
        }
        return out;
    }

    @Test
    void gradCheckRejectsWrongBackward() {
        Var x = Var.parameter("x", Tensor.of(new float[] {0.5f, -1f, 2f}, 3));
        AssertionError error = assertThrows(AssertionError.class, () -> GradCheck.check("wrongSquare",
                in -> wrongSquare(in[0]), x));
        assertTrue(error.getMessage().startsWith("wrongSquare: gradient of input 0"), error.getMessage());
    }

    @Test
    void backwardComputesHandGradient() {
        // loss = Σ (a ⊙ b) + 3·Σ a, so dloss/da = b + 3 and dloss/db = a
        Var a = Var.parameter("a", Tensor.of(new float[] {1, 2}, 2));
        Var b = Var.parameter("b", Tensor.of(new float[] {5, -1}, 2));
        Var loss = Ops.add(Ops.sum(Ops.mul(a, b)), Ops.scale(Ops.sum(a), 3f));
        loss.backward();
        assertEquals(3f + 9f, loss.value().get(0));
        assertArrayEquals(new float[] {8, 2}, a.grad().toArray());
        assertArrayEquals(new float[] {1, 2}, b.grad().toArray());
        assertEquals(0, Tape.current().size());
    }

    @Test
    void gradientsAccumulateAcrossBackwardPasses() {
        Var a = Var.parameter("a", Tensor.of(new float[] {1, 2}, 2));
        Ops.sum(Ops.scale(a, 2f)).backward();
        Ops.sum(Ops.scale(a, 2f)).backward();
        assertArrayEquals(new float[] {4, 4}, a.grad().toArray());
        a.zeroGrad();
        assertArrayEquals(new float[] {0, 0}, a.grad().toArray());
    }

    @Test
    void noGradScopeRecordsNothing() {
        Var a = Var.parameter("a", Tensor.of(new float[] {1, 2}, 2));
        try (Tape.Scope ignored = Tape.noGrad()) {
            Var y = Ops.silu(a);
            assertFalse(y.requiresGrad());
            assertFalse(Tape.isRecording());
        }
        assertEquals(0, Tape.current().size());
        assertTrue(Tape.isRecording());
    }

    @Test
    void detachStopsGradient() {
        // loss = Σ a ⊙ detach(a): only the first factor carries a gradient, so dloss/da = a
        Var a = Var.parameter("a", Tensor.of(new float[] {3, -2}, 2));
        Var detached = a.detach();
        assertFalse(detached.requiresGrad());
        assertSame(a.value(), detached.value());
        Ops.sum(Ops.mul(a, detached)).backward();
        assertArrayEquals(new float[] {3, -2}, a.grad().toArray());
        assertNull(detached.grad());
    }

    @Test
    void constantsTakeNoGradient() {
        Var a = Var.parameter("a", Tensor.of(new float[] {1, 2}, 2));
        Var c = Var.constant(Tensor.of(new float[] {4, 5}, 2));
        Ops.sum(Ops.mul(a, c)).backward();
        assertNull(c.grad());
        assertArrayEquals(new float[] {4, 5}, a.grad().toArray());
    }

    @Test
    void backwardRejectsNonScalarLoss() {
        Var a = Var.parameter("a", Tensor.of(new float[] {1, 2}, 2));
        Var y = Ops.scale(a, 2f);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, y::backward);
        assertTrue(error.getMessage().contains("scalar"), error.getMessage());
    }

    @Test
    void crossEntropyWithEveryRowIgnoredIsZero() {
        Var logits = Var.parameter("logits", Tensor.of(new float[] {1, 2, 3, 4}, 2, 2));
        Var loss = Ops.crossEntropy(logits, new int[] {-1, -1}, -1);
        assertEquals(0f, loss.value().get(0));
        loss.backward();
        assertNull(logits.grad());
    }

    @Test
    void workspaceReusesArraysAcrossSteps() {
        Workspace workspace = new Workspace();
        Var w = Var.parameter("w", Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3));
        Var x = Var.constant(Tensor.of(new float[] {1, 0, -1, 2, 2, 2}, 2, 3));
        float[] first = null;
        float firstLoss = 0;
        long footprint = 0;
        for (int step = 0; step < 3; step++) {
            w.zeroGrad();
            try (Workspace.Scope ignored = workspace.step()) {
                Var hidden = Ops.silu(Ops.linear(x, w));
                Var loss = Ops.sum(Ops.mul(hidden, hidden));
                loss.backward();
                if (step == 0) {
                    first = hidden.value().data();
                    firstLoss = loss.value().get(0);
                    footprint = workspace.allocatedFloats();
                } else {
                    assertSame(first, hidden.value().data());
                    assertEquals(firstLoss, loss.value().get(0));
                    assertEquals(footprint, workspace.allocatedFloats());
                }
            }
        }
        assertNull(Workspace.active());
        assertNotSame(first, w.grad().data());
    }

    @Test
    void parameterGradientsStayOffTheWorkspace() {
        Workspace workspace = new Workspace();
        Var w = Var.parameter("w", Tensor.of(new float[] {1, 2}, 2));
        try (Workspace.Scope ignored = workspace.step()) {
            Ops.sum(Ops.scale(w, 3f)).backward();
        }
        float[] gradient = w.grad().toArray();
        try (Workspace.Scope ignored = workspace.step()) {
            Var other = Ops.scale(Var.constant(Tensor.of(new float[] {7, 7}, 2)), 1f);
            assertEquals(7f, other.value().get(0));
        }
        assertArrayEquals(gradient, w.grad().toArray());
        assertArrayEquals(new float[] {3, 3}, gradient);
    }

    @Test
    void customOpThroughResultAndRecordGradChecks() {
        // the documented pattern for a fused op in another module: y = x², dx += 2·x ⊙ dy
        GradCheck.check("customSquare", in -> {
            Var x = in[0];
            Tensor y = Workspace.zeros(x.value().shape());
            Kernels.mul(x.value(), x.value(), y);
            Var out = Var.result(y, Tape.needsGrad(x));
            if (out.requiresGrad()) {
                Tape.record(out, () -> {
                    Tensor dx = Workspace.zeros(x.value().shape());
                    Kernels.mul(out.grad(), x.value(), dx);
                    Kernels.axpy(2f, dx, x.gradOrZeros());
                });
            }
            return out;
        }, Var.parameter("x", Tensor.of(new float[] {0.5f, -1f, 2f, 3f}, 4)));
    }
}
