package org.gkd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code gkd4j distill --seq-kd} end to end: with λ = 0 every step is off-policy, and on prompt-only data the
 * completions it trains on can only be the teacher's samples.
 */
class SeqKdCommandTest {

    private static final int BATCH = 2;
    private static final int MAX_NEW_TOKENS = 6;
    private static final int STEPS = 3;

    @TempDir
    Path dir;

    /** Six prompts and no completions: without --seq-kd, λ = 0 has nothing to train on. */
    private Path promptOnlyData() throws IOException {
        StringBuilder data = new StringBuilder();
        for (String prompt : new String[] {"Once upon a time", "Tom had a dog", "The sun was hot", "Lily saw a bird",
                "A little boy", "One day"}) {
            data.append("{\"prompt\": \"").append(prompt).append("\"}\n");
        }
        return Files.writeString(dir.resolve("prompts.jsonl"), data.toString());
    }

    private GenerateCommandTest.Result distill(Path data, Path output, String... extra) {
        List<String> args = new ArrayList<>(List.of("distill", "--data", data.toString(), "--output-dir",
                output.toString(), "--lambda", "0", "--steps", Integer.toString(STEPS), "--batch-size",
                Integer.toString(BATCH), "--held-out", "1", "--eval-every", "0", "--save-every", "0",
                "--max-new-tokens", Integer.toString(MAX_NEW_TOKENS), "--student-dim", "16", "--student-layers", "1",
                "--student-heads", "2", "--student-kv-heads", "1", "--student-hidden-dim", "24"));
        args.addAll(List.of(extra));
        return GenerateCommandTest.run(args.toArray(String[]::new));
    }

    private static List<JsonNode> stepLines(Path run) throws IOException {
        ObjectMapper json = new ObjectMapper();
        List<JsonNode> steps = new ArrayList<>();
        for (String line : Files.readAllLines(run.resolve("metrics.jsonl"))) {
            JsonNode node = json.readTree(line);
            if (node.has("loss")) {
                steps.add(node);
            }
        }
        return steps;
    }

    @Test
    void seqKdTrainsOnTeacherSamples() throws IOException {
        Path data = promptOnlyData();
        Path run = dir.resolve("run");
        GenerateCommandTest.Result result = distill(data, run, "--seq-kd");
        assertEquals(0, result.exitCode(), result.err());

        List<JsonNode> steps = stepLines(run);
        assertEquals(STEPS, steps.size(), "one metrics line per step");
        for (JsonNode step : steps) {
            assertFalse(step.get("on_policy").asBoolean(), "λ = 0 never samples from the student: " + step);
            // the data has no completions, so every loss position is a token the teacher sampled
            int completionTokens = step.get("completion_tokens").asInt();
            assertTrue(completionTokens > 0, "the teacher's samples give loss positions: " + step);
            assertTrue(completionTokens <= BATCH * MAX_NEW_TOKENS, "at most batch × max-new-tokens: " + step);
            assertTrue(Double.isFinite(step.get("loss").asDouble()), step.toString());
        }
        assertTrue(Files.readString(run.resolve("config.json")).contains("\"seq-kd\" : true"));
        assertTrue(Files.readString(run.resolve("report.md")).contains("seq-kd"));
        assertTrue(Files.isRegularFile(run.resolve("student.safetensors")));
    }

    @Test
    void seqKdSamplesAreReproducibleFromTheSeed() throws IOException {
        Path data = promptOnlyData();
        Path first = dir.resolve("first");
        Path second = dir.resolve("second");
        assertEquals(0, distill(data, first, "--seq-kd").exitCode());
        assertEquals(0, distill(data, second, "--seq-kd").exitCode());

        List<JsonNode> a = stepLines(first);
        List<JsonNode> b = stepLines(second);
        assertEquals(a.size(), b.size());
        for (int i = 0; i < a.size(); i++) {
            assertEquals(a.get(i).get("completion_tokens"), b.get(i).get("completion_tokens"), "step " + (i + 1));
            assertEquals(a.get(i).get("loss"), b.get(i).get("loss"), "step " + (i + 1));
        }
    }

    @Test
    void withoutSeqKdPromptOnlyDataIsRejected() throws IOException {
        Path run = dir.resolve("run");
        GenerateCommandTest.Result result = distill(promptOnlyData(), run);
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        assertTrue(result.err().contains("training examples of --data " + dir.resolve("prompts.jsonl")
                + " have no completion"), result.err());
        assertTrue(result.err().contains("(one has the prompt \""), result.err());
        assertTrue(result.err().contains("--seq-kd"), result.err());
        assertFalse(Files.exists(run), "nothing may be written for invalid input");
    }

    @Test
    void sftRejectsSeqKdFromBothSources() throws IOException {
        Path run = dir.resolve("run");
        GenerateCommandTest.Result commandLine = GenerateCommandTest.run("sft", "--seq-kd", "--output-dir",
                run.toString());
        assertEquals(Main.EXIT_USAGE, commandLine.exitCode(), commandLine.err());
        assertTrue(commandLine.err().contains("--seq-kd is a distill option"), commandLine.err());

        Path config = Files.writeString(dir.resolve("c.json"), "{\"seq-kd\": true}");
        GenerateCommandTest.Result fromFile = GenerateCommandTest.run("sft", "--config", config.toString(),
                "--output-dir", run.toString());
        assertEquals(Main.EXIT_USAGE, fromFile.exitCode(), fromFile.err());
        assertTrue(fromFile.err().contains("sets seq-kd to true, a distill option"), fromFile.err());
        assertFalse(Files.exists(run), "nothing may be written for invalid input");
    }

    @Test
    void seqKdWithInvalidValueIsRejected() {
        Path run = dir.resolve("run");
        GenerateCommandTest.Result result = GenerateCommandTest.run("distill", "--seq-kd=maybe", "--output-dir",
                run.toString());
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        assertTrue(result.err().contains("--seq-kd"), result.err());
        assertFalse(Files.exists(run), "nothing may be written for invalid input");
    }

    @Test
    void resumeCannotSwitchSeqKdOn() throws IOException {
        Path run = Files.createDirectories(dir.resolve("run"));
        String saved = ConfigFile.toJson(TrainCommand.effectiveConfig("distill", new TrainOptions()))
                .replaceFirst("\"output-dir\" : \"[^\"]*\"", "\"output-dir\" : \"" + run + "\"");
        Files.writeString(run.resolve("config.json"), saved);
        GenerateCommandTest.Result result = GenerateCommandTest.run("distill", "--resume", run.toString(), "--seq-kd");
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        assertTrue(result.err().contains("--seq-kd is true but the run " + run + " was started with false"),
                result.err());
        assertEquals(saved, Files.readString(run.resolve("config.json")));
        assertEquals(List.of(run.resolve("config.json")), Files.list(run).toList(), "nothing else is written");
    }
}
