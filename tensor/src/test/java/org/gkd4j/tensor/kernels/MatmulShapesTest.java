package org.gkd4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertDoesNotThrow;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class MatmulShapesTest {

    @Test
    void checkAcceptsTheThreeLayoutsAndBatches() {
        assertDoesNotThrow(() -> MatmulShapes.check(Tensor.zeros(2, 3), Tensor.zeros(3, 4), Tensor.zeros(2, 4),
                false, false));
        assertDoesNotThrow(() -> MatmulShapes.check(Tensor.zeros(2, 3), Tensor.zeros(4, 3), Tensor.zeros(2, 4),
                false, true));
        assertDoesNotThrow(() -> MatmulShapes.check(Tensor.zeros(3, 2), Tensor.zeros(3, 4), Tensor.zeros(2, 4),
                true, false));
        assertDoesNotThrow(() -> MatmulShapes.check(Tensor.zeros(5, 2, 3), Tensor.zeros(3, 4),
                Tensor.zeros(5, 2, 4), false, false));
        assertDoesNotThrow(() -> MatmulShapes.check(Tensor.zeros(5, 2, 3), Tensor.zeros(5, 4, 3),
                Tensor.zeros(5, 2, 4), false, true));
    }

    @Test
    void checkRejectsInnerDimensionMismatch() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MatmulShapes.check(Tensor.zeros(2, 3), Tensor.zeros(4, 5), Tensor.zeros(2, 5), false, false));
        assertTrue(e.getMessage().contains("K=3"), e.getMessage());
        assertTrue(e.getMessage().contains("K=4"), e.getMessage());
        assertTrue(e.getMessage().contains("[2, 3]"), e.getMessage());
    }

    @Test
    void checkRejectsWrongOutputShape() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MatmulShapes.check(Tensor.zeros(2, 3), Tensor.zeros(3, 4), Tensor.zeros(4, 2), false, false));
        assertTrue(e.getMessage().contains("[2, 4]"), e.getMessage());
    }

    @Test
    void checkRejectsBothTransposed() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MatmulShapes.check(Tensor.zeros(3, 2), Tensor.zeros(4, 3), Tensor.zeros(2, 4), true, true));
        assertTrue(e.getMessage().contains("transA and transB"), e.getMessage());
    }

    @Test
    void checkRejectsBatchMismatch() {
        assertThrows(IllegalArgumentException.class, () -> MatmulShapes.check(Tensor.zeros(5, 2, 3),
                Tensor.zeros(4, 3, 4), Tensor.zeros(5, 2, 4), false, false));
        assertThrows(IllegalArgumentException.class, () -> MatmulShapes.check(Tensor.zeros(5, 2, 3),
                Tensor.zeros(3, 4), Tensor.zeros(6, 2, 4), false, false));
    }

    @Test
    void checkRejectsRankMismatch() {
        assertThrows(IllegalArgumentException.class, () -> MatmulShapes.check(Tensor.zeros(5, 2, 3),
                Tensor.zeros(3, 4), Tensor.zeros(2, 4), false, false));
        assertThrows(IllegalArgumentException.class, () -> MatmulShapes.check(Tensor.zeros(2, 3),
                Tensor.zeros(1, 3, 4), Tensor.zeros(2, 4), false, false));
        assertThrows(IllegalArgumentException.class, () -> MatmulShapes.check(Tensor.zeros(6),
                Tensor.zeros(6), Tensor.zeros(6), false, false));
    }

    @Test
    void checkRejectsOutputOverlappingInput() {
        float[] shared = new float[12];
        Tensor a = Tensor.view(shared, 0, 2, 2);
        Tensor c = Tensor.view(shared, 2, 2, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> MatmulShapes.check(a, Tensor.zeros(2, 2), c, false, false));
        assertTrue(e.getMessage().contains("overlaps"), e.getMessage());
        // disjoint regions of one array are fine
        assertDoesNotThrow(() -> MatmulShapes.check(a, Tensor.zeros(2, 2), Tensor.view(shared, 4, 2, 2),
                false, false));
    }
}
