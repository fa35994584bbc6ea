package org.gkd4j.gkd.train;

import java.util.ArrayList;
import java.util.List;
import org.gkd4j.gkd.data.BatchOrder;
import org.gkd4j.gkd.data.Example;
import org.gkd4j.gkd.divergence.CrossEntropyLoss;
import org.gkd4j.gkd.divergence.DistillationLoss;
import org.gkd4j.gkd.reward.PolicyLogprobs;
import org.gkd4j.gkd.reward.RunningMean;
import org.gkd4j.model.Transformer;
import org.gkd4j.tensor.autograd.Ops;
import org.gkd4j.tensor.autograd.Tape;
import org.gkd4j.tensor.autograd.Var;
import org.gkd4j.tensor.autograd.Workspace;

/**
 * One optimizer step of generalized knowledge distillation (Agarwal et al., "On-Policy Distillation of Language
 * Models", ICLR 2024), with supervised fine-tuning and supervised KD as special cases:
 *
 * <ol>
 *   <li>draw u ~ U(0, 1); if u ≤ λ the student samples completions for the step's prompts (on-policy), otherwise
 *       the step uses the data's completions, or with seq-kd the teacher's samples; only that model generates;</li>
 *   <li>count the loss positions of the whole accumulation window after sampling, so the token-mean is over the
 *       window;</li>
 *   <li>per micro-batch: teacher forward without gradient, student forward, chunked divergence (or cross-entropy
 *       for sft), plus the REINFORCE reward term on on-policy steps, then backward;</li>
 *   <li>the caller clips the gradient and steps AdamW.</li>
 * </ol>
 */
public final class GkdStep {

    /** The result of one step: its loss, whether it sampled from the student, token counts and mean reward. */
    public record Outcome(double loss, boolean onPolicy, int completionTokens, int totalTokens, double meanReward) {
    }

    private final TrainingSetup setup;
    private final TokenizedExamples tokens;
    private final Sampling studentSampling;
    private final Sampling teacherSampling;
    private final RunningMean rewardBaseline;
    // activations, temporaries and op gradients of one micro-batch, reused by the next one
    private final Workspace workspace = new Workspace();

    public GkdStep(TrainingSetup setup, TokenizedExamples tokens, Sampling studentSampling, Sampling teacherSampling,
                   RunningMean rewardBaseline) {
        this.setup = setup;
        this.tokens = tokens;
        this.studentSampling = studentSampling;
        this.teacherSampling = teacherSampling;
        this.rewardBaseline = rewardBaseline;
    }

    /** Runs steps 1–3: fills the student's gradients (zeroed first) and returns the step's loss. */
    public Outcome run(BatchOrder order, TrainRandom random) {
        TrainConfig config = setup.config();
        Transformer student = setup.student();

        // 1. data or on-policy samples, chosen once for the whole step
        double u = random.nextDouble();
        boolean onPolicy = !config.isSft() && u <= config.lambda();
        List<SequenceBatch> microBatches = new ArrayList<>(config.gradAccum());
        List<List<Example>> microExamples = new ArrayList<>(config.gradAccum());
        for (int m = 0; m < config.gradAccum(); m++) {
            List<Example> examples = order.next(config.batchSize());
            List<int[]> prompts = tokens.prompts(examples);
            List<int[]> completions;
            if (onPolicy) {
                completions = studentSampling.sample(prompts, random.nextLong());
            } else if (config.seqKd() && !config.isSft()) {
                completions = teacherSampling.sample(prompts, random.nextLong());
            } else {
                completions = tokens.completions(examples);
            }
            microBatches.add(new SequenceBatch(prompts, completions));
            microExamples.add(examples);
        }

        // 2. the window's loss positions, counted after sampling replaced the data
        int positions = 0;
        int sequences = 0;
        int totalTokens = 0;
        for (SequenceBatch batch : microBatches) {
            positions += batch.lossPositions();
            sequences += batch.sequencesWithLoss();
            for (int b = 0; b < batch.batch(); b++) {
                totalTokens += batch.prompts().get(b).length + batch.completionLength(b);
            }
        }

        // 3. forward, loss and backward per micro-batch; gradients add up over the window
        for (Var parameter : student.parameters()) {
            parameter.zeroGrad();
        }
        double loss = 0;
        double rewardSum = 0;
        int rewardCount = 0;
        if (positions == 0) {
            return new Outcome(0, onPolicy, 0, totalTokens, Double.NaN);
        }
        for (int m = 0; m < microBatches.size(); m++) {
            // The workspace frees the previous micro-batch's arrays, so only the loss value and gradients survive.
            try (Workspace.Scope ignored = workspace.step()) {
                SequenceBatch batch = microBatches.get(m);
                float[] weights = batch.positionWeights(config.reduction(), positions, sequences);
                if (!config.isSft() && !(onPolicy && setup.reward() != null)) {
                    // the divergence alone reads only the loss rows, so both models compute just those
                    loss += divergenceOnLossRows(batch, weights);
                    continue;
                }
                Var studentHidden = student.forwardHidden(batch.ids(), batch.batch(), batch.time(), batch.keyMask(),
                        null);
                Var objective = config.isSft()
                        ? crossEntropy(studentHidden, student.headWeight(), batch.targets(), weights,
                                config.chunkRows())
                        : divergence(studentHidden, batch, weights);
                if (onPolicy && setup.reward() != null) {
                    double[] rewards = rewards(microExamples.get(m), batch);
                    for (double reward : rewards) {
                        rewardSum += reward;
                        rewardCount++;
                    }
                    Var reinforce = reinforce(studentHidden, student.headWeight(), batch, weights, rewards);
                    double w = config.rewardWeight();
                    objective = Ops.add(Ops.scale(objective, (float) (1 - w)), Ops.scale(reinforce, (float) w));
                }
                loss += objective.value().get(0);
                objective.backward();
            }
        }
        if (rewardCount > 0) {
            rewardBaseline.update(rewardSum / rewardCount);
        }
        return new Outcome(loss, onPolicy, positions, totalTokens,
                rewardCount > 0 ? rewardSum / rewardCount : Double.NaN);
    }

    /**
     * Runs the student and teacher on the loss rows alone (weight ≠ 0), then the divergence and its backward pass,
     * and returns the loss. A micro-batch without loss rows adds nothing.
     */
    private double divergenceOnLossRows(SequenceBatch batch, float[] weights) {
        int[] lossRows = lossRows(weights);
        if (lossRows.length == 0) {
            return 0;
        }
        float[] lossWeights = new float[lossRows.length];
        for (int r = 0; r < lossRows.length; r++) {
            lossWeights[r] = weights[lossRows[r]];
        }
        Transformer student = setup.student();
        Transformer teacher = setup.teacher();
        Var studentHidden = student.forwardHidden(batch.ids(), batch.batch(), batch.time(), batch.keyMask(), null,
                lossRows);
        Var teacherHidden;
        try (Tape.Scope ignored = Tape.noGrad()) {
            teacherHidden = teacher.forwardHidden(batch.ids(), batch.batch(), batch.time(), batch.keyMask(), null,
                    lossRows);
        }
        TrainConfig config = setup.config();
        Var objective = DistillationLoss.forward(studentHidden, student.headWeight(), teacherHidden.value(),
                teacher.headWeight().value(), lossWeights, setup.divergence(), (float) config.lossTemperature(),
                config.chunkRows());
        double loss = objective.value().get(0);
        objective.backward();
        return loss;
    }

    /** Returns the row indices n with weights[n] ≠ 0, in order. */
    public static int[] lossRows(float[] weights) {
        int count = 0;
        for (float weight : weights) {
            if (weight != 0f) {
                count++;
            }
        }
        int[] rows = new int[count];
        int r = 0;
        for (int n = 0; n < weights.length; n++) {
            if (weights[n] != 0f) {
                rows[r++] = n;
            }
        }
        return rows;
    }

    /** Computes the chunked divergence between teacher and student at the loss positions, the teacher without gradient. */
    private Var divergence(Var studentHidden, SequenceBatch batch, float[] weights) {
        Transformer teacher = setup.teacher();
        Var teacherHidden;
        try (Tape.Scope ignored = Tape.noGrad()) {
            teacherHidden = teacher.forwardHidden(batch.ids(), batch.batch(), batch.time(), batch.keyMask(), null);
        }
        TrainConfig config = setup.config();
        return DistillationLoss.forward(studentHidden, setup.student().headWeight(), teacherHidden.value(),
                teacher.headWeight().value(), weights, setup.divergence(), (float) config.lossTemperature(),
                config.chunkRows());
    }

    /** Computes Σ_n w_n · (−log p_student(y_n)), the weighted cross-entropy, chunked over the vocabulary projection. */
    static Var crossEntropy(Var hidden, Var head, int[] targets, float[] weights, int chunkRows) {
        return CrossEntropyLoss.forward(hidden, head, targets, weights, chunkRows);
    }

    private double[] rewards(List<Example> examples, SequenceBatch batch) {
        double[] rewards = new double[batch.batch()];
        for (int b = 0; b < batch.batch(); b++) {
            rewards[b] = setup.reward().score(examples.get(b).prompt(), tokens.decode(batch.completions().get(b)));
        }
        return rewards;
    }

    /**
     * Computes the REINFORCE loss −Σ_b (r_b − baseline)·Σ_t log π(y_bt), with each position scaled by the same reduction
     * weight as the divergence so the two terms share a scale. The baseline is the running mean of past steps.
     */
    private Var reinforce(Var hidden, Var head, SequenceBatch batch, float[] weights, double[] rewards) {
        float[] scaled = new float[weights.length];
        double baseline = rewardBaseline.value();
        for (int b = 0; b < batch.batch(); b++) {
            float advantage = (float) (rewards[b] - baseline);
            for (int t = 0; t < batch.time(); t++) {
                int n = b * batch.time() + t;
                scaled[n] = -advantage * weights[n];
            }
        }
        return PolicyLogprobs.weightedSum(hidden, head, batch.targets(), scaled, setup.config().chunkRows());
    }
}
