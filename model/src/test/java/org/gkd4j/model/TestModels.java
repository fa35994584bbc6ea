package org.gkd4j.model;

import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Ops;
import org.gkd4j.tensor.autograd.Var;
import org.junit.jupiter.api.Assumptions;

/** Test helpers shared by the model and sampling tests. */
public final class TestModels {

    private TestModels() {
    }

    /** Multiplies every matrix by {@code factor} so attention and the logits are far from uniform. */
    public static void scaleUp(Transformer model, float factor) {
        for (var parameter : model.parameters()) {
            if (parameter.value().rank() == 2) {
                float[] data = parameter.value().data();
                for (int i = 0; i < data.length; i++) {
                    data[i] *= factor;
                }
            }
        }
    }

    /** Logits [T][V] of one sequence from the double-precision reference forward pass. */
    public static double[][] referenceLogits(Transformer model, int[] ids) {
        return ReferenceForward.logits(model.config(), model.namedTensors(), ids);
    }

    /**
     * Skips the calling test while the autograd ops are still stubs on this branch.
     * TODO: remove once the kernels branch (Ops and ScalarBackend) is merged into main.
     */
    public static void assumeOpsImplemented() {
        boolean implemented;
        try {
            Var one = Var.constant(Tensor.of(new float[] {1f}, 1));
            Ops.add(one, one);
            implemented = true;
        } catch (UnsupportedOperationException e) {
            implemented = false;
        }
        Assumptions.assumeTrue(implemented, "autograd ops are not implemented on this branch yet");
    }

    public static double[] logSoftmax(double[] logits) {
        return ReferenceForward.logSoftmax(logits);
    }
}
