package org.gkd4j.tensor.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Random;

import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Workspace arrays without zeroing, and the op outputs and gradients that use them. */
class WorkspaceTest {

    @Test
    void uninitializedKeepsStaleValues() {
        Workspace workspace = new Workspace();
        float[] first;
        try (Workspace.Scope ignored = workspace.step()) {
            first = Workspace.zeros(2, 3).data();
            first[4] = 7f;
        }
        try (Workspace.Scope ignored = workspace.step()) {
            Tensor stale = Workspace.uninitialized(3, 2);
            assertSame(first, stale.data());
            assertEquals(7f, stale.get(4));
        }
        try (Workspace.Scope ignored = workspace.step()) {
            Tensor zeroed = Workspace.zeros(6);
            assertSame(first, zeroed.data());
            assertEquals(0f, zeroed.get(4));
        }
        assertEquals(0f, Workspace.uninitialized(2, 2).get(3));
    }

    /** Runs rope and attention on [B=2, T=7, H=4, D=6] with G=2 and returns {out, dq, dk, dv}. */
    private static float[][] ropeAttention(float inputScale) {
        Random random = new Random(5);
        Var q = Var.parameter("q", randomTensor(random, inputScale, 2, 7, 4, 6));
        Var k = Var.parameter("k", randomTensor(random, inputScale, 2, 7, 2, 6));
        Var v = Var.parameter("v", randomTensor(random, inputScale, 2, 7, 2, 6));
        int[] positions = new int[14];
        for (int i = 0; i < positions.length; i++) {
            positions[i] = i % 7;
        }
        boolean[] keyMask = {false, true, true, true, true, true, true, true, true, true, true, true, true, true};
        Var out = Ops.attention(Ops.rope(q, positions, 10000f), Ops.rope(k, positions, 10000f), v, keyMask);
        Var loss = Ops.sum(Ops.mul(out, out));
        loss.backward();
        return new float[][] {out.value().data().clone(), q.grad().data().clone(), k.grad().data().clone(),
                v.grad().data().clone()};
    }

    private static Tensor randomTensor(Random random, float scale, int... shape) {
        Tensor x = Tensor.zeros(shape);
        for (int i = 0; i < x.size(); i++) {
            x.set(i, (float) random.nextGaussian() * scale);
        }
        return x;
    }

    @Test
    void attentionOnStaleArraysMatchesHeap() {
        float[][] expected = ropeAttention(1f);
        Workspace workspace = new Workspace();
        try (Workspace.Scope ignored = workspace.step()) {
            // fills the pooled arrays with other values
            ropeAttention(3f);
        }
        try (Workspace.Scope ignored = workspace.step()) {
            float[][] actual = ropeAttention(1f);
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i], actual[i], "result " + i);
            }
        }
    }

    /**
     * Runs a transformer-like block on N=6 rows, C=5, hidden 7, vocab 9: embedding, rmsNorm, linear, reshape,
     * swiglu, linear and a residual add, and returns {out, dtable, dnorm, dup, dgate, ddown}. Every op output and
     * first gradient here is written without zeroing, so stale values left in the pool would show.
     */
    private static float[][] block(float inputScale) {
        Random random = new Random(11);
        Var table = Var.parameter("table", randomTensor(random, inputScale, 9, 5));
        Var norm = Var.parameter("norm", randomTensor(random, inputScale, 5));
        Var up = Var.parameter("up", randomTensor(random, inputScale, 7, 5));
        Var gate = Var.parameter("gate", randomTensor(random, inputScale, 7, 5));
        Var down = Var.parameter("down", randomTensor(random, inputScale, 5, 7));
        int[] ids = {3, 0, 8, 3, 5, 1};
        Var x = Ops.embedding(table, ids);
        Var h = Ops.reshape(Ops.rmsNorm(x, norm, 1e-5f), 2, 3, 5);
        Var gated = Ops.swiglu(Ops.linear(h, gate), Ops.linear(h, up));
        Var out = Ops.add(x, Ops.reshape(Ops.linear(gated, down), 6, 5));
        Var loss = Ops.sum(Ops.mul(out, out));
        loss.backward();
        return new float[][] {out.value().data().clone(), table.grad().data().clone(), norm.grad().data().clone(),
                up.grad().data().clone(), gate.grad().data().clone(), down.grad().data().clone()};
    }

    @Test
    void blockOnStaleArraysMatchesHeap() {
        float[][] expected = block(1f);
        Workspace workspace = new Workspace();
        try (Workspace.Scope ignored = workspace.step()) {
            // fills the pooled arrays with other values
            block(3f);
        }
        try (Workspace.Scope ignored = workspace.step()) {
            float[][] actual = block(1f);
            for (int i = 0; i < expected.length; i++) {
                assertArrayEquals(expected[i], actual[i], "result " + i);
            }
        }
    }
}
