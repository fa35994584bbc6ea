package org.gkd4j.tensor.autograd;

import java.util.Random;

import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Gradient checks of every op against central finite differences in double precision, on shapes that include
 * sizes which are not multiples of any vector length (1, 3, 17, 33).
 */
class OpsGradientTest {

    private static final int[] ODD_SIZES = {1, 3, 17, 33};

    private final Random random = new Random(42);

    private Var parameter(int... shape) {
        Tensor value = Tensor.zeros(shape);
        for (int i = 0; i < value.size(); i++) {
            value.set(i, (float) random.nextGaussian());
        }
        return Var.parameter("p", value);
    }

    @Test
    void matmulGradientsMatchFiniteDifferences() {
        for (int size : ODD_SIZES) {
            GradCheck.check("matmul", in -> Ops.matmul(in[0], in[1]), parameter(3, size), parameter(size, 5));
            GradCheck.check("matmul", in -> Ops.matmul(in[0], in[1]), parameter(size, 2), parameter(2, size));
        }
    }

    @Test
    void linearGradientsMatchFiniteDifferences() {
        for (int size : ODD_SIZES) {
            GradCheck.check("linear", in -> Ops.linear(in[0], in[1]), parameter(4, size), parameter(3, size));
            GradCheck.check("linear", in -> Ops.linear(in[0], in[1]), parameter(2, 3, 5), parameter(size, 5));
        }
    }

    @Test
    void elementWiseGradientsMatchFiniteDifferences() {
        for (int size : ODD_SIZES) {
            GradCheck.check("add", in -> Ops.add(in[0], in[1]), parameter(2, size), parameter(2, size));
            GradCheck.check("mul", in -> Ops.mul(in[0], in[1]), parameter(2, size), parameter(2, size));
            GradCheck.check("scale", in -> Ops.scale(in[0], -1.5f), parameter(size, 2));
            GradCheck.check("sum", in -> Ops.sum(in[0]), parameter(3, size));
        }
    }

    @Test
    void mulOfVariableWithItself() {
        GradCheck.check("mulSelf", in -> Ops.mul(in[0], in[0]), parameter(17));
    }

    @Test
    void gatherRowsGradientsMatchFiniteDifferences() {
        int[] rows = {4, 0, 2};
        for (int size : ODD_SIZES) {
            GradCheck.check("gatherRows", in -> Ops.gatherRows(in[0], rows), parameter(5, size));
            // an op result as x, whose gradient comes from the workspace or heap rather than a leaf
            GradCheck.check("gatherRowsOfResult", in -> Ops.gatherRows(Ops.mul(in[0], in[0]), rows),
                    parameter(5, size));
        }
    }

    @Test
    void sharedGradientsAddUpAcrossConsumers() {
        // a feeds two reshapes and an add, so one consumer takes dy's array and the others add into it
        Var weights = Var.constant(parameter(2, 3, 17).value());
        GradCheck.check("sharedGradients", in -> {
            Var a = Ops.mul(in[0], in[0]);
            Var first = Ops.mul(Ops.reshape(a, 2, 3, 17), weights);
            Var sum = Ops.add(first, Ops.reshape(a, 2, 3, 17));
            return Ops.add(Ops.reshape(sum, 6, 17), Ops.scale(a, 0.5f));
        }, parameter(6, 17));
    }

    @Test
    void reshapeGradientFlowsThroughView() {
        Var weights = Var.constant(parameter(6, 17).value());
        GradCheck.check("reshape", in -> Ops.mul(Ops.reshape(in[0], 6, -1), weights), parameter(2, 3, 17));
    }

    @Test
    void embeddingGradientsMatchFiniteDifferences() {
        for (int size : ODD_SIZES) {
            int[] ids = {4, 0, 4, 6, 1};
            GradCheck.check("embedding", in -> Ops.embedding(in[0], ids), parameter(7, size));
        }
    }

    @Test
    void normGradientsMatchFiniteDifferences() {
        for (int size : ODD_SIZES) {
            if (size > 1) {
                // a single-channel LayerNorm is constant, so its gradient is all zeros and only rounding remains
                GradCheck.check("layerNorm", in -> Ops.layerNorm(in[0], in[1], in[2], 1e-5f),
                        parameter(3, size), parameter(size), parameter(size));
            }
            GradCheck.check("rmsNorm", in -> Ops.rmsNorm(in[0], in[1], 1e-5f), parameter(2, 2, size),
                    parameter(size));
        }
    }

    @Test
    void activationGradientsMatchFiniteDifferences() {
        for (int size : ODD_SIZES) {
            GradCheck.check("silu", in -> Ops.silu(in[0]), parameter(2, size));
            GradCheck.check("gelu", in -> Ops.gelu(in[0]), parameter(2, size));
            GradCheck.check("swiglu", in -> Ops.swiglu(in[0], in[1]), parameter(size, 3), parameter(size, 3));
        }
    }

    @Test
    void ropeGradientsMatchFiniteDifferences() {
        GradCheck.check("rope", in -> Ops.rope(in[0], new int[] {0, 5, 17}, 10000f), parameter(3, 2, 6));
        GradCheck.check("rope", in -> Ops.rope(in[0], new int[] {3, 1, 2, 33}, 100f), parameter(2, 2, 1, 34));
    }

    @Test
    void attentionGradientsMatchFiniteDifferences() {
        // B = 2, T = 5, H = 4, G = 2, D = 3
        GradCheck.check("attention", in -> Ops.attention(in[0], in[1], in[2], null),
                parameter(2, 5, 4, 3), parameter(2, 5, 2, 3), parameter(2, 5, 2, 3));
        // T = 17, H = G = 1, D = 8
        GradCheck.check("attention", in -> Ops.attention(in[0], in[1], in[2], null),
                parameter(1, 17, 1, 8), parameter(1, 17, 1, 8), parameter(1, 17, 1, 8));
        // T = 1
        GradCheck.check("attention", in -> Ops.attention(in[0], in[1], in[2], null),
                parameter(3, 1, 2, 4), parameter(3, 1, 1, 4), parameter(3, 1, 1, 4));
    }

    @Test
    void attentionGradientsWithPaddingMatchFiniteDifferences() {
        // batch 0 is left-padded by two tokens (its first queries see no key), batch 1 has a hole
        boolean[] keyMask = {false, false, true, true, true, true, true, false, true, true};
        GradCheck.check("attentionMasked", in -> Ops.attention(in[0], in[1], in[2], keyMask),
                parameter(2, 5, 2, 3), parameter(2, 5, 1, 3), parameter(2, 5, 1, 3));
    }

    @Test
    void softmaxGradientsMatchFiniteDifferences() {
        for (int size : ODD_SIZES) {
            GradCheck.check("softmax", in -> Ops.softmax(in[0]), parameter(3, size));
            GradCheck.check("logSoftmax", in -> Ops.logSoftmax(in[0]), parameter(2, 2, size));
        }
    }

    @Test
    void crossEntropyGradientsMatchFiniteDifferences() {
        for (int size : ODD_SIZES) {
            int[] targets = {0, -100, size - 1, size / 2};
            GradCheck.check("crossEntropy", in -> Ops.crossEntropy(in[0], targets, -100), parameter(4, size));
        }
    }

    @Test
    void chainedOpsGradientsMatchFiniteDifferences() {
        // a small MLP block: rmsNorm -> linear -> swiglu -> linear -> cross-entropy
        int[] targets = {1, 4, 0};
        GradCheck.check("mlp", in -> {
            Var h = Ops.rmsNorm(in[0], in[1], 1e-5f);
            Var gate = Ops.linear(h, in[2]);
            Var up = Ops.linear(h, in[3]);
            return Ops.crossEntropy(Ops.linear(Ops.swiglu(gate, up), in[4]), targets, -1);
        }, parameter(3, 7), parameter(7), parameter(9, 7), parameter(9, 7), parameter(5, 9));
    }
}
