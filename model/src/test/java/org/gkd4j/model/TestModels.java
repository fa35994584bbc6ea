package org.gkd4j.model;

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

    public static double[] logSoftmax(double[] logits) {
        return ReferenceForward.logSoftmax(logits);
    }
}
