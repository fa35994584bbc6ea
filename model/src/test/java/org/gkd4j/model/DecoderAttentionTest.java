package org.gkd4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;

class DecoderAttentionTest {

    // context 45 is not a multiple of the 8-lane key blocks, so the last block is partial and padded
    private static final int CONTEXT = 45;

    @Test
    void pairedHeadsOfEightMatchReference() {
        // D = 8 with 2 query heads per kv head: the unrolled one-vector kernel
        checkAgainstReference(new ModelConfig(32, 2, 4, 2, 40, 37, CONTEXT, 10000f, 1e-5f, true));
    }

    @Test
    void pairedHeadsOfSixteenMatchReference() {
        // D = 16 with 2 query heads per kv head: the general paired kernel
        checkAgainstReference(new ModelConfig(64, 2, 4, 2, 40, 37, CONTEXT, 10000f, 1e-5f, true));
    }

    @Test
    void singleHeadsOfTenMatchReference() {
        // D = 10 with 3 query heads per kv head: the one-head kernel with scalar tails in d
        checkAgainstReference(new ModelConfig(30, 2, 3, 1, 40, 37, CONTEXT, 10000f, 1e-5f, true));
    }

    /** Fills 3 slots of both layers with random keys and values, then checks every position of slot 1, layer 1. */
    private static void checkAgainstReference(ModelConfig config) {
        int slots = 3;
        int kvDim = config.kvDim();
        int dim = config.dim();
        SplittableRandom random = new SplittableRandom(config.headDim());
        float[][][][] keys = new float[config.layers()][slots][CONTEXT][kvDim];
        float[][][][] values = new float[config.layers()][slots][CONTEXT][kvDim];
        DecoderAttention attention = new DecoderAttention(config, slots, 2);
        for (int l = 0; l < config.layers(); l++) {
            for (int s = 0; s < slots; s++) {
                for (int t = 0; t < CONTEXT; t++) {
                    for (int i = 0; i < kvDim; i++) {
                        keys[l][s][t][i] = (float) random.nextGaussian();
                        values[l][s][t][i] = (float) random.nextGaussian();
                    }
                    attention.store(l, s, t, keys[l][s][t], 0, values[l][s][t], 0);
                }
            }
        }

        // q rows and out rows at an offset, so that the kernel must respect qRow and outRow
        float[] q = new float[3 + dim];
        for (int i = 0; i < q.length; i++) {
            q[i] = 2f * (float) random.nextGaussian();
        }
        float[] out = new float[5 + dim];
        for (int position = 0; position < CONTEXT; position++) {
            attention.attend(1, 1, position, q, 3, out, 5, 1);
            double[] expected = reference(config, q, 3, keys[1][1], values[1][1], position);
            for (int i = 0; i < dim; i++) {
                assertEquals(expected[i], out[5 + i], 1e-5, "position " + position + " output " + i);
            }
        }
    }

    /** softmax(q·kᵀ/√D)·v per head in double precision over positions 0..position. */
    private static double[] reference(ModelConfig config, float[] q, int qRow, float[][] keys, float[][] values,
                                      int position) {
        int headDim = config.headDim();
        int groupSize = config.heads() / config.kvHeads();
        double[] out = new double[config.dim()];
        for (int h = 0; h < config.heads(); h++) {
            int kvOff = (h / groupSize) * headDim;
            double[] scores = new double[position + 1];
            double max = Double.NEGATIVE_INFINITY;
            for (int t = 0; t <= position; t++) {
                double dot = 0;
                for (int d = 0; d < headDim; d++) {
                    dot += (double) q[qRow + h * headDim + d] * keys[t][kvOff + d];
                }
                scores[t] = dot / Math.sqrt(headDim);
                max = Math.max(max, scores[t]);
            }
            double sum = 0;
            for (int t = 0; t <= position; t++) {
                scores[t] = Math.exp(scores[t] - max);
                sum += scores[t];
            }
            for (int t = 0; t <= position; t++) {
                for (int d = 0; d < headDim; d++) {
                    out[h * headDim + d] += scores[t] / sum * values[t][kvOff + d];
                }
            }
        }
        return out;
    }
}
