package org.gkd4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import jdk.incubator.vector.FloatVector;
import org.junit.jupiter.api.Test;

class RepeatableMathTest {

    @Test
    void expIsWithinThreeUlpOfStrictMath() {
        for (float x = -87f; x <= 88f; x += 0.0137f) {
            double expected = StrictMath.exp(x);
            float actual = RepeatableMath.exp(x);
            double ulp = Math.ulp((float) expected);
            assertTrue(Math.abs(actual - expected) <= 3 * ulp, "exp(" + x + ") = " + actual + ", expected " + expected);
        }
    }

    @Test
    void expOfZeroIsOne() {
        assertEquals(1f, RepeatableMath.exp(0f));
    }

    @Test
    void expClampsOutOfRangeInputs() {
        assertEquals(RepeatableMath.exp(-87.3f), RepeatableMath.exp(Float.NEGATIVE_INFINITY));
        assertTrue(RepeatableMath.exp(-1000f) < 1e-37f);
        assertTrue(Float.isFinite(RepeatableMath.exp(1000f)));
    }

    @Test
    void vectorExpEqualsScalarExpBitForBit() {
        int lanes = RepeatableMath.species().length();
        float[] x = new float[lanes * 64];
        for (int i = 0; i < x.length; i++) {
            x[i] = -90f + i * (180f / x.length);
        }
        float[] out = new float[x.length];
        for (int i = 0; i < x.length; i += lanes) {
            RepeatableMath.exp(FloatVector.fromArray(RepeatableMath.species(), x, i)).intoArray(out, i);
        }
        for (int i = 0; i < x.length; i++) {
            assertEquals(Float.floatToRawIntBits(RepeatableMath.exp(x[i])), Float.floatToRawIntBits(out[i]),
                    "x = " + x[i]);
        }
    }

    @Test
    void sumLanesAddsInLaneOrder() {
        int lanes = RepeatableMath.species().length();
        float[] values = new float[lanes];
        values[0] = 1e8f;
        values[1] = 1f;
        values[lanes - 1] = -1e8f;
        float expected = 0f;
        for (float value : values) {
            expected += value;
        }
        assertEquals(expected, RepeatableMath.sumLanes(FloatVector.fromArray(RepeatableMath.species(), values, 0)));
    }
}
