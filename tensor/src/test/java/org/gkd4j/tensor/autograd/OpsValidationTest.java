package org.gkd4j.tensor.autograd;

import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Checks that ops reject bad shapes and ids with a message naming the op and the values. */
class OpsValidationTest {

    private static void assertRejected(Executable call, String... parts) {
        String message = assertThrows(IllegalArgumentException.class, call).getMessage();
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "message '" + message + "' does not mention '" + part + "'");
        }
    }

    private static Var zeros(int... shape) {
        return Var.parameter("p", Tensor.zeros(shape));
    }

    @Test
    void addRejectsDifferentShapes() {
        assertRejected(() -> Ops.add(zeros(2, 3), zeros(3, 2)), "add", "[2, 3]", "[3, 2]");
    }

    @Test
    void linearRejectsChannelMismatch() {
        assertRejected(() -> Ops.linear(zeros(4, 6), zeros(3, 5)), "linear", "[4, 6]", "C = 5");
    }

    @Test
    void matmulRejectsRank3() {
        assertRejected(() -> Ops.matmul(zeros(2, 2, 2), zeros(2, 2)), "matmul", "rank 3", "[M, K]");
    }

    @Test
    void embeddingRejectsOutOfRangeId() {
        assertRejected(() -> Ops.embedding(zeros(5, 2), new int[] {0, 5}), "embedding", "id 5 at position 1",
                "vocabulary 5");
    }

    @Test
    void crossEntropyRejectsOutOfRangeTarget() {
        assertRejected(() -> Ops.crossEntropy(zeros(2, 3), new int[] {0, 7}, -1), "crossEntropy", "target 7",
                "vocabulary 3");
    }

    @Test
    void reshapeRejectsOtherSize() {
        assertRejected(() -> Ops.reshape(zeros(2, 3), 4, 2), "reshape", "[2, 3]", "[4, 2]");
    }

    @Test
    void attentionRejectsWrongRank() {
        assertRejected(() -> Ops.attention(zeros(4, 2, 8), zeros(1, 4, 2, 8), zeros(1, 4, 2, 8), null),
                "attention", "q", "[B, T, H, D]");
    }

    @Test
    void ropeRejectsNegativePosition() {
        assertRejected(() -> Ops.rope(zeros(2, 1, 4), new int[] {0, -3}, 10000f), "rope", "position -3");
    }
}
