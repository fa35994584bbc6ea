package org.gkd4j.bench.e2e;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.model.Transformer;
import org.gkd4j.tensor.autograd.Ops;
import org.gkd4j.tensor.autograd.Tape;
import org.gkd4j.tensor.autograd.Var;
import org.gkd4j.tensor.kernels.Parallel;
import org.gkd4j.tensor.optim.AdamW;

/**
 * Training tokens per second: forward, cross-entropy, backward and one AdamW step on random token ids. The shapes
 * are those of the PyTorch peer script, with an untied head: tiny (dim 64, 5 layers, 8 heads, 4 kv heads, hidden 172,
 * vocab 512, seq 256, batch 8), student (dim 128, 4 layers, 4 heads, 4 kv heads, hidden 384, vocab 512, seq 256,
 * batch 16) and small (dim 288, 6 layers, 6 heads, hidden 768, vocab 32000, seq 256, batch 8). Prints the peak
 * resident memory (VmHWM) after the small steps.
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp ... TrainingThroughput [tiny|student|small ...]
 * [--steps N] [--threads N]}; 2 warm-up steps, then the median of N measured steps (default 5).
 */
public final class TrainingThroughput {

    private TrainingThroughput() {
    }

    record Shape(String name, ModelConfig config, int batch, int time) {
    }

    static Shape shape(String name) {
        return switch (name) {
            case "tiny" -> new Shape(name, new ModelConfig(64, 5, 8, 4, 172, 512, 256, 10000f, 1e-5f, false), 8, 256);
            case "student" -> new Shape(name, new ModelConfig(128, 4, 4, 4, 384, 512, 256, 10000f, 1e-5f, false), 16, 256);
            case "small" -> new Shape(name, new ModelConfig(288, 6, 6, 6, 768, 32000, 256, 10000f, 1e-5f, false), 8, 256);
            default -> throw new IllegalArgumentException("unknown shape '" + name + "'; use tiny, student or small");
        };
    }

    public static void main(String[] args) throws IOException {
        int steps = 5;
        java.util.List<String> names = new java.util.ArrayList<>();
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--steps")) {
                steps = Integer.parseInt(args[++i]);
            } else if (args[i].equals("--threads")) {
                Parallel.setThreads(Integer.parseInt(args[++i]));
            } else {
                names.add(args[i]);
            }
        }
        if (names.isEmpty()) {
            names = java.util.List.of("tiny", "student", "small");
        }
        for (String name : names) {
            run(shape(name), steps);
        }
    }

    private static void run(Shape shape, int steps) throws IOException {
        ModelConfig config = shape.config();
        Transformer model = Transformer.init(config, 1);
        AdamW optimizer = AdamW.builder(model.parameters()).learningRate(1e-4f).build();
        SplittableRandom random = new SplittableRandom(2);
        int rows = shape.batch() * shape.time();
        int[] ids = new int[rows];
        int[] targets = new int[rows];

        // TODO: wrap each step in the kernels helper's Workspace.step() scope once it is on main, so op outputs
        // are reused instead of allocated every step
        double[] seconds = new double[steps];
        for (int step = -2; step < steps; step++) {
            for (int i = 0; i < rows; i++) {
                ids[i] = random.nextInt(config.vocabSize());
                targets[i] = random.nextInt(config.vocabSize());
            }
            long start = System.nanoTime();
            Var logits = model.forward(ids, shape.batch(), shape.time(), null, null);
            Var loss = Ops.crossEntropy(logits, targets, -1);
            loss.backward();
            optimizer.step();
            optimizer.zeroGrad();
            Tape.current().clear();
            if (step >= 0) {
                seconds[step] = (System.nanoTime() - start) / 1e9;
            }
        }
        java.util.Arrays.sort(seconds);
        double median = seconds[steps / 2];
        System.out.printf("training %s: %.0f tokens/s (median step %.3f s over %d steps, %d threads, %d parameters)%n",
                shape.name(), rows / median, median, steps, Parallel.threads(), config.parameterCount());
        if (shape.name().equals("small")) {
            System.out.println("training small: peak RSS " + peakRss());
        }
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
