package org.gkd4j.tensor.kernels;

import org.gkd4j.tensor.Tensor;

/**
 * The scalar reference matrix multiply that defines {@link Backend#matmul}:
 * c[bt, i, j] (+)= Σ_p op(a)[bt, i, p] · op(b)[bt, p, j], a: [Bt, M, K] ([Bt, K, M] when transA),
 * b: [Bt, K, N] ([Bt, N, K] when transB) or shared rank-2, c: [Bt, M, N]; Bt is 1 for rank-2 a and c.
 *
 * <p>Each sum starts at 0 and adds the products in increasing p, in float, and is then stored (or added to c when
 * {@code accumulate}). Shapes are assumed valid (see {@link MatmulShapes}).
 */
public final class MatmulReference {

    private MatmulReference() {
    }

    public static void matmul(Tensor a, Tensor b, Tensor c, boolean transA, boolean transB, boolean accumulate) {
        int batches = c.rank() == 3 ? c.dim(0) : 1;
        int m = c.dim(-2);
        int n = c.dim(-1);
        int k = transA ? a.dim(-2) : a.dim(-1);
        boolean sharedB = b.rank() == 2;
        float[] ad = a.data();
        float[] bd = b.data();
        float[] cd = c.data();
        for (int bt = 0; bt < batches; bt++) {
            int aBase = a.offset() + bt * m * k;
            int bBase = b.offset() + (sharedB ? 0 : bt * k * n);
            int cBase = c.offset() + bt * m * n;
            for (int i = 0; i < m; i++) {
                for (int j = 0; j < n; j++) {
                    float sum = 0f;
                    for (int p = 0; p < k; p++) {
                        float av = transA ? ad[aBase + p * m + i] : ad[aBase + i * k + p];
                        float bv = transB ? bd[bBase + j * k + p] : bd[bBase + p * n + j];
                        sum += av * bv;
                    }
                    int ci = cBase + i * n + j;
                    cd[ci] = accumulate ? cd[ci] + sum : sum;
                }
            }
        }
    }
}
