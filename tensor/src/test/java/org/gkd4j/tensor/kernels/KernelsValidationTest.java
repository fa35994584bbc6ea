package org.gkd4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.function.Executable;

/** Checks that the Kernels facade rejects bad shapes, ids and positions with a message naming op and values. */
class KernelsValidationTest {

    private static String rejection(Executable call) {
        return assertThrows(IllegalArgumentException.class, call).getMessage();
    }

    private static void assertMentions(String message, String... parts) {
        for (String part : parts) {
            assertTrue(message.contains(part), () -> "message '" + message + "' does not mention '" + part + "'");
        }
    }

    @Test
    void embeddingRejectsOutOfRangeId() {
        String message = rejection(() -> Kernels.embedding(Tensor.zeros(512, 4), new int[] {1, 2, 3, 600},
                Tensor.zeros(4, 4)));
        assertEquals("embedding: id 600 at position 3 is out of range for vocabulary 512", message);
    }

    @Test
    void embeddingRejectsNegativeId() {
        String message = rejection(() -> Kernels.embedding(Tensor.zeros(8, 4), new int[] {-1}, Tensor.zeros(1, 4)));
        assertMentions(message, "embedding", "id -1", "vocabulary 8");
    }

    @Test
    void embeddingBackwardRejectsWrongOutputSize() {
        String message = rejection(() -> Kernels.embeddingBackward(Tensor.zeros(3, 5), new int[] {0, 1, 2},
                Tensor.zeros(8, 4)));
        assertMentions(message, "embeddingBackward", "dout", "[3, 5]", "12");
    }

    @Test
    void crossEntropyRejectsOutOfRangeTarget() {
        String message = rejection(() -> Kernels.crossEntropy(Tensor.zeros(2, 10), new int[] {3, 10}, -100,
                Tensor.zeros(2)));
        assertMentions(message, "crossEntropy", "target 10 at position 1", "vocabulary 10", "ignore index -100");
    }

    @Test
    void crossEntropyRejectsTargetCountMismatch() {
        String message = rejection(() -> Kernels.crossEntropy(Tensor.zeros(2, 10), new int[] {3}, -100,
                Tensor.zeros(2)));
        assertMentions(message, "crossEntropy", "targets has 1 entries", "2");
    }

    @Test
    void addRejectsSizeMismatch() {
        String message = rejection(() -> Kernels.add(Tensor.zeros(2, 3), Tensor.zeros(3, 3), Tensor.zeros(2, 3)));
        assertMentions(message, "add", "[2, 3]", "[3, 3]");
    }

    @Test
    void softmaxRejectsDifferentLastAxis() {
        String message = rejection(() -> Kernels.softmax(Tensor.zeros(2, 6), Tensor.zeros(3, 4)));
        assertMentions(message, "softmax", "[3, 4]", "[2, 6]");
    }

    @Test
    void rmsNormRejectsWeightOfWrongSize() {
        String message = rejection(() -> Kernels.rmsNorm(Tensor.zeros(2, 6), Tensor.zeros(5), 1e-5f,
                Tensor.zeros(2, 6), Tensor.zeros(2)));
        assertMentions(message, "rmsNorm", "weight", "[5]", "6");
    }

    @Test
    void layerNormRejectsNegativeEps() {
        String message = rejection(() -> Kernels.layerNorm(Tensor.zeros(2, 6), Tensor.zeros(6), Tensor.zeros(6),
                -1f, Tensor.zeros(2, 6), Tensor.zeros(2), Tensor.zeros(2)));
        assertMentions(message, "layerNorm", "eps", "-1.0");
    }

    @Test
    void swigluRejectsMismatchedUp() {
        String message = rejection(() -> Kernels.swiglu(Tensor.zeros(4), Tensor.zeros(5), Tensor.zeros(4)));
        assertMentions(message, "swiglu", "gate", "up", "[5]");
    }

    @Test
    void ropeRejectsOddHeadSize() {
        String message = rejection(() -> Kernels.rope(Tensor.zeros(2, 1, 5), new int[] {0, 1}, 10000f, false));
        assertMentions(message, "rope", "D = 5", "even");
    }

    @Test
    void ropeRejectsPositionCountMismatch() {
        String message = rejection(() -> Kernels.rope(Tensor.zeros(2, 1, 4), new int[] {0}, 10000f, false));
        assertMentions(message, "rope", "positions has 1", "N = 2");
    }

    @Test
    void attentionRejectsHeadsNotMultipleOfKeyHeads() {
        String message = rejection(() -> Kernels.attention(Tensor.zeros(1, 4, 3, 8), Tensor.zeros(1, 4, 2, 8),
                Tensor.zeros(1, 4, 2, 8), null, Tensor.zeros(1, 4, 3, 8), Tensor.zeros(1, 3, 4)));
        assertMentions(message, "attention", "H = 3", "G = 2");
    }

    @Test
    void attentionRejectsKeyMaskOfWrongLength() {
        String message = rejection(() -> Kernels.attention(Tensor.zeros(2, 4, 2, 8), Tensor.zeros(2, 4, 2, 8),
                Tensor.zeros(2, 4, 2, 8), new boolean[4], Tensor.zeros(2, 4, 2, 8), Tensor.zeros(2, 2, 4)));
        assertMentions(message, "attention", "keyMask has 4", "B·T = 8");
    }

    @Test
    void attentionRejectsKeyOfOtherHeadSize() {
        String message = rejection(() -> Kernels.attention(Tensor.zeros(1, 4, 2, 8), Tensor.zeros(1, 4, 2, 4),
                Tensor.zeros(1, 4, 2, 4), null, Tensor.zeros(1, 4, 2, 8), Tensor.zeros(1, 2, 4)));
        assertMentions(message, "attention", "k [1, 4, 2, 4]", "q [1, 4, 2, 8]");
    }

    @Test
    void matmulRejectsInnerDimensionMismatch() {
        String message = rejection(() -> Kernels.matmul(Tensor.zeros(2, 3), Tensor.zeros(4, 5), Tensor.zeros(2, 5),
                false, false, false));
        assertMentions(message, "matmul", "[2, 3]", "[4, 5]");
    }

    @Test
    void matmulRejectsWrongOutputShape() {
        String message = rejection(() -> Kernels.matmul(Tensor.zeros(2, 3), Tensor.zeros(3, 5), Tensor.zeros(2, 4),
                false, false, false));
        assertMentions(message, "matmul", "c [2, 4]", "5");
    }
}
