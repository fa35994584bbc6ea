package org.gkd4j.cli;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Path;
import org.gkd4j.gkd.train.MetricsLog;
import picocli.CommandLine.Option;

/**
 * The options shared by {@code gkd4j distill} and {@code gkd4j sft}. Every field is null unless given on the
 * command line, so {@link ConfigFile} can layer them over a JSON config file and the defaults (the command line wins).
 */
public final class TrainOptions {

    @Option(names = "--config", paramLabel = "FILE.json",
            description = "JSON file setting any of these options by their long name without dashes; the command line wins.")
    Path config;

    @Option(names = "--resume", paramLabel = "DIR",
            description = "Continue the run in DIR from its latest checkpoint, exactly as if it had not stopped. The run keeps its"
                    + " config.json: other options must be left out or equal to it (--steps included, since the"
                    + " learning-rate schedule spans it; --threads may change).")
    Path resume;

    @Option(names = "--overwrite", description = "Replace an earlier run in --output-dir (a directory with config.json):"
            + " its contents are deleted first, unless it contains a file this run reads.")
    boolean overwrite;

    @Option(names = "--teacher", paramLabel = "FILE", description = "Teacher checkpoint. distill learns from it (default:"
            + " the shipped stories260K), and sft only reports the divergences to it at each evaluation (default: none).")
    String teacher;

    @Option(names = "--tokenizer", paramLabel = "FILE",
            description = "Tokenizer shared by teacher and student (default: the shipped stories260K tokenizer, 512 pieces).")
    String tokenizer;

    @Option(names = "--student", paramLabel = "FILE",
            description = "Student checkpoint to start from (default: a fresh student of the --student-* shape).")
    String student;

    @Option(names = "--student-dim", paramLabel = "DIM", description = "Fresh student width C (default 32).")
    Integer studentDim;

    @Option(names = "--student-layers", paramLabel = "N", description = "Fresh student transformer blocks (default 4).")
    Integer studentLayers;

    @Option(names = "--student-heads", paramLabel = "N", description = "Fresh student attention heads (default 4).")
    Integer studentHeads;

    @Option(names = "--student-kv-heads", paramLabel = "N", description = "Fresh student key/value heads (default 2).")
    Integer studentKvHeads;

    @Option(names = "--student-hidden-dim", paramLabel = "DIM", description = "Fresh student feed-forward width (default 88).")
    Integer studentHiddenDim;

    @Option(names = "--data", paramLabel = "FILE",
            description = "JSONL with prompt and optional completion, or plain text (default: the shipped TinyStories sample).")
    String data;

    @Option(names = "--prompt-split", paramLabel = "sentence|tokens:N",
            description = "How plain text splits into prompt and continuation (default sentence).")
    String promptSplit;

    @Option(names = "--held-out", paramLabel = "N", description = "Examples held out for evaluation (default 32).")
    Integer heldOut;

    @Option(names = "--lambda", paramLabel = "λ",
            description = "Student data fraction in [0, 1]: probability that a step trains on the student's own samples (default 1 for distill).")
    Double lambda;

    @Option(names = "--beta", paramLabel = "β", description = "Generalized JSD β in [0, 1] (default 0.5); the skew α of skl/srkl.")
    Double beta;

    @Option(names = "--divergence", paramLabel = "NAME", description = "fkl, rkl, jsd, skl, srkl or tvd (default rkl).")
    String divergence;

    @Option(names = "--temperature", paramLabel = "T", description = "Sampling temperature (default 1; generate also defaults to 1).")
    Double temperature;

    @Option(names = "--loss-temperature", paramLabel = "τ", description = "Softmax temperature inside the loss (default 1).")
    Double lossTemperature;

    @Option(names = "--top-k", paramLabel = "K", description = "Sample from the k most likely tokens, 0 for all (default 0).")
    Integer topK;

    @Option(names = "--top-p", paramLabel = "P", description = "Nucleus sampling mass in (0, 1] (default 1: training samples the full distribution, unlike generate's 0.9).")
    Double topP;

    @Option(names = "--max-new-tokens", paramLabel = "N", description = "Tokens sampled per prompt, and the cap on a data completion (default 48).")
    Integer maxNewTokens;

    @Option(names = "--max-prompt-tokens", paramLabel = "N", description = "Prompts are cut to this many tokens, BOS included (default 32).")
    Integer maxPromptTokens;

    @Option(names = "--seq-kd", description = "Off-policy steps train on teacher samples instead of the data's completions.")
    Boolean seqKd;

    @Option(names = "--steps", paramLabel = "N", description = "Optimizer steps (default 150); a resumed run keeps the value it was started with.")
    Integer steps;

    @Option(names = "--batch-size", paramLabel = "N", description = "Prompts per micro-batch (default 8).")
    Integer batchSize;

    @Option(names = "--grad-accum", paramLabel = "N", description = "Micro-batches per optimizer step (default 1).")
    Integer gradAccum;

    @Option(names = "--lr", paramLabel = "LR", description = "Peak AdamW learning rate (default 0.003).")
    Double lr;

    @Option(names = "--min-lr-ratio", paramLabel = "R", description = "The cosine decay ends at lr times this (default 0.1).")
    Double minLrRatio;

    @Option(names = "--warmup-steps", paramLabel = "N", description = "Linear warm-up steps, capped at --steps (default 10).")
    Integer warmupSteps;

    @Option(names = "--weight-decay", paramLabel = "WD", description = "AdamW decoupled weight decay (default 0).")
    Double weightDecay;

    @Option(names = "--grad-clip", paramLabel = "NORM", description = "Maximum global gradient norm, 0 for none (default 1).")
    Double gradClip;

    @Option(names = "--reduction", paramLabel = "token-mean|sequence-mean|sum", description = "token-mean, sequence-mean or sum over a step's loss positions (default token-mean).")
    String reduction;

    @Option(names = "--chunk-rows", paramLabel = "N", description = "Rows of logits materialised at once by the chunked loss (default 256).")
    Integer chunkRows;

    @Option(names = "--eval-every", paramLabel = "N", description = "Evaluate at step 0, every N steps and at the end; 0 for never (default 25).")
    Integer evalEvery;

    @Option(names = "--eval-samples", paramLabel = "N", description = "Completions shown side by side at each evaluation (default 3).")
    Integer evalSamples;

    @Option(names = "--save-every", paramLabel = "N", description = "Checkpoint every N steps, 0 for only the final weights (default 50).")
    Integer saveEvery;

    @Option(names = "--keep-checkpoints", paramLabel = "N", description = "Number of most recent checkpoints kept; older ones are deleted (default 2).")
    Integer keepCheckpoints;

    @Option(names = "--output-dir", paramLabel = "DIR", description = "Run directory (default runs/<command>-<timestamp>).")
    String outputDir;

    @Option(names = "--seed", paramLabel = "SEED", description = "Seed of data order, initialisation, sampling and the λ draws (default 42).")
    Long seed;

    @Option(names = "--threads", paramLabel = "N", description = "Kernel threads, 0 for all processors (default 0).")
    Integer threads;

    @Option(names = "--reward", paramLabel = "SPEC",
            description = "Add a REINFORCE reward term, for example keyword:dog or length:40 (default none).")
    String reward;

    @Option(names = "--reward-weight", paramLabel = "W",
            description = "Reward weight W in [0, 1]: loss = W·reward loss + (1 − W)·divergence (default 0.5).")
    Double rewardWeight;

    /** Returns the options given on the command line as JSON, keyed like config.json. */
    ObjectNode given() {
        ObjectNode node = MetricsLog.JSON.createObjectNode();
        put(node, "teacher", teacher);
        put(node, "tokenizer", tokenizer);
        put(node, "student", student);
        put(node, "student-dim", studentDim);
        put(node, "student-layers", studentLayers);
        put(node, "student-heads", studentHeads);
        put(node, "student-kv-heads", studentKvHeads);
        put(node, "student-hidden-dim", studentHiddenDim);
        put(node, "data", data);
        put(node, "prompt-split", promptSplit);
        put(node, "held-out", heldOut);
        put(node, "lambda", lambda);
        put(node, "beta", beta);
        put(node, "divergence", divergence);
        put(node, "temperature", temperature);
        put(node, "loss-temperature", lossTemperature);
        put(node, "top-k", topK);
        put(node, "top-p", topP);
        put(node, "max-new-tokens", maxNewTokens);
        put(node, "max-prompt-tokens", maxPromptTokens);
        put(node, "seq-kd", seqKd);
        put(node, "steps", steps);
        put(node, "batch-size", batchSize);
        put(node, "grad-accum", gradAccum);
        put(node, "lr", lr);
        put(node, "min-lr-ratio", minLrRatio);
        put(node, "warmup-steps", warmupSteps);
        put(node, "weight-decay", weightDecay);
        put(node, "grad-clip", gradClip);
        put(node, "reduction", reduction);
        put(node, "chunk-rows", chunkRows);
        put(node, "eval-every", evalEvery);
        put(node, "eval-samples", evalSamples);
        put(node, "save-every", saveEvery);
        put(node, "keep-checkpoints", keepCheckpoints);
        put(node, "output-dir", outputDir);
        put(node, "seed", seed);
        put(node, "threads", threads);
        put(node, "reward", reward);
        put(node, "reward-weight", rewardWeight);
        return node;
    }

    private static void put(ObjectNode node, String key, Object value) {
        if (value != null) {
            node.set(key, MetricsLog.JSON.valueToTree(value));
        }
    }
}
