package org.gkd4j.tensor;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class TensorTest {

    @Test
    void reshapeSharesData() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
        Tensor r = t.reshape(3, -1);
        r.set(5, 60f);
        assertArrayEquals(new int[] {3, 2}, r.shape());
        assertEquals(60f, t.at(1, 2));
    }

    @Test
    void rowsViewStartsAtSliceOffset() {
        Tensor t = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 3, 2);
        Tensor middle = t.rows(1, 2);
        assertEquals(2, middle.offset());
        assertEquals(3f, middle.get(0));
        assertEquals(6f, t.row(2).get(1));
    }

    @Test
    void nonPositiveDimensionIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tensor.zeros(2, 0));
        assertTrue(e.getMessage().contains("[2, 0]"), e.getMessage());
    }

    @Test
    void rowsOutOfRangeIsRejected() {
        Tensor t = Tensor.zeros(3, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> t.rows(2, 2));
        assertTrue(e.getMessage().contains("[2, 4)"), e.getMessage());
    }

    @Test
    void reshapeToOtherSizeIsRejected() {
        Tensor t = Tensor.zeros(3, 2);
        assertThrows(IllegalArgumentException.class, () -> t.reshape(4, 2));
    }
}
