package org.gkd4j.gkd.train;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.gkd4j.model.checkpoint.LlamaSafetensors;
import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** End-to-end runs of the trainer on a tiny student, the shipped teacher and a small JSONL data set. */
class GkdTrainerTest {

    @TempDir
    Path dir;

    private static final PrintStream QUIET = new PrintStream(OutputStream.nullOutputStream());

    private Path data() throws IOException {
        StringBuilder lines = new StringBuilder();
        String[] names = {"Tom", "Sue", "Ben", "Lily", "Max", "Mia", "Sam", "Ann", "Tim", "Zoe"};
        for (String name : names) {
            lines.append("{\"prompt\": \"Once upon a time, ").append(name)
                    .append(" went to the park.\", \"completion\": \" ").append(name)
                    .append(" saw a big dog and they played all day.\"}\n");
        }
        return Files.writeString(dir.resolve("data.jsonl"), lines.toString());
    }

    private TrainConfig config(String outputDir, double lambda, double lr) throws IOException {
        TrainConfig defaults = TrainConfig.defaults("distill");
        return new TrainConfig("distill", null, null, null, 16, 1, 2, 1, 32, data().toString(), "sentence", 2,
                lambda, 0.5, "jsd", 1.0, 1.0, 0, 1.0, 8, 16, false,
                6, 2, 2, lr, 0.1, 2, 0.0, 1.0, "token-mean", 7,
                3, 1, 3, 2, dir.resolve(outputDir).toString(), 11, 1, null, 0.5);
    }

    private static GkdTrainer.Summary train(TrainConfig config, boolean resume, int stopAfter) throws IOException {
        Path out = Path.of(config.outputDir());
        Files.createDirectories(out);
        return new GkdTrainer(TrainingSetup.prepare(config), out, QUIET, false).run(resume, stopAfter);
    }

    /** The metrics lines without their timings, which differ from run to run. */
    private static List<String> metricsWithoutTimings(Path outputDir) throws IOException {
        return MetricsLog.read(outputDir.resolve(GkdTrainer.METRICS_FILE)).stream().map(line -> {
            ObjectNode copy = line.deepCopy();
            copy.remove(List.of("tokens_per_s", "seconds"));
            return copy.toString();
        }).toList();
    }

    /** Runs on the default (vector) backend: its lane sums and exponentials use fixed orders (VectorMath). */
    @Test
    void resumedRunMatchesStraightRunBitwise() throws IOException {
        resumeAndCompare();
    }

    private void resumeAndCompare() throws IOException {
        TrainConfig straight = config("straight", 0.5, 3e-3);
        train(straight, false, Integer.MAX_VALUE);

        TrainConfig split = config("split", 0.5, 3e-3);
        train(split, false, 3);
        GkdTrainer.Summary resumed = train(split, true, Integer.MAX_VALUE);
        assertEquals(3, resumed.startStep());
        assertEquals(6, resumed.steps());
        String report = Files.readString(Path.of(split.outputDir(), "report.md"));
        assertTrue(report.contains("- resumed: at step 3;"), report);

        Map<String, Tensor> expected = LlamaSafetensors.read(Path.of(straight.outputDir(), GkdTrainer.STUDENT_FILE))
                .denseTensors();
        Map<String, Tensor> actual = LlamaSafetensors.read(Path.of(split.outputDir(), GkdTrainer.STUDENT_FILE))
                .denseTensors();
        assertEquals(expected.keySet(), actual.keySet());
        for (String name : expected.keySet()) {
            assertArrayEquals(expected.get(name).toArray(), actual.get(name).toArray(), 0f, name);
        }
        assertEquals(metricsWithoutTimings(Path.of(straight.outputDir())),
                metricsWithoutTimings(Path.of(split.outputDir())));
    }

    @Test
    void repeatedRunIsBitwiseEqual() throws IOException {
        repeatAndCompare();
    }

    private void repeatAndCompare() throws IOException {
        TrainConfig first = config("first", 0.5, 3e-3);
        train(first, false, Integer.MAX_VALUE);
        TrainConfig second = config("second", 0.5, 3e-3);
        train(second, false, Integer.MAX_VALUE);
        Map<String, Tensor> expected = LlamaSafetensors.read(Path.of(first.outputDir(), GkdTrainer.STUDENT_FILE))
                .denseTensors();
        Map<String, Tensor> actual = LlamaSafetensors.read(Path.of(second.outputDir(), GkdTrainer.STUDENT_FILE))
                .denseTensors();
        for (String name : expected.keySet()) {
            assertArrayEquals(expected.get(name).toArray(), actual.get(name).toArray(), 0f, name);
        }
    }

    @Test
    void runWritesLayoutAndKeepsLastCheckpoints() throws IOException {
        TrainConfig config = config("layout", 0.5, 3e-3);
        train(config, false, Integer.MAX_VALUE);
        Path out = Path.of(config.outputDir());
        for (String file : List.of("metrics.jsonl", "student.safetensors", "report.md", "loss.png")) {
            assertTrue(Files.isRegularFile(out.resolve(file)), file);
        }
        List<Path> checkpoints = new CheckpointStore(out.resolve(GkdTrainer.CHECKPOINTS_DIR), 2).list();
        assertEquals(List.of("step-00000003", "step-00000006"),
                checkpoints.stream().map(p -> p.getFileName().toString()).toList());
        List<ObjectNode> lines = MetricsLog.read(out.resolve(GkdTrainer.METRICS_FILE));
        assertTrue(lines.getFirst().has("eval_rkl_on_policy"), "step 0 evaluation first: " + lines.getFirst());
        for (String key : List.of("step", "loss", "lr", "tokens_per_s", "on_policy")) {
            assertTrue(lines.get(1).has(key), key + " in " + lines.get(1));
        }
    }

    @Test
    void lambdaZeroNeverSamplesAndLambdaOneAlwaysDoes() throws IOException {
        for (double lambda : new double[] {0.0, 1.0}) {
            TrainConfig config = config("lambda" + lambda, lambda, 3e-3);
            train(config, false, Integer.MAX_VALUE);
            for (ObjectNode line : MetricsLog.read(Path.of(config.outputDir(), GkdTrainer.METRICS_FILE))) {
                if (line.has("on_policy")) {
                    assertEquals(lambda == 1.0, line.get("on_policy").asBoolean(), "λ " + lambda + ": " + line);
                }
            }
        }
    }

    @Test
    void nonFiniteLossStopsAndKeepsLastCheckpoint() throws IOException {
        TrainConfig base = config("diverged", 1.0, 1e30);
        TrainConfig config = new TrainConfig(base.mode(), base.teacher(), base.tokenizer(), base.student(),
                base.studentDim(), base.studentLayers(), base.studentHeads(), base.studentKvHeads(),
                base.studentHiddenDim(), base.data(), base.promptSplit(), base.heldOut(), base.lambda(), base.beta(),
                base.divergence(), base.temperature(), base.lossTemperature(), base.topK(), base.topP(),
                base.maxNewTokens(), base.maxPromptTokens(), base.seqKd(), base.steps(), base.batchSize(),
                base.gradAccum(), base.lr(), base.minLrRatio(), 0, base.weightDecay(), 0.0, base.reduction(),
                base.chunkRows(), 0, base.evalSamples(), 1, base.keepCheckpoints(), base.outputDir(), base.seed(),
                base.threads(), base.reward(), base.rewardWeight());
        TrainingDivergedException error = assertThrows(TrainingDivergedException.class,
                () -> train(config, false, Integer.MAX_VALUE));
        assertTrue(error.getMessage().contains("last good checkpoint"), error.getMessage());
        List<Path> kept = new CheckpointStore(Path.of(config.outputDir(), GkdTrainer.CHECKPOINTS_DIR), 2).list();
        assertTrue(!kept.isEmpty(), "a checkpoint before the divergence is kept");
    }
}
