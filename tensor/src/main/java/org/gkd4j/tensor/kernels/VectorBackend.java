package org.gkd4j.tensor.kernels;

import org.gkd4j.tensor.Tensor;

/** The default backend: kernels on the JDK Vector API. */
public class VectorBackend extends ScalarBackend {

    @Override
    public String name() {
        return "vector";
    }

    @Override
    public void matmul(Tensor a, Tensor b, Tensor c, boolean transA, boolean transB, boolean accumulate) {
        VectorMatmul.matmul(a, b, c, transA, transB, accumulate);
    }
}
