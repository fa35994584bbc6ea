package org.gkd4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;

import java.util.Arrays;
import java.util.SplittableRandom;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Ops;
import org.gkd4j.tensor.autograd.Tape;
import org.gkd4j.tensor.autograd.Var;
import org.junit.jupiter.api.Test;

/**
 * Checks the gradient of the whole model's cross-entropy loss against central finite differences of the
 * double-precision reference forward pass, for several entries of every parameter.
 */
class TransformerGradientTest {

    // dim 8, 2 layers, 2 heads over 1 kv head, hidden 12, vocab 11
    static final ModelConfig TINY = new ModelConfig(8, 2, 2, 1, 12, 11, 8, 10000f, 1e-5f, false);
    static final int IGNORE = -1;

    // batch 2, time 5; row 1 is left-padded by two tokens
    static final int[] IDS = {1, 4, 9, 2, 7, 0, 0, 1, 10, 3};
    static final boolean[] KEY_MASK = {true, true, true, true, true, false, false, true, true, true};
    static final int[] POSITIONS = {0, 1, 2, 3, 4, 0, 0, 0, 1, 2};
    static final int[] TARGETS = {4, 9, 2, 7, IGNORE, IGNORE, IGNORE, 10, 3, IGNORE};

    @Test
    void lossGradientMatchesFiniteDifferences() {
        checkModel(Transformer.init(TINY, 17));
    }

    @Test
    void lossGradientMatchesFiniteDifferencesWithTiedHead() {
        ModelConfig tied = new ModelConfig(8, 2, 2, 1, 12, 11, 8, 10000f, 1e-5f, true);
        checkModel(Transformer.init(tied, 18));
    }

    private static void checkModel(Transformer model) {
        TestModels.scaleUp(model, 20f);
        for (Var parameter : model.parameters()) {
            if (parameter.value().rank() == 1) {
                float[] data = parameter.value().data();
                SplittableRandom random = new SplittableRandom(parameter.name().hashCode());
                for (int i = 0; i < data.length; i++) {
                    data[i] = (float) (1 + 0.3 * random.nextGaussian());
                }
            }
        }

        // autograd gradient of the float model
        Tape.current().clear();
        for (Var parameter : model.parameters()) {
            parameter.zeroGrad();
        }
        Var logits = model.forward(IDS, 2, 5, KEY_MASK, POSITIONS);
        Var loss = Ops.crossEntropy(logits, TARGETS, IGNORE);
        loss.backward();
        assertEquals(referenceLoss(model), loss.value().get(0), 1e-5, "loss value");

        // central differences of the double reference, three entries of every parameter
        SplittableRandom random = new SplittableRandom(99);
        for (Var parameter : model.parameters()) {
            Tensor grad = parameter.grad();
            assertNotNull(grad, parameter.name() + " received no gradient");
            float[] data = parameter.value().data();
            for (int check = 0; check < 3; check++) {
                int i = random.nextInt(data.length);
                if (parameter.name().equals("tok_embeddings") && check < 2) {
                    i = IDS[2 * check + 1] * model.config().dim() + random.nextInt(model.config().dim());
                }
                float original = data[i];
                float h = Math.max(1e-3f, Math.abs(original) * 1e-3f);
                data[i] = original + h;
                double plusValue = data[i];
                double plus = referenceLoss(model);
                data[i] = original - h;
                double minusValue = data[i];
                double minus = referenceLoss(model);
                data[i] = original;
                double numeric = (plus - minus) / (plusValue - minusValue);
                double analytic = grad.get(i);
                double tolerance = 1e-4 + 2e-3 * Math.abs(numeric);
                assertEquals(numeric, analytic, tolerance, parameter.name() + " entry " + i);
            }
        }
    }

    /** Mean cross-entropy over the non-ignored targets, from the double reference on each row's real tokens. */
    private static double referenceLoss(Transformer model) {
        int vocab = model.config().vocabSize();
        double sum = 0;
        int count = 0;
        for (int b = 0; b < 2; b++) {
            int first = 0;
            while (!KEY_MASK[b * 5 + first]) {
                first++;
            }
            int[] real = Arrays.copyOfRange(IDS, b * 5 + first, b * 5 + 5);
            double[][] logits = TestModels.referenceLogits(model, real);
            for (int t = first; t < 5; t++) {
                int target = TARGETS[b * 5 + t];
                if (target != IGNORE) {
                    sum -= TestModels.logSoftmax(logits[t - first])[target];
                    count++;
                }
            }
            assertEquals(vocab, logits[0].length);
        }
        return sum / count;
    }
}
