package org.gkd4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.SplittableRandom;
import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class VectorReductionsTest {

    /** The pairwise fold written out in scalar code: lanes j and j + half are added, half halving each round. */
    private static float pairwiseSum(float[] lanes) {
        float[] values = lanes.clone();
        for (int half = values.length / 2; half >= 1; half /= 2) {
            for (int j = 0; j < half; j++) {
                values[j] = values[j] + values[j + half];
            }
        }
        return values[0];
    }

    @Test
    void sumFollowsPairwiseOrderBitwise() {
        SplittableRandom random = new SplittableRandom(7);
        int lanes = VectorReductions.SPECIES.length();
        for (int trial = 0; trial < 1000; trial++) {
            float[] values = new float[lanes];
            for (int i = 0; i < lanes; i++) {
                // Mixed magnitudes make the result depend on the order of additions.
                values[i] = (float) (random.nextGaussian() * Math.pow(10, random.nextInt(-4, 5)));
            }
            FloatVector v = FloatVector.fromArray(VectorReductions.SPECIES, values, 0);
            assertEquals(Float.floatToRawIntBits(pairwiseSum(values)),
                    Float.floatToRawIntBits(VectorReductions.sum(v)), "trial " + trial);
        }
    }

    @Test
    void sumOfHandValues() {
        int lanes = VectorReductions.SPECIES.length();
        float[] values = new float[lanes];
        for (int i = 0; i < lanes; i++) {
            values[i] = i + 1;
        }
        FloatVector v = FloatVector.fromArray(VectorReductions.SPECIES, values, 0);
        assertEquals(lanes * (lanes + 1) / 2f, VectorReductions.sum(v));
    }

    @Test
    void maxOfHandValues() {
        int lanes = VectorReductions.SPECIES.length();
        float[] values = new float[lanes];
        for (int i = 0; i < lanes; i++) {
            values[i] = -i;
        }
        values[lanes - 1] = 3.5f;
        assertEquals(3.5f, VectorReductions.max(FloatVector.fromArray(VectorReductions.SPECIES, values, 0)));
    }
}
