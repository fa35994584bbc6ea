package org.gkd4j.gkd.reward;

import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Var;
import org.junit.jupiter.api.Test;

/**
 * A tiny policy (a learned hidden state per position and an output head over six words) trained only with the
 * REINFORCE term −(reward − baseline)·Σ log π(completion tokens) and a keyword reward: the chance that a sampled
 * completion contains the keyword must rise.
 */
class ReinforceTest {

    private static final String[] WORDS = {"cat", "dog", "sun", "tree", "boat", "hat"};
    private static final int POSITIONS = 3;
    private static final int CHANNELS = 4;
    private static final int SAMPLES = 16;

    @Test
    void keywordRewardRaisesKeywordProbability() {
        SplittableRandom random = new SplittableRandom(7);
        float[] h = new float[POSITIONS * CHANNELS];
        float[] w = new float[WORDS.length * CHANNELS];
        for (int i = 0; i < h.length; i++) {
            h[i] = (float) random.nextDouble(-0.1, 0.1);
        }
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) random.nextDouble(-0.1, 0.1);
        }
        Var hidden = Var.parameter("hidden", Tensor.of(h, POSITIONS, CHANNELS));
        Var head = Var.parameter("head", Tensor.of(w, WORDS.length, CHANNELS));
        Reward reward = Rewards.parse("keyword:dog");
        RunningMean baseline = new RunningMean(0.9);

        double before = keywordProbability(hidden, head);
        for (int step = 0; step < 60; step++) {
            // sample SAMPLES completions of POSITIONS words and score them
            float[] probs = softmaxRows(hidden, head);
            int rows = SAMPLES * POSITIONS;
            int[] targets = new int[rows];
            float[] weights = new float[rows];
            double[] rewards = new double[SAMPLES];
            for (int s = 0; s < SAMPLES; s++) {
                StringBuilder completion = new StringBuilder();
                for (int t = 0; t < POSITIONS; t++) {
                    targets[s * POSITIONS + t] = draw(probs, t, random);
                    completion.append(WORDS[targets[s * POSITIONS + t]]).append(' ');
                }
                rewards[s] = reward.score("", completion.toString());
            }

            // loss = −Σ_s (r_s − b)·Σ_t log π(y_st) / SAMPLES, then a plain gradient step
            double mean = 0;
            for (int s = 0; s < SAMPLES; s++) {
                for (int t = 0; t < POSITIONS; t++) {
                    weights[s * POSITIONS + t] = (float) (-(rewards[s] - baseline.value()) / SAMPLES);
                }
                mean += rewards[s] / SAMPLES;
            }
            baseline.update(mean);
            Var repeated = repeatRows(hidden);
            PolicyLogprobs.weightedSum(repeated, head, targets, weights, 8).backward();
            foldRepeatedGradient(repeated, hidden);
            sgd(hidden, 0.5f);
            sgd(head, 0.5f);
        }
        double after = keywordProbability(hidden, head);
        assertTrue(before < 0.5, "the keyword starts unlikely: " + before);
        assertTrue(after > 0.9, "P(completion contains the keyword) rose from " + before + " to " + after);
    }

    /** P(at least one of the positions samples "dog") = 1 − Π_t (1 − p_t(dog)). */
    private static double keywordProbability(Var hidden, Var head) {
        float[] probs = softmaxRows(hidden, head);
        double none = 1;
        for (int t = 0; t < POSITIONS; t++) {
            none *= 1 - probs[t * WORDS.length + 1];
        }
        return 1 - none;
    }

    private static float[] softmaxRows(Var hidden, Var head) {
        float[] probs = new float[POSITIONS * WORDS.length];
        for (int t = 0; t < POSITIONS; t++) {
            double max = Double.NEGATIVE_INFINITY;
            double[] z = new double[WORDS.length];
            for (int v = 0; v < WORDS.length; v++) {
                for (int c = 0; c < CHANNELS; c++) {
                    z[v] += hidden.value().get(t * CHANNELS + c) * head.value().get(v * CHANNELS + c);
                }
                max = Math.max(max, z[v]);
            }
            double sum = 0;
            for (int v = 0; v < WORDS.length; v++) {
                sum += Math.exp(z[v] - max);
            }
            for (int v = 0; v < WORDS.length; v++) {
                probs[t * WORDS.length + v] = (float) (Math.exp(z[v] - max) / sum);
            }
        }
        return probs;
    }

    private static int draw(float[] probs, int row, SplittableRandom random) {
        double u = random.nextDouble();
        for (int v = 0; v < WORDS.length; v++) {
            u -= probs[row * WORDS.length + v];
            if (u < 0) {
                return v;
            }
        }
        return WORDS.length - 1;
    }

    /** The hidden rows repeated SAMPLES times, as a parameter whose gradient is folded back by hand. */
    private static Var repeatRows(Var hidden) {
        float[] repeated = new float[SAMPLES * POSITIONS * CHANNELS];
        for (int s = 0; s < SAMPLES; s++) {
            System.arraycopy(hidden.value().data(), 0, repeated, s * POSITIONS * CHANNELS, POSITIONS * CHANNELS);
        }
        return Var.parameter("repeated", Tensor.of(repeated, SAMPLES * POSITIONS, CHANNELS));
    }

    private static void foldRepeatedGradient(Var repeated, Var hidden) {
        Tensor grad = hidden.gradOrZeros();
        grad.fill(0f);
        for (int i = 0; i < repeated.grad().size(); i++) {
            int j = i % (POSITIONS * CHANNELS);
            grad.set(j, grad.get(j) + repeated.grad().get(i));
        }
    }

    private static void sgd(Var parameter, float lr) {
        for (int i = 0; i < parameter.value().size(); i++) {
            parameter.value().set(i, parameter.value().get(i) - lr * parameter.grad().get(i));
        }
        parameter.zeroGrad();
    }
}
