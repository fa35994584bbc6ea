package org.gkd4j.tensor.kernels;

import org.gkd4j.tensor.Tensor;

/**
 * Shape rules of {@link Backend#matmul}: a [M, K] ([K, M] when transA), b [K, N] ([N, K] when transB), c [M, N];
 * batched: a and c [Bt, ., .], b [Bt, ., .] or a shared rank-2 matrix.
 */
public final class MatmulShapes {

    private MatmulShapes() {
    }

    /**
     * Checks that a, b and c fit the matmul contract and that c does not overlap a or b; throws
     * IllegalArgumentException naming the shapes and what was expected.
     */
    public static void check(Tensor a, Tensor b, Tensor c, boolean transA, boolean transB) {
        String shapes = " (a " + a.shapeString() + (transA ? "ᵀ" : "") + ", b " + b.shapeString()
                + (transB ? "ᵀ" : "") + ", c " + c.shapeString() + ")";

        // layout and ranks
        if (transA && transB) {
            throw new IllegalArgumentException("matmul: transA and transB are both true" + shapes
                    + "; only A·B, A·Bᵀ and Aᵀ·B are supported, so transpose one operand first");
        }
        if (c.rank() != 2 && c.rank() != 3) {
            throw new IllegalArgumentException("matmul: c has rank " + c.rank() + shapes
                    + "; expected [M, N] or batched [Bt, M, N]");
        }
        if (a.rank() != c.rank()) {
            throw new IllegalArgumentException("matmul: a has rank " + a.rank() + " but c has rank " + c.rank()
                    + shapes + "; a and c must both be rank 2, or both rank 3 with the same batch size");
        }
        if (b.rank() != 2 && b.rank() != a.rank()) {
            throw new IllegalArgumentException("matmul: b has rank " + b.rank() + shapes
                    + "; expected a rank-2 matrix, or rank 3 matching a batched a");
        }

        // batch axis
        if (c.rank() == 3 && a.dim(0) != c.dim(0)) {
            throw new IllegalArgumentException("matmul: batch sizes differ, a has " + a.dim(0) + " and c has "
                    + c.dim(0) + shapes);
        }
        if (b.rank() == 3 && b.dim(0) != a.dim(0)) {
            throw new IllegalArgumentException("matmul: batch sizes differ, a has " + a.dim(0) + " and b has "
                    + b.dim(0) + shapes + "; pass a shared b as a rank-2 matrix");
        }

        // inner and outer dimensions
        int m = transA ? a.dim(-1) : a.dim(-2);
        int k = transA ? a.dim(-2) : a.dim(-1);
        int kb = transB ? b.dim(-1) : b.dim(-2);
        int n = transB ? b.dim(-2) : b.dim(-1);
        if (k != kb) {
            throw new IllegalArgumentException("matmul: inner dimensions differ, op(a) has K=" + k + " but op(b) has K="
                    + kb + shapes);
        }
        if (c.dim(-2) != m || c.dim(-1) != n) {
            throw new IllegalArgumentException("matmul: c must be [" + m + ", " + n + "] (M x N) but is "
                    + c.shapeString() + shapes);
        }

        // aliasing: c is written while a and b are read
        if (overlaps(c, a) || overlaps(c, b)) {
            throw new IllegalArgumentException("matmul: c overlaps an input" + shapes
                    + "; write the product into a separate tensor");
        }
    }

    private static boolean overlaps(Tensor x, Tensor y) {
        return x.data() == y.data() && x.offset() < y.offset() + y.size() && y.offset() < x.offset() + x.size();
    }
}
