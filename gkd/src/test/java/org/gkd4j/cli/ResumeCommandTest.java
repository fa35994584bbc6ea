package org.gkd4j.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Invalid {@code --resume}: each case exits with code 2 and leaves the run directory as it was. Every case works on
 * a copy of one tiny sft run whose final weights are removed, so it looks like a run that stopped after step 2.
 */
class ResumeCommandTest {

    @TempDir
    static Path folder;

    static Path finished;

    static Path data;

    @BeforeAll
    static void sftTinyRun() throws IOException {
        StringBuilder lines = new StringBuilder();
        for (int i = 0; i < 5; i++) {
            lines.append("{\"prompt\": \"Once upon a time\", \"completion\": \" there was a cat.\"}\n");
        }
        data = Files.writeString(folder.resolve("data.jsonl"), lines.toString());
        finished = folder.resolve("finished");
        GenerateCommandTest.Result result = GenerateCommandTest.run("sft", "--data", data.toString(),
                "--output-dir", finished.toString(), "--steps", "2", "--save-every", "2", "--batch-size", "2",
                "--held-out", "1", "--eval-every", "0", "--max-new-tokens", "4", "--student-dim", "16",
                "--student-layers", "1", "--student-heads", "2", "--student-kv-heads", "1",
                "--student-hidden-dim", "24");
        assertEquals(0, result.exitCode(), result.err());
    }

    /** Copies the finished run without its final weights: a run stopped after its step-2 checkpoint. */
    private static Path stoppedCopy(String name) throws IOException {
        Path copy = folder.resolve(name);
        try (Stream<Path> paths = Files.walk(finished)) {
            for (Path source : paths.toList()) {
                Path target = copy.resolve(finished.relativize(source).toString());
                if (Files.isDirectory(source)) {
                    Files.createDirectories(target);
                } else {
                    Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
                }
            }
        }
        Files.delete(copy.resolve("student.safetensors"));
        return copy;
    }

    /** Returns every file of the run with its bytes, to show that a rejected resume changed nothing. */
    private static List<String> snapshot(Path run) throws IOException {
        try (Stream<Path> paths = Files.walk(run)) {
            return paths.filter(Files::isRegularFile).sorted().map(path -> {
                try {
                    return run.relativize(path) + " " + java.util.Arrays.hashCode(Files.readAllBytes(path));
                } catch (IOException e) {
                    throw new java.io.UncheckedIOException(e);
                }
            }).toList();
        }
    }

    private static void assertRejected(Path run, List<String> before, GenerateCommandTest.Result result,
                                       String... fragments) throws IOException {
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        for (String fragment : fragments) {
            assertTrue(result.err().contains(fragment), "message should contain '" + fragment + "': " + result.err());
        }
        assertEquals(before, snapshot(run), "a rejected resume must leave the run directory unchanged");
    }

    @Test
    void distillCannotResumeSftRun() throws IOException {
        Path run = stoppedCopy("other-mode");
        List<String> before = snapshot(run);
        assertRejected(run, before, GenerateCommandTest.run("distill", "--resume", run.toString()),
                "--resume " + run + " is a gkd4j sft run; continue it with: gkd4j sft --resume " + run);
    }

    @Test
    void resumeWithOverwriteIsRejected() throws IOException {
        Path run = stoppedCopy("overwrite");
        List<String> before = snapshot(run);
        assertRejected(run, before, GenerateCommandTest.run("sft", "--resume", run.toString(), "--overwrite"),
                "drop --overwrite");
    }

    @Test
    void resumeIntoAnotherOutputDirIsRejected() throws IOException {
        Path run = stoppedCopy("other-dir");
        Path elsewhere = folder.resolve("elsewhere");
        List<String> before = snapshot(run);
        assertRejected(run, before, GenerateCommandTest.run("sft", "--resume", run.toString(), "--output-dir",
                elsewhere.toString()), "writes into that directory, not --output-dir " + elsewhere);
        assertFalse(Files.exists(elsewhere));
    }

    @Test
    void checkpointOfAnotherShapeIsRejected() throws IOException {
        Path run = stoppedCopy("other-shape");
        Path config = run.resolve("config.json");
        Files.writeString(config, Files.readString(config).replace("\"student-dim\" : 16", "\"student-dim\" : 8"));
        List<String> before = snapshot(run);
        assertRejected(run, before, GenerateCommandTest.run("sft", "--resume", run.toString()),
                "contains a student with dim 16 where config.json builds 8");
    }

    @Test
    void unreadableCheckpointIsRejected() throws IOException {
        Path run = stoppedCopy("corrupt");
        Path checkpoint = run.resolve("checkpoints/step-00000002");
        Files.writeString(checkpoint.resolve("student.safetensors"), "not safetensors");
        List<String> before = snapshot(run);
        assertRejected(run, before, GenerateCommandTest.run("sft", "--resume", run.toString()),
                "the newest checkpoint is unreadable", "delete " + checkpoint + " to resume from the one before it");
    }

    @Test
    void resumeAcceptsItsOwnDirAsOutputDir() throws IOException {
        Path run = stoppedCopy("same-dir");
        GenerateCommandTest.Result result = GenerateCommandTest.run("sft", "--resume", run.toString(),
                "--output-dir", run.toAbsolutePath() + "/./");
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(Files.isRegularFile(run.resolve("student.safetensors")));
    }

    @Test
    void resumeFromZeroEvaluatesStepZeroOnce() throws IOException {
        // a run with evaluations that stopped before its first checkpoint: the resume starts over from step 0
        Path run = folder.resolve("from-zero");
        GenerateCommandTest.Result first = GenerateCommandTest.run("sft", "--data", data.toString(),
                "--output-dir", run.toString(), "--steps", "2", "--save-every", "0", "--batch-size", "2",
                "--held-out", "1", "--eval-every", "2", "--max-new-tokens", "4", "--student-dim", "16",
                "--student-layers", "1", "--student-heads", "2", "--student-kv-heads", "1",
                "--student-hidden-dim", "24");
        assertEquals(0, first.exitCode(), first.err());
        Files.delete(run.resolve("student.safetensors"));

        GenerateCommandTest.Result resumed = GenerateCommandTest.run("sft", "--resume", run.toString());
        assertEquals(0, resumed.exitCode(), resumed.err());
        long stepZeroLines = Files.readAllLines(run.resolve("metrics.jsonl")).stream()
                .filter(line -> line.contains("\"step\":0,") || line.contains("\"step\":0}"))
                .count();
        assertEquals(1, stepZeroLines, "one step-0 evaluation in metrics.jsonl");

        // sft without --teacher runs no teacher, and the report must not name the shipped one
        String teacherLine = Files.readAllLines(run.resolve("report.md")).stream()
                .filter(line -> line.contains("teacher")).findFirst().orElse("");
        assertTrue(teacherLine.contains("none"), teacherLine);
    }

    @Test
    void validResumeFinishesTheRun() throws IOException {
        Path run = stoppedCopy("valid");
        GenerateCommandTest.Result result = GenerateCommandTest.run("sft", "--resume", run.toString());
        assertEquals(0, result.exitCode(), result.err());
        // the checkpoint was taken at the last step, so the resumed run only writes the final weights again
        assertArrayEquals(Files.readAllBytes(finished.resolve("student.safetensors")),
                Files.readAllBytes(run.resolve("student.safetensors")));
    }
}
