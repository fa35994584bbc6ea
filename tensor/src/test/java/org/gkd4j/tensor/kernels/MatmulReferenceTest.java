package org.gkd4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class MatmulReferenceTest {

    // a = [[1, 2, 3], [4, 5, 6]], b = [[7, 8], [9, 10], [11, 12]]; a·b by hand:
    // row 0: [1·7 + 2·9 + 3·11, 1·8 + 2·10 + 3·12] = [58, 64]
    // row 1: [4·7 + 5·9 + 6·11, 4·8 + 5·10 + 6·12] = [139, 154]
    private static final float[] A = {1, 2, 3, 4, 5, 6};
    private static final float[] B = {7, 8, 9, 10, 11, 12};
    private static final float[] PRODUCT = {58, 64, 139, 154};

    @Test
    void matmulTwoByThreeTimesThreeByTwo() {
        Tensor c = Tensor.zeros(2, 2);
        MatmulReference.matmul(Tensor.of(A.clone(), 2, 3), Tensor.of(B.clone(), 3, 2), c, false, false, false);
        assertArrayEquals(PRODUCT, c.toArray());
    }

    @Test
    void matmulTransposedB() {
        // bᵀ stored as [2, 3]: [[7, 9, 11], [8, 10, 12]]
        Tensor bt = Tensor.of(new float[] {7, 9, 11, 8, 10, 12}, 2, 3);
        Tensor c = Tensor.zeros(2, 2);
        MatmulReference.matmul(Tensor.of(A.clone(), 2, 3), bt, c, false, true, false);
        assertArrayEquals(PRODUCT, c.toArray());
    }

    @Test
    void matmulTransposedA() {
        // aᵀ stored as [3, 2]: [[1, 4], [2, 5], [3, 6]]
        Tensor at = Tensor.of(new float[] {1, 4, 2, 5, 3, 6}, 3, 2);
        Tensor c = Tensor.zeros(2, 2);
        MatmulReference.matmul(at, Tensor.of(B.clone(), 3, 2), c, true, false, false);
        assertArrayEquals(PRODUCT, c.toArray());
    }

    @Test
    void matmulAccumulatesIntoC() {
        Tensor c = Tensor.of(new float[] {1, 1, 1, 1}, 2, 2);
        MatmulReference.matmul(Tensor.of(A.clone(), 2, 3), Tensor.of(B.clone(), 3, 2), c, false, false, true);
        assertArrayEquals(new float[] {59, 65, 140, 155}, c.toArray());
    }

    @Test
    void matmulBatchedWithSharedAndPerBatchB() {
        // batch 1 is 2·a, so its product is 2·PRODUCT
        float[] batchedA = {1, 2, 3, 4, 5, 6, 2, 4, 6, 8, 10, 12};
        Tensor c = Tensor.zeros(2, 2, 2);
        MatmulReference.matmul(Tensor.of(batchedA, 2, 2, 3), Tensor.of(B.clone(), 3, 2), c, false, false, false);
        assertArrayEquals(new float[] {58, 64, 139, 154, 116, 128, 278, 308}, c.toArray());

        // per-batch b: batch 1 uses the identity-like b = [[1, 0], [0, 1], [0, 0]], so c = first two columns of a
        float[] batchedB = {7, 8, 9, 10, 11, 12, 1, 0, 0, 1, 0, 0};
        Tensor c2 = Tensor.zeros(2, 2, 2);
        MatmulReference.matmul(Tensor.of(batchedA.clone(), 2, 2, 3), Tensor.of(batchedB, 2, 3, 2), c2,
                false, false, false);
        assertArrayEquals(new float[] {58, 64, 139, 154, 2, 4, 8, 10}, c2.toArray());
    }
}
