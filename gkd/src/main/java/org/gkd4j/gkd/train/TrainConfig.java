package org.gkd4j.gkd.train;

import com.fasterxml.jackson.annotation.JsonIgnore;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.annotation.JsonPropertyOrder;
import java.util.List;
import java.util.Locale;

/**
 * Every setting of one training run, as saved to {@code config.json} in the output directory. The JSON keys are the
 * command-line option names without the leading dashes, so a saved config can be passed back with {@code --config}.
 *
 * @param mode              {@code distill} (GKD) or {@code sft} (cross-entropy on the data)
 * @param teacher           teacher checkpoint path, or null for the shipped stories260K
 * @param tokenizer         tokenizer file shared by teacher and student, or null for the shipped stories260K one
 * @param student           student checkpoint path to start from, or null for a fresh student of the shape below
 * @param data              JSONL or plain-text data path, or null for the shipped TinyStories sample
 * @param promptSplit       how plain text is split: {@code sentence} or {@code tokens:N}
 * @param heldOut           number of examples held out for evaluation
 * @param lambda            λ, the studentDataFraction: probability that a step trains on the student's own samples
 * @param beta              β of the generalized JSD
 * @param divergence        fkl, rkl, jsd, skl, srkl or tvd
 * @param temperature       sampling temperature
 * @param lossTemperature   τ, the softmax temperature inside the divergence
 * @param topK              top-k of sampling, 0 for the whole vocabulary
 * @param topP              nucleus top-p of sampling, 1 for no cut
 * @param maxNewTokens      maximum tokens sampled per prompt, and the cap on a data completion's length
 * @param maxPromptTokens   prompts are cut to their first this many tokens (BOS included)
 * @param seqKd             off-policy steps use teacher samples instead of the data's completions
 * @param steps             optimizer steps
 * @param batchSize         prompts per micro-batch
 * @param gradAccum         micro-batches per optimizer step
 * @param lr                peak learning rate of AdamW
 * @param minLrRatio        the cosine decay ends at lr·minLrRatio
 * @param warmupSteps       linear warm-up steps
 * @param weightDecay       AdamW decoupled weight decay
 * @param gradClip          maximum global gradient norm, 0 for no clipping
 * @param reduction         token-mean, sequence-mean or sum over the loss positions of one optimizer step
 * @param chunkRows         rows of logits materialised at once in the chunked loss
 * @param evalEvery         evaluate every this many steps (and at step 0 and the last step), 0 for never
 * @param evalSamples       completions shown side by side for student and teacher at each evaluation
 * @param saveEvery         checkpoint every this many steps, 0 for only the final weights
 * @param keepCheckpoints   number of most recent checkpoints kept
 * @param outputDir         the run directory, or null for runs/&lt;mode&gt;-&lt;timestamp&gt;
 * @param seed              seeds data order, initialisation, sampling and the λ draws
 * @param threads           kernel threads, 0 for every available processor
 * @param reward            reward spec such as {@code keyword:dog}, or null for pure distillation
 * @param rewardWeight      1 − α: the loss is (1 − α)·REINFORCE reward loss + α·divergence
 */
@JsonPropertyOrder(alphabetic = false)
public record TrainConfig(
        @JsonProperty("mode") String mode,
        @JsonProperty("teacher") String teacher,
        @JsonProperty("tokenizer") String tokenizer,
        @JsonProperty("student") String student,
        @JsonProperty("student-dim") int studentDim,
        @JsonProperty("student-layers") int studentLayers,
        @JsonProperty("student-heads") int studentHeads,
        @JsonProperty("student-kv-heads") int studentKvHeads,
        @JsonProperty("student-hidden-dim") int studentHiddenDim,
        @JsonProperty("data") String data,
        @JsonProperty("prompt-split") String promptSplit,
        @JsonProperty("held-out") int heldOut,
        @JsonProperty("lambda") double lambda,
        @JsonProperty("beta") double beta,
        @JsonProperty("divergence") String divergence,
        @JsonProperty("temperature") double temperature,
        @JsonProperty("loss-temperature") double lossTemperature,
        @JsonProperty("top-k") int topK,
        @JsonProperty("top-p") double topP,
        @JsonProperty("max-new-tokens") int maxNewTokens,
        @JsonProperty("max-prompt-tokens") int maxPromptTokens,
        @JsonProperty("seq-kd") boolean seqKd,
        @JsonProperty("steps") int steps,
        @JsonProperty("batch-size") int batchSize,
        @JsonProperty("grad-accum") int gradAccum,
        @JsonProperty("lr") double lr,
        @JsonProperty("min-lr-ratio") double minLrRatio,
        @JsonProperty("warmup-steps") int warmupSteps,
        @JsonProperty("weight-decay") double weightDecay,
        @JsonProperty("grad-clip") double gradClip,
        @JsonProperty("reduction") String reduction,
        @JsonProperty("chunk-rows") int chunkRows,
        @JsonProperty("eval-every") int evalEvery,
        @JsonProperty("eval-samples") int evalSamples,
        @JsonProperty("save-every") int saveEvery,
        @JsonProperty("keep-checkpoints") int keepCheckpoints,
        @JsonProperty("output-dir") String outputDir,
        @JsonProperty("seed") long seed,
        @JsonProperty("threads") int threads,
        @JsonProperty("reward") String reward,
        @JsonProperty("reward-weight") double rewardWeight) {

    public static final List<String> DIVERGENCES = List.of("fkl", "rkl", "jsd", "skl", "srkl", "tvd");
    public static final List<String> REDUCTIONS = List.of("token-mean", "sequence-mean", "sum");

    /**
     * Returns the defaults of {@code mode}. The distill defaults distil stories260K into a student of about a
     * quarter of its parameters (dim 32, 4 layers, 4 heads, 2 KV heads, hidden 88, tied: 62,752 of 260,032).
     */
    public static TrainConfig defaults(String mode) {
        boolean sft = "sft".equals(mode);
        return new TrainConfig(mode, null, null, null, 32, 4, 4, 2, 88, null, "sentence", 32,
                sft ? 0.0 : 1.0, 0.5, sft ? "fkl" : "rkl", 1.0, 1.0, 0, 1.0, 48, 32, false,
                150, 8, 1, 3e-3, 0.1, 10, 0.0, 1.0, "token-mean", 256,
                25, 3, 50, 2, null, 42, 0, null, 0.5);
    }

    /** Checks the ranges of every setting that needs no file; raises IllegalArgumentException naming the option. */
    public void validate() {
        if (!"distill".equals(mode) && !"sft".equals(mode)) {
            throw new IllegalArgumentException("mode '" + mode + "' is invalid: use distill or sft");
        }
        unit("--lambda", lambda);
        unit("--beta", beta);
        unit("--reward-weight", rewardWeight);
        if (!DIVERGENCES.contains(divergence.toLowerCase(Locale.ROOT))) {
            throw new IllegalArgumentException("--divergence '" + divergence + "' is invalid: use one of "
                    + String.join(", ", DIVERGENCES));
        }
        if (!REDUCTIONS.contains(reduction)) {
            throw new IllegalArgumentException("--reduction '" + reduction + "' is invalid: use one of "
                    + String.join(", ", REDUCTIONS));
        }
        if (!(temperature > 0) || Double.isInfinite(temperature)) {
            throw new IllegalArgumentException("--temperature is " + temperature + " but must be positive");
        }
        if (!(lossTemperature > 0) || Double.isInfinite(lossTemperature)) {
            throw new IllegalArgumentException("--loss-temperature is " + lossTemperature + " but must be positive");
        }
        if (!(topP > 0) || topP > 1) {
            throw new IllegalArgumentException("--top-p is " + topP + " but must lie in (0, 1]");
        }
        atLeast("--top-k", topK, 0);
        atLeast("--max-new-tokens", maxNewTokens, 1);
        atLeast("--max-prompt-tokens", maxPromptTokens, 1);
        atLeast("--steps", steps, 1);
        atLeast("--batch-size", batchSize, 1);
        atLeast("--grad-accum", gradAccum, 1);
        atLeast("--warmup-steps", warmupSteps, 0);
        atLeast("--held-out", heldOut, 1);
        atLeast("--chunk-rows", chunkRows, 1);
        atLeast("--eval-every", evalEvery, 0);
        atLeast("--eval-samples", evalSamples, 0);
        atLeast("--save-every", saveEvery, 0);
        atLeast("--keep-checkpoints", keepCheckpoints, 1);
        atLeast("--threads", threads, 0);
        atLeast("--student-dim", studentDim, 1);
        atLeast("--student-layers", studentLayers, 1);
        atLeast("--student-heads", studentHeads, 1);
        atLeast("--student-kv-heads", studentKvHeads, 1);
        atLeast("--student-hidden-dim", studentHiddenDim, 1);
        if (!(lr > 0) || Double.isInfinite(lr)) {
            throw new IllegalArgumentException("--lr is " + lr + " but must be positive");
        }
        unit("--min-lr-ratio", minLrRatio);
        if (!(weightDecay >= 0)) {
            throw new IllegalArgumentException("--weight-decay is " + weightDecay + " but must not be negative");
        }
        if (!(gradClip >= 0)) {
            throw new IllegalArgumentException("--grad-clip is " + gradClip + " but must not be negative (0 disables)");
        }
        if (reward != null && "sft".equals(mode)) {
            throw new IllegalArgumentException("--reward needs on-policy samples, so it works with distill, not sft");
        }
    }

    @JsonIgnore
    public boolean isSft() {
        return "sft".equals(mode);
    }

    private static void unit(String option, double value) {
        if (!(value >= 0 && value <= 1)) {
            throw new IllegalArgumentException(option + " is " + value + " but must lie in [0, 1]");
        }
    }

    private static void atLeast(String option, long value, long min) {
        if (value < min) {
            throw new IllegalArgumentException(option + " is " + value + " but must be at least " + min);
        }
    }
}
