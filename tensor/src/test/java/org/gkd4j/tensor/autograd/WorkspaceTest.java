package org.gkd4j.tensor.autograd;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

import java.util.Random;

import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/** Workspace arrays without zeroing, and attention outputs that use them. */
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
}
