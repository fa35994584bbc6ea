package org.gkd4j.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.SplittableRandom;
import org.gkd4j.gkd.divergence.DistillationLoss;
import org.gkd4j.gkd.divergence.Divergence;
import org.gkd4j.gkd.train.GkdStep;
import org.gkd4j.gkd.train.SequenceBatch;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.model.Transformer;
import org.gkd4j.model.sampling.Generation;
import org.gkd4j.model.sampling.Generator;
import org.gkd4j.model.sampling.SamplingOptions;
import org.gkd4j.tensor.autograd.Tape;
import org.gkd4j.tensor.autograd.Var;
import org.gkd4j.tensor.autograd.Workspace;
import org.gkd4j.tensor.kernels.Parallel;
import org.gkd4j.tensor.optim.AdamW;
import org.gkd4j.tensor.optim.GradClip;

/**
 * One on-policy GKD step, timed in three parts as the PyTorch peer script does: (1) the student samples 64 tokens
 * for 8 prompts of 32 random tokens at temperature 1 with its KV cache, (2) the teacher forward over prompt and
 * completion without gradient, (3) the student forward, generalized JSD (β = 0.5) on the completion positions,
 * backward, gradient clipping and AdamW. Pairs: teacher tiny (dim 64, 5 layers, 8 heads, 4 KV heads, hidden 172,
 * vocab 512) with student (dim 128, 4 layers, 4 heads, hidden 384, vocab 512), and teacher small (dim 288,
 * 6 layers, 6 heads, hidden 768, vocab 32000) with the student shape at vocab 32000. Prints the peak resident
 * memory (VmHWM) after each pair.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp ... GkdStepBench [tiny|small ...] [--steps N]
 * [--threads N] [--no-workspace]}; 20 warm-up steps, then the median of N measured steps (default 5).
 */
public final class GkdStepBench {

    private static final int BATCH = 8;
    private static final int PROMPT_TOKENS = 32;
    private static final int NEW_TOKENS = 64;
    private static final int CHUNK_ROWS = 256;
    /** Untimed steps first: the divergence kernel needs about 10,000 rows (20 steps) before C2 has compiled it. */
    private static final int WARMUP_STEPS = 20;
    /** False with --no-workspace: op outputs come from the heap, to measure what the workspace saves. */
    private static boolean useWorkspace = true;

    private GkdStepBench() {
    }

    static ModelConfig config(String name) {
        return switch (name) {
            case "tiny" -> new ModelConfig(64, 5, 8, 4, 172, 512, 256, 10000f, 1e-5f, false);
            case "student" -> new ModelConfig(128, 4, 4, 4, 384, 512, 256, 10000f, 1e-5f, false);
            case "small" -> new ModelConfig(288, 6, 6, 6, 768, 32000, 256, 10000f, 1e-5f, false);
            case "student32k" -> new ModelConfig(128, 4, 4, 4, 384, 32000, 256, 10000f, 1e-5f, false);
            default -> throw new IllegalArgumentException("unknown teacher '" + name + "'; use tiny or small");
        };
    }

    public static void main(String[] args) throws IOException {
        int steps = 5;
        List<String> teachers = new ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--steps")) {
                steps = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--no-workspace")) {
                useWorkspace = false;
            } else if (args[i].equals("--threads")) {
                Parallel.setThreads(Integer.parseInt(args[++i]));
            } else {
                teachers.add(args[i]);
            }
        }
        if (teachers.isEmpty()) {
            teachers = List.of("tiny", "small");
        }
        for (String teacher : teachers) {
            run(teacher, config(teacher), config(teacher.equals("small") ? "student32k" : "student"), steps);
        }
    }

    private static void run(String name, ModelConfig teacherConfig, ModelConfig studentConfig, int steps)
            throws IOException {
        Transformer teacher = Transformer.init(teacherConfig, 1);
        Transformer student = Transformer.init(studentConfig, 2);
        AdamW optimizer = AdamW.builder(student.parameters()).learningRate(1e-4f).weightDecay(0f).build();
        Divergence jsd = Divergence.parse("jsd", 0.5, 0.5);
        SplittableRandom random = new SplittableRandom(3);
        Workspace workspace = new Workspace();
        int threads = Parallel.threads();

        double[] sampling = new double[steps];
        double[] teacherForward = new double[steps];
        double[] studentUpdate = new double[steps];
        double[] allocated = new double[steps];
        // process CPU seconds of the teacher forward + student update: on a loaded machine wall time mostly measures
        // the load, while CPU time still compares two builds (it cannot show stalls caused by other processes)
        double[] updateCpu = new double[steps];
        // CPU seconds of the calling thread alone: with --threads 1 it is all of the work and excludes the
        // spin-waits of idle pool workers
        double[] teacherThreadCpu = new double[steps];
        double[] studentThreadCpu = new double[steps];
        com.sun.management.OperatingSystemMXBean os = (com.sun.management.OperatingSystemMXBean)
                java.lang.management.ManagementFactory.getOperatingSystemMXBean();
        com.sun.management.ThreadMXBean threadBean =
                (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
        try (Generator generator = new Generator(student, null, BATCH, threads)) {
            for (int step = -WARMUP_STEPS; step < steps; step++) {
                // 1. sampling: the student continues random prompts, no gradient
                List<int[]> prompts = new ArrayList<>();
                for (int b = 0; b < BATCH; b++) {
                    int[] prompt = new int[PROMPT_TOKENS];
                    for (int t = 0; t < PROMPT_TOKENS; t++) {
                        prompt[t] = random.nextInt(studentConfig.vocabSize());
                    }
                    prompts.add(prompt);
                }
                long start = System.nanoTime();
                Generation[] generations;
                try (Tape.Scope ignored = Tape.noGrad()) {
                    generations = generator.generate(prompts.toArray(int[][]::new),
                            new SamplingOptions(1f, 0, 1f, random.nextLong(), NEW_TOKENS, -1));
                }
                List<int[]> completions = new ArrayList<>();
                for (Generation generation : generations) {
                    completions.add(generation.tokens());
                }
                SequenceBatch batch = new SequenceBatch(prompts, completions);
                long sampled = System.nanoTime();

                long allocatedBefore = threadBean.getCurrentThreadAllocatedBytes();
                long cpuBefore = os.getProcessCpuTime();
                long threadCpuBefore = threadBean.getCurrentThreadCpuTime();
                try (Workspace.Scope ignored = useWorkspace ? workspace.step() : () -> { }) {
                    // the loss rows (the completion positions) with their token-mean weights. As in GkdStep, both
                    // models run the last block's feed-forward and the final norm on these rows alone.
                    float[] weights = batch.positionWeights("token-mean", batch.lossPositions(), batch.batch());
                    int[] lossRows = GkdStep.lossRows(weights);
                    float[] lossWeights = new float[lossRows.length];
                    for (int r = 0; r < lossRows.length; r++) {
                        lossWeights[r] = weights[lossRows[r]];
                    }

                    // 2. teacher forward without gradient
                    Var teacherHidden;
                    try (Tape.Scope noGrad = Tape.noGrad()) {
                        teacherHidden = teacher.forwardHidden(batch.ids(), batch.batch(), batch.time(), batch.keyMask(),
                                null, lossRows);
                    }
                    long taught = System.nanoTime();
                    long threadCpuTaught = threadBean.getCurrentThreadCpuTime();

                    // 3. student forward, JSD, backward, clip and AdamW
                    Var studentHidden = student.forwardHidden(batch.ids(), batch.batch(), batch.time(),
                            batch.keyMask(), null, lossRows);
                    Var loss = DistillationLoss.forward(studentHidden, student.headWeight(), teacherHidden.value(),
                            teacher.headWeight().value(), lossWeights, jsd, 1f, CHUNK_ROWS);
                    loss.backward();
                    GradClip.clipGlobalNorm(student.parameters(), 1f);
                    optimizer.step();
                    optimizer.zeroGrad();
                    long updated = System.nanoTime();
                    long threadCpuUpdated = threadBean.getCurrentThreadCpuTime();
                    if (step >= 0) {
                        sampling[step] = (sampled - start) / 1e9;
                        teacherForward[step] = (taught - sampled) / 1e9;
                        studentUpdate[step] = (updated - taught) / 1e9;
                        allocated[step] = threadBean.getCurrentThreadAllocatedBytes() - allocatedBefore;
                        updateCpu[step] = (os.getProcessCpuTime() - cpuBefore) / 1e9;
                        teacherThreadCpu[step] = (threadCpuTaught - threadCpuBefore) / 1e9;
                        studentThreadCpu[step] = (threadCpuUpdated - threadCpuTaught) / 1e9;
                    }
                }
            }
        }
        double total = median(sampling) + median(teacherForward) + median(studentUpdate);
        System.out.printf(Locale.ROOT, "gkd step %s -> student (vocab %d): %.3f s (sampling %.3f, teacher %.3f, "
                        + "student %.3f; medians over %d steps, %d threads)%n", name, studentConfig.vocabSize(), total,
                median(sampling), median(teacherForward), median(studentUpdate), steps, threads);
        System.out.printf(Locale.ROOT, "gkd step %s: teacher forward + student update %.3f CPU-seconds (median, all "
                + "threads of the process); calling thread: teacher %.4f, student %.4f CPU-seconds (median), teacher "
                + "%.4f, student %.4f (min)%n", name, median(updateCpu), median(teacherThreadCpu),
                median(studentThreadCpu), min(teacherThreadCpu), min(studentThreadCpu));
        System.out.println("gkd step " + name + ": peak RSS " + peakRss());
        System.out.printf(Locale.ROOT, "gkd step %s: teacher forward + student update allocate %.1f MB per step on "
                + "the calling thread (median; workspace %s)%n", name, median(allocated) / 1e6, useWorkspace ? "on" : "off");
    }

    private static double min(double[] values) {
        return Arrays.stream(values).min().orElse(Double.NaN);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        return sorted[sorted.length / 2];
    }

    /** VmHWM from /proc/self/status (Linux), the process's peak resident memory. */
    private static String peakRss() throws IOException {
        Path status = Path.of("/proc/self/status");
        if (!Files.exists(status)) {
            return "unknown (no /proc/self/status)";
        }
        for (String line : Files.readAllLines(status)) {
            if (line.startsWith("VmHWM:")) {
                return line.substring("VmHWM:".length()).strip();
            }
        }
        return "unknown";
    }
}
