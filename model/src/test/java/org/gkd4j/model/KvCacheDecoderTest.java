package org.gkd4j.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import org.junit.jupiter.api.Test;

class KvCacheDecoderTest {

    // head size 10 and hidden 37 leave vector tails in every product; 6 heads over 2 kv heads is grouped attention
    static final ModelConfig CONFIG = new ModelConfig(60, 2, 6, 2, 37, 53, 32, 10000f, 1e-5f, false);

    // head size 8 and 2 query heads per kv head take the paired-head attention path
    static final ModelConfig PAIRED = new ModelConfig(32, 2, 4, 2, 40, 37, 48, 10000f, 1e-5f, true);

    @Test
    void prefillLogitsMatchReference() {
        checkPrefill(CONFIG, 7);
    }

    @Test
    void pairedHeadPrefillMatchesReference() {
        checkPrefill(PAIRED, 8);
    }

    private static void checkPrefill(ModelConfig config, long seed) {
        Transformer model = Transformer.init(config, seed);
        scaleUp(model);
        int[] ids = {1, 5, 9, 36, 0, 17, 33, 8, 8, 30, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12};
        double[][] expected = ReferenceForward.logits(config, model.namedTensors(), ids);

        int n = ids.length;
        float[] logits = new float[n * config.vocabSize()];
        int[] slots = new int[n];
        int[] positions = new int[n];
        int[] logitIndex = new int[n];
        for (int t = 0; t < n; t++) {
            positions[t] = t;
            logitIndex[t] = t;
        }
        try (KvCacheDecoder decoder = new KvCacheDecoder(model, null, 1, 32, 1)) {
            decoder.forward(n, ids, slots, positions, logitIndex, logits);
        }
        for (int t = 0; t < n; t++) {
            for (int v = 0; v < config.vocabSize(); v++) {
                assertEquals(expected[t][v], logits[t * config.vocabSize() + v], 2e-4, "t " + t + " v " + v);
            }
        }
    }

    @Test
    void tokenByTokenEqualsPrefillAcrossSlotsAndThreads() {
        Transformer model = Transformer.init(CONFIG, 11);
        scaleUp(model);
        int[] ids = {3, 14, 15, 9, 26, 5, 35, 8};
        int vocab = CONFIG.vocabSize();
        double[][] expected = ReferenceForward.logits(CONFIG, model.namedTensors(), ids);

        // two slots fed one token per call, interleaved, on two threads
        try (KvCacheDecoder decoder = new KvCacheDecoder(model, null, 2, 4, 2)) {
            float[] logits = new float[2 * vocab];
            for (int t = 0; t < ids.length; t++) {
                decoder.forward(2, new int[] {ids[t], ids[t]}, new int[] {0, 1}, new int[] {t, t}, new int[] {0, 1},
                        logits);
                for (int v = 0; v < vocab; v++) {
                    assertEquals(expected[t][v], logits[v], 2e-4, "slot 0 t " + t);
                    assertEquals(expected[t][v], logits[vocab + v], 2e-4, "slot 1 t " + t);
                }
            }
        }
    }

    @Test
    void rejectsTokenOutsideVocabulary() {
        Transformer model = Transformer.init(CONFIG, 1);
        try (KvCacheDecoder decoder = new KvCacheDecoder(model, null, 1, 4, 1)) {
            IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> decoder.forward(1,
                    new int[] {53}, new int[] {0}, new int[] {0}, new int[] {0}, new float[53]));
            assertEquals(true, error.getMessage().contains("53"), error.getMessage());
        }
    }

    @Test
    void denseMatmulMatchesReferenceOnOddShapes() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(3);
        for (int[] shape : new int[][] {{1, 7, 5}, {2, 64, 13}, {3, 37, 9}, {5, 172, 64}, {4, 16, 4}}) {
            int rows = shape[0];
            int c = shape[1];
            int o = shape[2];
            float[] x = new float[rows * c];
            float[] w = new float[o * c];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) random.nextGaussian();
            }
            float[] out = new float[rows * o];
            DecoderMatmul.dense(x, 0, rows, c, w, 0, 0, o, out, 0, o);
            for (int n = 0; n < rows; n++) {
                for (int j = 0; j < o; j++) {
                    double sum = 0;
                    for (int k = 0; k < c; k++) {
                        sum += (double) x[n * c + k] * w[j * c + k];
                    }
                    assertEquals(sum, out[n * o + j], 1e-4 * Math.sqrt(c), "shape " + java.util.Arrays.toString(shape));
                }
            }
        }
    }

    @Test
    void packedMatmulMatchesReferenceOnOddShapes() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(4);
        // rows 1..9 cover the 4-row tiles and their tails; 29, 53 and 77 outputs leave partial panels; 77 and 130
        // outputs (10 and 17 panels) take the 8-panel tile of a single row and then its 4- and 1-panel tails
        for (int[] shape : new int[][] {{1, 7, 5}, {2, 64, 29}, {4, 37, 53}, {5, 172, 64}, {9, 16, 24}, {3, 8, 8},
                {1, 20, 77}, {6, 9, 130}}) {
            int rows = shape[0];
            int c = shape[1];
            int o = shape[2];
            float[] x = new float[rows * c];
            float[] w = new float[o * c];
            for (int i = 0; i < x.length; i++) {
                x[i] = (float) random.nextGaussian();
            }
            for (int i = 0; i < w.length; i++) {
                w[i] = (float) random.nextGaussian();
            }
            PackedMatrix packed = new PackedMatrix(o, c);
            packed.pack(org.gkd4j.tensor.Tensor.of(w, o, c));
            float[] out = new float[rows * (o + 3)];
            java.util.Arrays.fill(out, 99f);
            packed.multiply(x, 0, rows, out, 0, o + 3);
            for (int n = 0; n < rows; n++) {
                for (int j = 0; j < o; j++) {
                    double sum = 0;
                    for (int k = 0; k < c; k++) {
                        sum += (double) x[n * c + k] * w[j * c + k];
                    }
                    assertEquals(sum, out[n * (o + 3) + j], 1e-4 * Math.sqrt(c), "shape " + java.util.Arrays.toString(shape));
                }
                for (int j = o; j < o + 3; j++) {
                    assertEquals(99f, out[n * (o + 3) + j], "padding past row " + n + " must stay untouched");
                }
            }
        }
    }

    @Test
    void refreshWeightsPicksUpChangedWeights() {
        Transformer model = Transformer.init(CONFIG, 8);
        scaleUp(model);
        int[] ids = {2, 4, 6};
        try (KvCacheDecoder decoder = new KvCacheDecoder(model, null, 1, 4, 1)) {
            for (var parameter : model.parameters()) {
                float[] data = parameter.value().data();
                for (int i = 0; i < data.length; i++) {
                    data[i] *= -0.5f;
                }
            }
            decoder.refreshWeights();
            float[] logits = new float[3 * CONFIG.vocabSize()];
            decoder.forward(3, ids, new int[3], new int[] {0, 1, 2}, new int[] {0, 1, 2}, logits);
            double[][] expected = ReferenceForward.logits(CONFIG, model.namedTensors(), ids);
            for (int t = 0; t < 3; t++) {
                for (int v = 0; v < CONFIG.vocabSize(); v++) {
                    assertEquals(expected[t][v], logits[t * CONFIG.vocabSize() + v], 2e-4, "t " + t);
                }
            }
        }
    }

    @Test
    void q8MatmulMatchesDequantizedReference() {
        java.util.SplittableRandom random = new java.util.SplittableRandom(5);
        int rows = 3;
        int c = 64;
        int o = 5;
        int groupSize = 32;
        byte[] values = new byte[o * c];
        float[] scales = new float[o * c / groupSize];
        for (int i = 0; i < values.length; i++) {
            values[i] = (byte) (random.nextInt(255) - 127);
        }
        for (int i = 0; i < scales.length; i++) {
            scales[i] = (float) random.nextDouble(0.001, 0.02);
        }
        float[] x = new float[rows * c];
        for (int i = 0; i < x.length; i++) {
            x[i] = (float) random.nextGaussian();
        }
        org.gkd4j.tensor.quant.Q8Tensor w = new org.gkd4j.tensor.quant.Q8Tensor(values, scales, o, c, groupSize);
        float[] out = new float[rows * o];
        DecoderMatmul.q8(x, 0, rows, c, w, 0, o, out, 0, o);
        for (int n = 0; n < rows; n++) {
            for (int j = 0; j < o; j++) {
                double sum = 0;
                for (int k = 0; k < c; k++) {
                    sum += (double) x[n * c + k] * values[j * c + k] * scales[(j * c + k) / groupSize];
                }
                assertEquals(sum, out[n * o + j], 1e-4, "row " + n + " col " + j);
            }
        }
        assertArrayEquals(new int[] {o, c}, new int[] {w.rows(), w.cols()});
    }

    static void scaleUp(Transformer model) {
        TestModels.scaleUp(model, 15f);
    }
}
