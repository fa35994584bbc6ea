package org.gkd4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Map;
import org.gkd4j.model.checkpoint.Checkpoints;
import org.gkd4j.model.checkpoint.ModelWeights;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Ops;
import org.gkd4j.tensor.autograd.Tape;
import org.gkd4j.tensor.autograd.Var;
import org.junit.jupiter.api.Test;

class TransformerTest {

    static final ModelConfig SMALL = new ModelConfig(24, 2, 4, 2, 40, 29, 16, 10000f, 1e-5f, false);

    @Test
    void trainingForwardLogitsEqualKvCacheLogitsOnStories260K() {
        ModelWeights weights = Checkpoints.stories260K();
        Transformer model = Transformer.fromWeights(weights);
        int[] ids = {1, 403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426, 338};
        int vocab = model.config().vocabSize();

        Tensor trainingLogits;
        try (Tape.Scope ignored = Tape.noGrad()) {
            trainingLogits = model.forward(ids, 1, ids.length, null, null).value();
        }
        float[] cacheLogits = new float[ids.length * vocab];
        int[] positions = new int[ids.length];
        int[] logitIndex = new int[ids.length];
        for (int t = 0; t < ids.length; t++) {
            positions[t] = t;
            logitIndex[t] = t;
        }
        try (KvCacheDecoder decoder = new KvCacheDecoder(model, null, 1, 32, 1)) {
            decoder.forward(ids.length, ids, new int[ids.length], positions, logitIndex, cacheLogits);
        }
        for (int i = 0; i < cacheLogits.length; i++) {
            assertEquals(cacheLogits[i], trainingLogits.get(i), 1e-3, "logit " + i);
        }
    }

    @Test
    void forwardMatchesReferenceWithPaddingAndPositions() {
        Transformer model = Transformer.init(SMALL, 5);
        TestModels.scaleUp(model, 10f);
        // row 0: 5 real tokens; row 1: two left pads, then 3 real tokens at positions 0..2
        int[] ids = {1, 7, 3, 20, 9, 0, 0, 1, 12, 28};
        boolean[] keyMask = {true, true, true, true, true, false, false, true, true, true};
        int[] positions = {0, 1, 2, 3, 4, 0, 0, 0, 1, 2};
        Tensor logits;
        try (Tape.Scope ignored = Tape.noGrad()) {
            logits = model.forward(ids, 2, 5, keyMask, positions).value();
        }
        double[][] row0 = TestModels.referenceLogits(model, new int[] {1, 7, 3, 20, 9});
        double[][] row1 = TestModels.referenceLogits(model, new int[] {1, 12, 28});
        int vocab = SMALL.vocabSize();
        for (int t = 0; t < 5; t++) {
            for (int v = 0; v < vocab; v++) {
                assertEquals(row0[t][v], logits.get(t * vocab + v), 2e-4, "row 0 t " + t);
            }
        }
        for (int t = 0; t < 3; t++) {
            for (int v = 0; v < vocab; v++) {
                assertEquals(row1[t][v], logits.get((7 + t) * vocab + v), 2e-4, "row 1 t " + t);
            }
        }
    }

    @Test
    void forwardInsideNoGradRecordsNothing() {
        Transformer model = Transformer.init(SMALL, 1);
        Tape.current().clear();
        try (Tape.Scope ignored = Tape.noGrad()) {
            Var logits = model.forward(new int[] {1, 2, 3}, 1, 3, null, null);
            assertFalse(logits.requiresGrad());
        }
        assertEquals(0, Tape.current().size());
    }

    @Test
    void outputRowsMatchFullForwardAndGradients() {
        int batch = 2, time = 7;
        int[] ids = new int[batch * time];
        for (int i = 0; i < ids.length; i++) {
            ids[i] = (i * 5 + 3) % SMALL.vocabSize();
        }
        boolean[] keyMask = new boolean[batch * time];
        for (int i = 0; i < keyMask.length; i++) {
            keyMask[i] = i != time;
        }
        int[] outputRows = {2, 3, 6, 9, 13};
        Tensor weights = Tensor.zeros(outputRows.length, SMALL.dim());
        for (int i = 0; i < weights.size(); i++) {
            weights.set(i, (float) Math.sin(0.7 * i));
        }

        // reference: all rows, then the output rows picked out
        Transformer full = Transformer.init(SMALL, 4);
        Var fullRows = Ops.gatherRows(full.forwardHidden(ids, batch, time, keyMask, null), outputRows);
        Ops.sum(Ops.mul(fullRows, Var.constant(weights))).backward();

        Transformer picked = Transformer.init(SMALL, 4);
        Var pickedRows = picked.forwardHidden(ids, batch, time, keyMask, null, outputRows);
        Ops.sum(Ops.mul(pickedRows, Var.constant(weights))).backward();

        assertEquals(outputRows.length, pickedRows.value().dim(0));
        for (int i = 0; i < fullRows.value().size(); i++) {
            assertEquals(fullRows.value().get(i), pickedRows.value().get(i), 1e-5f, "hidden[" + i + "]");
        }
        for (int p = 0; p < full.parameters().size(); p++) {
            Var expected = full.parameters().get(p);
            Var actual = picked.parameters().get(p);
            if (expected.grad() == null) {
                // the output head is not part of forwardHidden
                assertEquals(null, actual.grad(), expected.name());
                continue;
            }
            for (int i = 0; i < expected.grad().size(); i++) {
                float e = expected.grad().get(i);
                assertEquals(e, actual.grad().get(i), 1e-5f * (1 + Math.abs(e)), expected.name() + " grad[" + i + "]");
            }
        }
    }

    @Test
    void outputRowOutsideBatchIsRejected() {
        Transformer model = Transformer.init(SMALL, 2);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> model.forwardHidden(new int[] {1, 2, 3, 4}, 2, 2, null, null, new int[] {0, 4}));
        assertTrue(e.getMessage().contains("outputRows[1] = 4"), e.getMessage());
    }

    @Test
    void forwardHiddenAndHeadGiveLogits() {
        Transformer model = Transformer.init(SMALL, 2);
        int[] ids = {4, 5, 6, 7};
        try (Tape.Scope ignored = Tape.noGrad()) {
            Tensor hidden = model.forwardHidden(ids, 2, 2, null, null).value();
            Tensor logits = model.forward(ids, 2, 2, null, null).value();
            Tensor head = model.headWeight().value();
            assertEquals(4, hidden.dim(0));
            assertEquals(SMALL.dim(), hidden.dim(1));
            for (int n = 0; n < 4; n++) {
                for (int v = 0; v < SMALL.vocabSize(); v++) {
                    double sum = 0;
                    for (int c = 0; c < SMALL.dim(); c++) {
                        sum += (double) hidden.get(n * SMALL.dim() + c) * head.get(v * SMALL.dim() + c);
                    }
                    assertEquals(sum, logits.get(n * SMALL.vocabSize() + v), 1e-5);
                }
            }
        }
    }

    @Test
    void initIsSeededWithScaledResidualsAndUnitNorms() {
        ModelConfig config = new ModelConfig(64, 8, 4, 4, 128, 300, 16, 10000f, 1e-5f, true);
        Transformer first = Transformer.init(config, 9);
        Transformer second = Transformer.init(config, 9);
        Map<String, Tensor> a = first.namedTensors();
        Map<String, Tensor> b = second.namedTensors();
        assertEquals(a.keySet(), b.keySet());
        for (String name : a.keySet()) {
            assertTrue(java.util.Arrays.equals(a.get(name).toArray(), b.get(name).toArray()), name);
        }
        assertEquals(0.02, std(a.get("layers.0.attention.wq")), 0.002);
        assertEquals(0.02, std(a.get("tok_embeddings")), 0.001);
        assertEquals(0.02 / Math.sqrt(16), std(a.get("layers.3.attention.wo")), 0.0005);
        assertEquals(0.02 / Math.sqrt(16), std(a.get("layers.7.feed_forward.w2")), 0.0005);
        for (float value : a.get("layers.2.ffn_norm").toArray()) {
            assertEquals(1f, value);
        }
        assertSame(first.headWeight(), first.parameters().get(0), "a tied head is the embedding");
        assertEquals(config.parameterCount(), first.parameters().stream().mapToLong(p -> p.value().size()).sum());
    }

    @Test
    void toWeightsRoundTripsThroughFromWeights() {
        Transformer model = Transformer.init(SMALL, 4);
        ModelWeights weights = model.toWeights();
        Transformer copy = Transformer.fromWeights(weights);
        assertEquals(model.namedTensors().keySet(), copy.namedTensors().keySet());
        assertNotNull(weights.tensor("output"));
        assertSame(model.namedTensors().get("norm"), copy.namedTensors().get("norm"));
    }

    @Test
    void missingWeightIsNamed() {
        Map<String, Tensor> tensors = new java.util.LinkedHashMap<>(Transformer.init(SMALL, 1).namedTensors());
        tensors.remove("layers.1.feed_forward.w3");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> Transformer.fromTensors(SMALL, tensors));
        assertTrue(error.getMessage().contains("layers.1.feed_forward.w3"), error.getMessage());
    }

    @Test
    void rejectsIdsOutsideVocabulary() {
        Transformer model = Transformer.init(SMALL, 1);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> model.forward(new int[] {1, 29}, 1, 2, null, null));
        assertTrue(error.getMessage().contains("29"), error.getMessage());
    }

    private static double std(Tensor tensor) {
        double sum = 0;
        double sumSquares = 0;
        for (float value : tensor.toArray()) {
            sum += value;
            sumSquares += value * value;
        }
        double mean = sum / tensor.size();
        return Math.sqrt(sumSquares / tensor.size() - mean * mean);
    }
}
