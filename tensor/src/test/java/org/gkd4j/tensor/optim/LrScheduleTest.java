package org.gkd4j.tensor.optim;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class LrScheduleTest {

    private static final double TOLERANCE = 1e-7;

    // peak 1.0, min 0.1, 10 warm-up steps, 110 steps in all: the decay spans steps 10 to 110
    private final LrSchedule cosine = LrSchedule.warmupCosine(1f, 0.1f, 10, 110);
    private final LrSchedule linear = LrSchedule.warmupLinear(1f, 0.1f, 10, 110);

    @Test
    void constantIsConstant() {
        LrSchedule constant = LrSchedule.constant(3e-4f);
        assertEquals(3e-4f, constant.at(0));
        assertEquals(3e-4f, constant.at(1_000_000));
    }

    @Test
    void warmupRisesLinearlyToPeak() {
        // step s < 10: (s + 1)/10
        assertEquals(0.1, cosine.at(0), TOLERANCE);
        assertEquals(0.5, cosine.at(4), TOLERANCE);
        assertEquals(1.0, cosine.at(9), TOLERANCE);
        assertEquals(0.1, linear.at(0), TOLERANCE);
        assertEquals(1.0, linear.at(9), TOLERANCE);
    }

    @Test
    void cosineDecayMatchesHandValues() {
        // p = (s − 10)/100; lr = 0.1 + 0.9·(1 + cos(π·p))/2
        assertEquals(1.0, cosine.at(10), TOLERANCE);
        // p = 0.25: 0.1 + 0.45·(1 + √2/2) = 0.1 + 0.45·1.70710678 = 0.86819805
        assertEquals(0.868198051533946, cosine.at(35), TOLERANCE);
        // p = 0.5: 0.1 + 0.45·1 = 0.55
        assertEquals(0.55, cosine.at(60), TOLERANCE);
        assertEquals(0.1, cosine.at(110), TOLERANCE);
        assertEquals(0.1, cosine.at(5000), TOLERANCE);
    }

    @Test
    void linearDecayMatchesHandValues() {
        // lr = 1 − 0.9·p
        assertEquals(1.0, linear.at(10), TOLERANCE);
        assertEquals(0.775, linear.at(35), TOLERANCE);
        assertEquals(0.55, linear.at(60), TOLERANCE);
        assertEquals(0.1, linear.at(110), TOLERANCE);
        assertEquals(0.1, linear.at(5000), TOLERANCE);
    }

    @Test
    void zeroWarmupStartsAtPeak() {
        LrSchedule noWarmup = LrSchedule.warmupCosine(2f, 0f, 0, 4);
        // p = s/4: 2·(1 + cos(π·s/4))/2 = [2, 1 + √2/2, 1, 1 − √2/2, 0]
        assertEquals(2.0, noWarmup.at(0), TOLERANCE);
        assertEquals(1.7071067811865475, noWarmup.at(1), TOLERANCE);
        assertEquals(1.0, noWarmup.at(2), TOLERANCE);
        assertEquals(0.2928932188134524, noWarmup.at(3), TOLERANCE);
        assertEquals(0.0, noWarmup.at(4), TOLERANCE);
    }

    @Test
    void warmupAsLongAsTotalEndsAtMinimum() {
        LrSchedule allWarmup = LrSchedule.warmupLinear(1f, 0.2f, 4, 4);
        assertEquals(1.0, allWarmup.at(3), TOLERANCE);
        assertEquals(0.2, allWarmup.at(4), TOLERANCE);
    }

    @Test
    void negativeWarmupIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LrSchedule.warmupCosine(1f, 0f, -5, 100));
        assertTrue(e.getMessage().contains("warmupSteps -5 is negative"), e.getMessage());
    }

    @Test
    void totalBelowWarmupIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LrSchedule.warmupLinear(1f, 0f, 200, 100));
        assertTrue(e.getMessage().contains("totalSteps 100 is less than warmupSteps 200"), e.getMessage());
    }

    @Test
    void minimumAbovePeakIsRejected() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> LrSchedule.warmupCosine(1e-4f, 1e-3f, 10, 100));
        assertTrue(e.getMessage().contains("minLearningRate 0.001 is above peakLearningRate 1.0E-4"),
                e.getMessage());
    }

    @Test
    void invalidRatesAndStepsAreRejected() {
        IllegalArgumentException rate = assertThrows(IllegalArgumentException.class,
                () -> LrSchedule.constant(Float.POSITIVE_INFINITY));
        assertTrue(rate.getMessage().contains("learningRate Infinity"), rate.getMessage());
        IllegalArgumentException total = assertThrows(IllegalArgumentException.class,
                () -> LrSchedule.warmupCosine(1f, 0f, 0, 0));
        assertTrue(total.getMessage().contains("totalSteps 0"), total.getMessage());
        IllegalArgumentException step = assertThrows(IllegalArgumentException.class, () -> cosine.at(-1));
        assertTrue(step.getMessage().contains("step -1 is negative"), step.getMessage());
    }
}
