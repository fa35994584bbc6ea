package org.gkd4j.tensor.kernels;

import org.gkd4j.tensor.Tensor;

/** The scalar reference matrix multiply that defines {@link Backend#matmul}. */
public final class MatmulReference {

    private MatmulReference() {
    }

    public static void matmul(Tensor a, Tensor b, Tensor c, boolean transA, boolean transB, boolean accumulate) {
        // TODO: batched case; this stub handles rank-2 only until the kernel lands.
        int m = c.dim(-2);
        int n = c.dim(-1);
        int k = transA ? a.dim(-2) : a.dim(-1);
        float[] ad = a.data();
        float[] bd = b.data();
        float[] cd = c.data();
        for (int i = 0; i < m; i++) {
            for (int j = 0; j < n; j++) {
                float sum = 0;
                for (int p = 0; p < k; p++) {
                    float av = transA ? ad[a.offset() + p * m + i] : ad[a.offset() + i * k + p];
                    float bv = transB ? bd[b.offset() + j * k + p] : bd[b.offset() + p * n + j];
                    sum += av * bv;
                }
                cd[c.offset() + i * n + j] = accumulate ? cd[c.offset() + i * n + j] + sum : sum;
            }
        }
    }
}
