package org.gkd4j.bench.e2e;

import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import org.gkd4j.model.Transformer;
import org.gkd4j.model.checkpoint.Checkpoints;
import org.gkd4j.model.sampling.Generation;
import org.gkd4j.model.sampling.Generator;
import org.gkd4j.model.sampling.SamplingOptions;

/**
 * Tokens per second of KV-cache generation with the shipped stories260K (dim 64, 5 layers, 8 heads, 4 kv heads,
 * hidden 172, vocab 512, context 512). It runs batch 1 and 16 on 1 and 2 threads, greedy from BOS without a stop
 * token, and counts 256 tokens per sequence (BOS and 255 generated).
 *
 * <p>Run: {@code java --add-modules jdk.incubator.vector -cp bench/target/classes:... GenerationThroughput [repeats [batches [threads
 * [newTokens]]]]}, for example {@code GenerationThroughput 5 1,16 1,2 255}.
 */
public final class GenerationThroughput {

    /** CPU time is reported next to wall time because a shared machine's wall time swings with its load. */
    private static final ThreadMXBean THREADS = ManagementFactory.getThreadMXBean();

    private static final int WARMUP_REPEATS = 5;

    private static int[] batches = {1, 16};
    private static int[] threadCounts = {1, 2};

    private GenerationThroughput() {
    }

    public static void main(String[] args) {
        int repeats = args.length > 0 ? Integer.parseInt(args[0]) : 5;
        if (args.length > 1) {
            batches = java.util.Arrays.stream(args[1].split(",")).mapToInt(Integer::parseInt).toArray();
        }
        if (args.length > 2) {
            threadCounts = java.util.Arrays.stream(args[2].split(",")).mapToInt(Integer::parseInt).toArray();
        }
        Transformer model = Transformer.fromWeights(Checkpoints.stories260K());
        int newTokens = args.length > 3 ? Integer.parseInt(args[3]) : 255;
        SamplingOptions options = SamplingOptions.greedy(newTokens, -1);
        for (int round = 0; round < 2; round++) {
            // round 0 warms the JIT up on every configuration and prints nothing; on a loaded machine C2 needs
            // several seconds to compile the attention loop, so one repeat is not enough
            measure(model, options, round == 0 ? WARMUP_REPEATS : repeats, round == 1);
        }
    }

    private static void measure(Transformer model, SamplingOptions options, int repeats, boolean print) {
        for (int threads : threadCounts) {
            for (int batch : batches) {
                int[][] prompts = new int[batch][];
                for (int i = 0; i < batch; i++) {
                    prompts[i] = new int[] {1};
                }
                try (Generator generator = new Generator(model, null, batch, threads)) {
                    double best = 0;
                    double bestCpu = 0;
                    for (int rep = 0; rep < repeats; rep++) {
                        long cpuStart = THREADS.getCurrentThreadCpuTime();
                        long start = System.nanoTime();
                        Generation[] generations = generator.generate(prompts, options);
                        long elapsed = System.nanoTime() - start;
                        long cpu = THREADS.getCurrentThreadCpuTime() - cpuStart;
                        long tokens = 0;
                        for (Generation generation : generations) {
                            tokens += generation.length() + 1;
                        }
                        best = Math.max(best, tokens / (elapsed / 1e9));
                        bestCpu = Math.max(bestCpu, tokens / (cpu / 1e9));
                    }
                    if (print) {
                        System.out.printf("generation stories260K: batch %d, threads %d: %.0f tokens/s wall"
                                + " (%.0f per second of the main thread's CPU time; best of %d)%n",
                            batch, threads, best, bestCpu, repeats);
                    }
                }
            }
        }
    }
}
