package org.gkd4j.tensor.quant;

import org.gkd4j.tensor.Tensor;

/** The scalar definition of the Q8_0 matrix multiply, kept as the reference the Vector API kernel is tested against. */
public final class Q8MatmulReference {

    private Q8MatmulReference() {
    }

    /** Computes out [N, O] = x [N, C] · dequantize(w [O, C])ᵀ, accumulating each dot product in float. */
    public static void matmulTransB(Tensor x, Q8Tensor w, Tensor out) {
        Q8Matmul.checkShapes(x, w, out);
        int n = x.rows();
        int c = w.cols();
        int o = w.rows();
        float[] xd = x.data();
        float[] od = out.data();
        byte[] q = w.values();
        float[] s = w.scales();
        int groupSize = w.groupSize();
        for (int i = 0; i < n; i++) {
            for (int r = 0; r < o; r++) {
                float sum = 0;
                for (int k = 0; k < c; k++) {
                    int flat = r * c + k;
                    sum += xd[x.offset() + i * c + k] * (q[flat] * s[flat / groupSize]);
                }
                od[out.offset() + i * o + r] = sum;
            }
        }
    }
}
