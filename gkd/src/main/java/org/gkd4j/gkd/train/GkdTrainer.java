package org.gkd4j.gkd.train;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import org.gkd4j.gkd.data.BatchOrder;
import org.gkd4j.gkd.report.RunReport;
import org.gkd4j.gkd.reward.RunningMean;
import org.gkd4j.model.Transformer;
import org.gkd4j.model.checkpoint.LlamaSafetensors;
import org.gkd4j.model.checkpoint.ModelWeights;
import org.gkd4j.model.checkpoint.SafetensorsFile;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.autograd.Workspace;
import org.gkd4j.tensor.kernels.Parallel;
import org.gkd4j.tensor.optim.AdamW;
import org.gkd4j.tensor.optim.GradClip;
import org.gkd4j.tensor.optim.LrSchedule;

/**
 * The training loop of {@code gkd4j distill} and {@code gkd4j sft}: GKD steps with AdamW, warm-up and cosine
 * decay and gradient clipping; held-out evaluation at step 0, every N steps and at the end; checkpoints every N
 * steps with exact resume; metrics.jsonl, the final student.safetensors, report.md and its plot.
 */
public final class GkdTrainer {

    public static final String METRICS_FILE = "metrics.jsonl";
    public static final String STUDENT_FILE = "student.safetensors";
    public static final String CHECKPOINTS_DIR = "checkpoints";

    /**
     * The numbers of a finished run: {@code steps} is the step reached, {@code startStep} the step this process
     * resumed at (0 for a fresh run); losses and seconds cover this process's steps only.
     */
    public record Summary(int steps, double firstLoss, double lastLoss, Evaluator.Result firstEval,
                          Evaluator.Result lastEval, double seconds, int startStep) {
    }

    private final TrainingSetup setup;
    private final Path outputDir;
    private final PrintStream out;
    private final boolean terminal;

    public GkdTrainer(TrainingSetup setup, Path outputDir, PrintStream out, boolean terminal) {
        this.setup = setup;
        this.outputDir = outputDir;
        this.out = out;
        this.terminal = terminal;
    }

    /** Trains from step 0, or with {@code resume} from the newest checkpoint in the output directory. */
    public Summary run(boolean resume) throws IOException {
        return run(resume, Integer.MAX_VALUE);
    }

    /**
     * Trains as {@link #run(boolean)} but stops after step {@code stopAfter} without the final weights and report,
     * as a run that was killed there would (for tests of resume).
     */
    public Summary run(boolean resume, int stopAfter) throws IOException {
        long startNanos = System.nanoTime();
        TrainConfig config = setup.config();
        if (config.threads() > 0) {
            Parallel.setThreads(config.threads());
        }
        Transformer student = setup.student();
        Transformer teacher = setup.teacher();
        AdamW optimizer = AdamW.builder(student.parameters()).learningRate((float) config.lr())
                .weightDecay((float) config.weightDecay()).build();
        LrSchedule schedule = LrSchedule.warmupCosine((float) config.lr(), (float) (config.lr() * config.minLrRatio()),
                Math.min(config.warmupSteps(), config.steps()), config.steps());
        BatchOrder order = new BatchOrder(setup.data().train(), config.seed());
        TrainRandom random = new TrainRandom(config.seed());
        RunningMean rewardBaseline = new RunningMean(0.9);
        CheckpointStore checkpoints = new CheckpointStore(outputDir.resolve(CHECKPOINTS_DIR), config.keepCheckpoints());
        Path metricsPath = outputDir.resolve(METRICS_FILE);

        // resume: weights, optimizer, random stream, data position and baseline of the newest checkpoint
        int startStep = 0;
        if (resume) {
            Optional<Path> latest = checkpoints.latest();
            if (latest.isPresent()) {
                CheckpointState state = CheckpointStore.readState(latest.get());
                loadStudent(student, latest.get().resolve(CheckpointStore.STUDENT_FILE));
                optimizer.loadState(SafetensorsFile.read(latest.get().resolve(CheckpointStore.OPTIMIZER_FILE)).tensors());
                random.setState(state.rngState());
                order.seek(state.dataCursor());
                rewardBaseline.loadState(state.rewardBaseline());
                startStep = state.step();
                out.println("gkd4j: resuming from " + latest.get() + " at step " + startStep);
            } else {
                out.println("gkd4j: no checkpoint in " + checkpoints.root() + ", starting from step 0");
            }
            // from step 0 the step-0 evaluation runs again, so no earlier line is kept
            MetricsLog.truncateAfter(metricsPath, startStep == 0 ? -1 : startStep);
        }

        int threads = Parallel.threads();
        TokenizedExamples tokens = new TokenizedExamples(setup.tokenizer(), config.maxPromptTokens(), config.maxNewTokens());
        int stopToken = setup.tokenizer().eosId();
        Evaluator.Result firstEval = null;
        Evaluator.Result lastEval = null;
        double firstLoss = Double.NaN;
        double lastLoss = Double.NaN;
        int step = startStep;
        try (Sampling studentSampling = new Sampling(student, config, stopToken, threads);
             Sampling teacherSampling = teacher == null ? null : new Sampling(teacher, config, stopToken, threads);
             MetricsLog metrics = MetricsLog.open(metricsPath)) {
            Evaluator evaluator = new Evaluator(setup, tokens, studentSampling, teacherSampling);
            GkdStep gkdStep = new GkdStep(setup, tokens, studentSampling, teacherSampling, rewardBaseline);
            // op outputs and their gradients come from one pool reused every step
            Workspace workspace = new Workspace();
            ProgressBar progress = new ProgressBar(out, startStep, config.steps(), terminal, Math.max(1, config.steps() / 20));

            // step 0 evaluation
            if (startStep == 0 && config.evalEvery() > 0) {
                try (Workspace.Scope ignored = workspace.step()) {
                    firstEval = evaluator.evaluate();
                }
                lastEval = firstEval;
                metrics.write(evalLine(0, firstEval));
                progress.println(describe(0, firstEval));
            }

            while (step < config.steps() && step < stopAfter) {
                long stepStart = System.nanoTime();
                float learningRate = schedule.at(step);
                step++;

                // GKD step, then stop on a non-finite loss before the weights change
                GkdStep.Outcome outcome;
                try (Workspace.Scope ignored = workspace.step()) {
                    outcome = gkdStep.run(order, random);
                }
                if (!Double.isFinite(outcome.loss())) {
                    throw new TrainingDivergedException("step " + step + ": the loss is " + outcome.loss()
                            + "; stopping without updating the weights. The last good checkpoint is kept in "
                            + checkpoints.root() + "; resume from it with a lower --lr or a smaller --grad-clip");
                }
                double gradNorm = config.gradClip() > 0
                        ? GradClip.clipGlobalNorm(student.parameters(), (float) config.gradClip()) : Double.NaN;
                if (config.gradClip() > 0 && !Double.isFinite(gradNorm)) {
                    throw new TrainingDivergedException("step " + step + ": the gradient norm is " + gradNorm
                            + "; stopping without updating the weights. The last good checkpoint is kept in "
                            + checkpoints.root() + "; resume from it with a lower --lr");
                }
                optimizer.setLearningRate(learningRate);
                optimizer.step();

                // metrics line and progress
                double seconds = (System.nanoTime() - stepStart) / 1e9;
                double tokensPerSecond = outcome.totalTokens() / seconds;
                ObjectNode line = MetricsLog.JSON.createObjectNode();
                line.put("step", step);
                line.put("loss", outcome.loss());
                line.put("lr", learningRate);
                line.put("tokens_per_s", tokensPerSecond);
                line.put("on_policy", outcome.onPolicy());
                line.put("completion_tokens", outcome.completionTokens());
                putFinite(line, "grad_norm", gradNorm);
                putFinite(line, "reward", outcome.meanReward());
                line.put("seconds", seconds);
                metrics.write(line);
                if (Double.isNaN(firstLoss)) {
                    firstLoss = outcome.loss();
                }
                lastLoss = outcome.loss();
                progress.update(step, outcome.loss(), tokensPerSecond);

                // evaluation and checkpoint
                if (config.evalEvery() > 0 && (step % config.evalEvery() == 0 || step == config.steps())) {
                    try (Workspace.Scope ignored = workspace.step()) {
                        lastEval = evaluator.evaluate();
                    }
                    metrics.write(evalLine(step, lastEval));
                    progress.println(describe(step, lastEval));
                }
                if (config.saveEvery() > 0 && step % config.saveEvery() == 0) {
                    saveCheckpoint(checkpoints, step, student, optimizer, random, order, rewardBaseline);
                }
            }
        }

        // final weights and report
        if (step < config.steps()) {
            return new Summary(step, firstLoss, lastLoss, firstEval, lastEval, (System.nanoTime() - startNanos) / 1e9,
                    startStep);
        }
        LlamaSafetensors.write(outputDir.resolve(STUDENT_FILE), ModelWeights.dense(student.config(), student.namedTensors()));
        double seconds = (System.nanoTime() - startNanos) / 1e9;
        RunReport.write(outputDir, "gkd4j " + config.mode(), reportSettings(startStep), MetricsLog.read(metricsPath),
                lastEval == null ? List.of() : lastEval.samples(), seconds);
        return new Summary(step, firstLoss, lastLoss, firstEval, lastEval, seconds, startStep);
    }

    private void saveCheckpoint(CheckpointStore checkpoints, int step, Transformer student, AdamW optimizer,
                                TrainRandom random, BatchOrder order, RunningMean baseline) throws IOException {
        CheckpointState state = new CheckpointState(step, random.state(), order.cursor(), baseline.state());
        checkpoints.save(state, dir -> {
            LlamaSafetensors.write(dir.resolve(CheckpointStore.STUDENT_FILE),
                    ModelWeights.dense(student.config(), student.namedTensors()));
            SafetensorsFile.write(dir.resolve(CheckpointStore.OPTIMIZER_FILE), optimizer.state(),
                    Map.of("gkd4j.optimizer", "adamw", "gkd4j.step", Integer.toString(step)));
        });
    }

    /** Copies saved weights into the student's parameters in place (the optimizer keeps references to them). */
    private static void loadStudent(Transformer student, Path file) {
        ModelWeights saved = LlamaSafetensors.read(file);
        for (Map.Entry<String, Tensor> entry : student.namedTensors().entrySet()) {
            entry.getValue().copyFrom(saved.tensor(entry.getKey()));
        }
    }

    private static ObjectNode evalLine(int step, Evaluator.Result result) {
        ObjectNode line = MetricsLog.JSON.createObjectNode();
        line.put("step", step);
        putFinite(line, "eval_fkl_on_policy", result.fklOnPolicy());
        putFinite(line, "eval_rkl_on_policy", result.rklOnPolicy());
        putFinite(line, "eval_fkl_off_policy", result.fklOffPolicy());
        putFinite(line, "eval_rkl_off_policy", result.rklOffPolicy());
        putFinite(line, "eval_student_nll", result.studentNll());
        putFinite(line, "eval_student_ppl", result.studentPerplexity());
        return line;
    }

    /** Writes a finite value, and null for NaN or infinity, which JSON cannot hold. */
    private static void putFinite(ObjectNode line, String key, double value) {
        if (Double.isFinite(value)) {
            line.put(key, value);
        } else {
            line.putNull(key);
        }
    }

    static String describe(int step, Evaluator.Result result) {
        String divergences = Double.isNaN(result.rklOnPolicy()) ? "no teacher" : String.format(Locale.ROOT,
                "on-policy fkl %.4f rkl %.4f | off-policy fkl %.4f rkl %.4f", result.fklOnPolicy(),
                result.rklOnPolicy(), result.fklOffPolicy(), result.rklOffPolicy());
        return String.format(Locale.ROOT, "eval step %d: %s | student nll %.4f (ppl %.2f)", step, divergences,
                result.studentNll(), result.studentPerplexity());
    }

    private Map<String, String> reportSettings(int startStep) {
        TrainConfig config = setup.config();
        Map<String, String> settings = new LinkedHashMap<>();
        if (setup.teacher() == null) {
            // sft without --teacher runs no teacher at all
            settings.put("teacher", "none");
        } else {
            settings.put("teacher", (config.teacher() == null ? "stories260K (shipped)" : config.teacher()) + ", "
                    + setup.teacher().config().parameterCount() + " parameters");
        }
        settings.put("student", (config.student() == null ? "fresh" : config.student()) + ", "
                + setup.student().config().parameterCount() + " parameters (dim " + setup.student().config().dim()
                + ", " + setup.student().config().layers() + " layers)");
        settings.put("data", (config.data() == null ? "shipped TinyStories sample" : config.data()) + ", "
                + setup.data().train().size() + " training / " + setup.data().heldOut().size() + " held-out examples");
        if (!config.isSft()) {
            settings.put("objective", String.format(Locale.ROOT, "%s (β %.2f), λ %.2f, τ %.2f%s%s", config.divergence(),
                    config.beta(), config.lambda(), config.lossTemperature(), config.seqKd() ? ", seq-kd" : "",
                    config.reward() == null ? "" : ", reward " + config.reward() + " weight " + config.rewardWeight()));
        }
        settings.put("optimizer", String.format(Locale.ROOT,
                "AdamW lr %.2g, warm-up %d, cosine to %.2g, clip %.2f, batch %d × %d accumulation, %d steps",
                config.lr(), Math.min(config.warmupSteps(), config.steps()), config.lr() * config.minLrRatio(),
                config.gradClip(),
                config.batchSize(), config.gradAccum(), config.steps()));
        settings.put("sampling", String.format(Locale.ROOT, "temperature %.2f, top-k %d, top-p %.2f, %d new tokens",
                config.temperature(), config.topK(), config.topP(), config.maxNewTokens()));
        settings.put("threads", Integer.toString(Parallel.threads()));
        if (startStep > 0) {
            settings.put("resumed", "at step " + startStep + "; the wall time below covers steps " + (startStep + 1)
                    + " to " + config.steps() + " only");
        }
        return settings;
    }

    /** Returns true when {@code dir} is missing or empty. */
    public static boolean isEmptyDirectory(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return true;
        }
        try (var entries = Files.list(dir)) {
            return entries.findAny().isEmpty();
        }
    }
}
