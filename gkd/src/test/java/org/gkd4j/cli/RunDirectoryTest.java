package org.gkd4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gkd4j.model.tokenizer.Tokenizers;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A finished tiny distill run: its directory is usable by generate, and resuming it does nothing. */
class RunDirectoryTest {

    @TempDir
    static Path folder;

    static Path run;

    @BeforeAll
    static void distillTinyRun() throws IOException {
        StringBuilder data = new StringBuilder();
        for (int i = 0; i < 6; i++) {
            data.append("{\"prompt\": \"Once upon a time\", \"completion\": \" there was a cat.\"}\n");
        }
        Path dataFile = Files.writeString(folder.resolve("data.jsonl"), data.toString());
        run = folder.resolve("run");
        GenerateCommandTest.Result result = GenerateCommandTest.run("distill", "--data", dataFile.toString(),
                "--output-dir", run.toString(), "--steps", "2", "--batch-size", "2", "--held-out", "2",
                "--eval-every", "0", "--max-new-tokens", "4", "--student-dim", "16", "--student-layers", "1",
                "--student-heads", "2", "--student-kv-heads", "1", "--student-hidden-dim", "24");
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.out().contains("2 steps in"), result.out());
    }

    @Test
    void runDirectoryHoldsTheShippedTokenizerBytes() throws IOException {
        byte[] expected;
        try (InputStream in = Tokenizers.class.getResourceAsStream(Tokenizers.STORIES_260K_RESOURCE)) {
            expected = in.readAllBytes();
        }
        assertArrayEquals(expected, Files.readAllBytes(run.resolve("tokenizer.bin")));
    }

    @Test
    void generateRunsOnTheDistilledStudent() {
        GenerateCommandTest.Result result = GenerateCommandTest.run("generate", "--model",
                run.resolve("student.safetensors").toString(), "--prompt", "Once", "--max-new-tokens", "3");
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.out().startsWith("Once"), result.out());
    }

    @Test
    void studentWithoutTokenizerFallsBackToStories260K() throws IOException {
        Path alone = Files.createDirectories(folder.resolve("alone"));
        Path model = Files.copy(run.resolve("student.safetensors"), alone.resolve("student.safetensors"));
        GenerateCommandTest.Result result = GenerateCommandTest.run("generate", "--model", model.toString(),
                "--prompt", "Once", "--max-new-tokens", "3");
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.err().contains("using the shipped stories260K tokenizer"), result.err());
    }

    @Test
    void brokenTokenizerBesideModelIsNamedAsFound() throws IOException {
        Path broken = Files.createDirectories(folder.resolve("broken"));
        Path model = Files.copy(run.resolve("student.safetensors"), broken.resolve("student.safetensors"));
        Path tokenizer = Files.writeString(broken.resolve("tokenizer.json"), "{}");
        GenerateCommandTest.Result result = GenerateCommandTest.run("generate", "--model", model.toString(),
                "--max-new-tokens", "2");
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        assertTrue(result.err().startsWith("gkd4j generate: cannot load tokenizer " + tokenizer
                + " (found beside --model; pass --tokenizer to use another): "), result.err());
    }

    @Test
    void tokenizerWithAnotherVocabularyIsRejected() throws IOException {
        Path other = Files.createDirectories(folder.resolve("other"));
        Path model = Files.copy(run.resolve("student.safetensors"), other.resolve("student.safetensors"));
        // the shipped tokenizer plus one piece "x": score 0 (float32), length 1, the byte
        byte[] shipped = Files.readAllBytes(run.resolve("tokenizer.bin"));
        byte[] extra = {0, 0, 0, 0, 1, 0, 0, 0, 'x'};
        byte[] bigger = java.util.Arrays.copyOf(shipped, shipped.length + extra.length);
        System.arraycopy(extra, 0, bigger, shipped.length, extra.length);
        Files.write(other.resolve("tokenizer.bin"), bigger);
        for (String command : new String[] {"generate", "eval"}) {
            Path text = Files.writeString(other.resolve("text.txt"), "Once upon a time.\n");
            GenerateCommandTest.Result result = command.equals("generate")
                    ? GenerateCommandTest.run("generate", "--model", model.toString(), "--max-new-tokens", "2")
                    : GenerateCommandTest.run("eval", "--model", model.toString(), "--data", text.toString());
            assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
            assertTrue(result.err().contains("the tokenizer has 513 tokens but the model's vocabulary has 512"),
                    result.err());
        }
    }

    @Test
    void resumingAFinishedRunChangesNothing() throws IOException {
        String report = Files.readString(run.resolve("report.md"));
        long modified = Files.getLastModifiedTime(run.resolve("report.md")).toMillis();
        GenerateCommandTest.Result result = GenerateCommandTest.run("distill", "--resume", run.toString());
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.out().contains("run " + run + " already finished at step 2; nothing to do"), result.out());
        assertEquals(report, Files.readString(run.resolve("report.md")));
        assertEquals(modified, Files.getLastModifiedTime(run.resolve("report.md")).toMillis());
    }

    @Test
    void resumeWithChangedOptionIsRejected() {
        GenerateCommandTest.Result result = GenerateCommandTest.run("distill", "--resume", run.toString(),
                "--lr", "0.5");
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        assertTrue(result.err().contains("--lr is 0.5 but the run"), result.err());
    }

    @Test
    void resumeWithChangedStepsIsRejected() {
        GenerateCommandTest.Result result = GenerateCommandTest.run("distill", "--resume", run.toString(),
                "--steps", "5");
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        assertTrue(result.err().contains("--steps is 5"), result.err());
        assertTrue(result.err().contains("started with 2"), result.err());
    }

    @Test
    void resumeWithTheSavedValueIsAccepted() {
        GenerateCommandTest.Result result = GenerateCommandTest.run("distill", "--resume", run.toString(),
                "--steps", "2");
        assertEquals(0, result.exitCode(), result.err());
    }
}
