package org.gkd4j.tensor.optim;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.function.Function;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Var;
import org.junit.jupiter.api.Test;

class OptimizerStateTest {

    // shapes that are not multiples of any vector length, so both the vector loop and its tail run
    private static final int[][] SHAPES = {{7, 5}, {13}, {3, 33}, {1}};

    private static List<Var> randomParameters(Random random) {
        List<Var> params = new ArrayList<>();
        for (int i = 0; i < SHAPES.length; i++) {
            Tensor value = Tensor.zeros(SHAPES[i]);
            for (int j = 0; j < value.size(); j++) {
                value.set(j, (float) random.nextGaussian());
            }
            params.add(Var.parameter("layer" + i + ".weight", value));
        }
        return params;
    }

    private static List<Var> copyOf(List<Var> params) {
        List<Var> copies = new ArrayList<>();
        for (Var p : params) {
            copies.add(Var.parameter(p.name(), p.value().copy()));
        }
        return copies;
    }

    /**
     * Gives every parameter of both lists the same random gradient, except parameter 1, which gets its first
     * gradient at step 6, so its gradient is null before: the restored optimizer must skip it as the original did.
     */
    private static void setGradients(Random random, long step, List<Var> first, List<Var> second) {
        for (int i = 0; i < first.size(); i++) {
            if (i == 1 && step < 6) {
                continue;
            }
            Tensor grad = first.get(i).gradOrZeros();
            for (int j = 0; j < grad.size(); j++) {
                grad.set(j, (float) random.nextGaussian() * 0.1f);
            }
            if (second != null) {
                second.get(i).gradOrZeros().copyFrom(grad);
            }
        }
    }

    private static void assertBitwiseEqual(String label, Tensor expected, Tensor actual) {
        float[] e = expected.toArray();
        float[] a = actual.toArray();
        assertEquals(e.length, a.length, label);
        for (int i = 0; i < e.length; i++) {
            assertEquals(Float.floatToRawIntBits(e[i]), Float.floatToRawIntBits(a[i]),
                    label + " element " + i + ": " + e[i] + " vs " + a[i]);
        }
    }

    /** Runs 5 steps, saves, restores into a fresh optimizer on copied weights, then runs 4 more on both. */
    private static void checkRoundTrip(Function<List<Var>, Optimizer> factory) {
        Random random = new Random(42);
        LrSchedule schedule = LrSchedule.warmupCosine(1e-2f, 1e-3f, 3, 9);
        List<Var> original = randomParameters(random);
        Optimizer first = factory.apply(original);
        for (long step = 0; step < 5; step++) {
            first.zeroGrad();
            setGradients(random, step, original, null);
            first.setLearningRate(schedule.at(step));
            first.step();
        }

        // restore into a fresh optimizer over copies of the weights
        List<Var> restored = copyOf(original);
        Optimizer second = factory.apply(restored);
        second.loadState(first.state());
        assertEquals(5, second.stepCount());
        assertEquals(first.learningRate(), second.learningRate());

        // continue both with the same gradients and schedule
        for (long step = 5; step < 9; step++) {
            first.zeroGrad();
            second.zeroGrad();
            setGradients(random, step, original, restored);
            first.setLearningRate(schedule.at(step));
            second.setLearningRate(schedule.at(step));
            first.step();
            second.step();
        }
        for (int i = 0; i < original.size(); i++) {
            assertBitwiseEqual(original.get(i).name(), original.get(i).value(), restored.get(i).value());
        }
        Map<String, Tensor> firstState = first.state();
        Map<String, Tensor> secondState = second.state();
        assertEquals(firstState.keySet(), secondState.keySet());
        for (String key : firstState.keySet()) {
            assertBitwiseEqual(key, firstState.get(key), secondState.get(key));
        }
    }

    private static AdamW adamw(List<Var> params) {
        return AdamW.builder(params).learningRate(1e-2f).betas(0.9, 0.95).weightDecay(0.1).build();
    }

    @Test
    void adamwRoundTripContinuesBitwise() {
        checkRoundTrip(OptimizerStateTest::adamw);
    }

    @Test
    void sgdRoundTripContinuesBitwise() {
        checkRoundTrip(params -> Sgd.builder(params).momentum(0.9f).nesterov(true).weightDecay(0.01f).build());
    }

    @Test
    void restoredRunDiffersWithoutTheState() {
        // the round trip check can fail: a fresh optimizer without the loaded state diverges
        Random random = new Random(7);
        List<Var> original = randomParameters(random);
        Optimizer first = adamw(original);
        setGradients(random, 0, original, null);
        first.step();
        List<Var> restored = copyOf(original);
        Optimizer second = adamw(restored);
        setGradients(random, 2, original, restored);
        first.step();
        second.step();
        assertTrue(original.get(0).value().get(0) != restored.get(0).value().get(0));
    }

    @Test
    void stateNamesFollowTheLayout() {
        Var w = Var.parameter("w", Tensor.zeros(2, 3));
        Map<String, Tensor> state = adamw(List.of(w)).state();
        assertEquals(List.of("adamw.step", "adamw.learningRate", "adamw.beta1", "adamw.beta2", "adamw.eps",
                "adamw.weightDecay", "adamw.m.w", "adamw.v.w"), new ArrayList<>(state.keySet()));
        assertArrayEquals(new int[] {2, 3}, state.get("adamw.m.w").shape());
        assertEquals(0.95f, state.get("adamw.beta2").get(0));
    }

    @Test
    void stateIsACopy() {
        Var w = Var.parameter("w", Tensor.zeros(2));
        AdamW adamw = adamw(List.of(w));
        adamw.state().get("adamw.m.w").fill(9f);
        assertEquals(0f, adamw.state().get("adamw.m.w").get(0));
    }

    @Test
    void largeStepCountSurvivesRoundTrip() {
        // 2^24 + 1 is the first integer a float cannot hold
        Var w = Var.parameter("w", Tensor.zeros(2));
        AdamW source = adamw(List.of(w));
        Map<String, Tensor> state = source.state();
        long step = (1L << 24) + 1;
        state.put("adamw.step", Tensor.of(new float[] {1f, 1f}, 2));
        AdamW target = adamw(List.of(Var.parameter("w", Tensor.zeros(2))));
        target.loadState(state);
        assertEquals(step, target.stepCount());
        assertArrayEquals(new float[] {1f, 1f}, target.state().get("adamw.step").toArray());
    }

    private static IllegalArgumentException loadFails(Optimizer target, Map<String, Tensor> state) {
        return assertThrows(IllegalArgumentException.class, () -> target.loadState(state));
    }

    @Test
    void missingParameterIsRejected() {
        Map<String, Tensor> state = adamw(List.of(Var.parameter("a", Tensor.zeros(2)))).state();
        AdamW target = adamw(List.of(Var.parameter("a", Tensor.zeros(2)), Var.parameter("b", Tensor.zeros(4, 3))));
        IllegalArgumentException e = loadFails(target, state);
        assertTrue(e.getMessage().contains("no entry 'adamw.m.b' for parameter 'b' of shape [4, 3]"),
                e.getMessage());
    }

    @Test
    void extraParameterIsRejected() {
        Map<String, Tensor> state = adamw(List.of(Var.parameter("a", Tensor.zeros(2)),
                Var.parameter("extra", Tensor.zeros(5)))).state();
        AdamW target = adamw(List.of(Var.parameter("a", Tensor.zeros(2))));
        IllegalArgumentException e = loadFails(target, state);
        assertTrue(e.getMessage().contains("entry 'adamw.m.extra' of shape [5] matches no parameter"),
                e.getMessage());
    }

    @Test
    void wrongShapeIsRejectedWithBothShapes() {
        Map<String, Tensor> state = adamw(List.of(Var.parameter("w", Tensor.zeros(3, 2)))).state();
        AdamW target = adamw(List.of(Var.parameter("w", Tensor.zeros(2, 3))));
        IllegalArgumentException e = loadFails(target, state);
        assertTrue(e.getMessage().contains("entry 'adamw.m.w' has shape [3, 2] but parameter 'w' has shape [2, 3]"),
                e.getMessage());
    }

    @Test
    void differentHyperParameterIsRejected() {
        Var w = Var.parameter("w", Tensor.zeros(2));
        Map<String, Tensor> state = AdamW.builder(List.of(w)).betas(0.9, 0.999).build().state();
        AdamW target = AdamW.builder(List.of(Var.parameter("w", Tensor.zeros(2)))).betas(0.9, 0.95).build();
        IllegalArgumentException e = loadFails(target, state);
        assertTrue(e.getMessage().contains("the state has beta2 = 0.999 but this optimizer has beta2 = 0.95"),
                e.getMessage());
    }

    @Test
    void stateOfAnotherOptimizerIsRejected() {
        Var w = Var.parameter("w", Tensor.zeros(2));
        Map<String, Tensor> state = Sgd.builder(List.of(w)).momentum(0.9f).build().state();
        IllegalArgumentException e = loadFails(adamw(List.of(Var.parameter("w", Tensor.zeros(2)))), state);
        assertTrue(e.getMessage().contains("no entry 'adamw.step'"), e.getMessage());
        assertTrue(e.getMessage().contains("sgd.step"), e.getMessage());
    }

    @Test
    void invalidStepEntryIsRejected() {
        Var w = Var.parameter("w", Tensor.zeros(2));
        Map<String, Tensor> state = new LinkedHashMap<>(adamw(List.of(w)).state());
        state.put("adamw.step", Tensor.of(new float[] {0f, 2.5f}, 2));
        IllegalArgumentException e = loadFails(adamw(List.of(Var.parameter("w", Tensor.zeros(2)))), state);
        assertTrue(e.getMessage().contains("step entry [0.0, 2.5] is invalid"), e.getMessage());
    }

    @Test
    void failedLoadChangesNothing() {
        Random random = new Random(3);
        List<Var> params = randomParameters(random);
        AdamW target = adamw(params);
        setGradients(random, 0, params, null);
        target.step();
        Map<String, Tensor> before = target.state();

        // a state whose first buffers fit but whose last parameter has another shape
        List<Var> others = randomParameters(random);
        Var last = others.get(others.size() - 1);
        others.set(others.size() - 1, Var.parameter(last.name(), Tensor.zeros(2)));
        AdamW source = adamw(others);
        setGradients(random, 0, others, null);
        source.step();
        source.step();
        loadFails(target, source.state());

        Map<String, Tensor> after = target.state();
        for (String key : before.keySet()) {
            assertBitwiseEqual(key, before.get(key), after.get(key));
        }
    }
}
