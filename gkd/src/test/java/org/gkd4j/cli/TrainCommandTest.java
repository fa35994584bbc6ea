package org.gkd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TrainCommandTest {

    @TempDir
    Path dir;

    @Test
    void interruptedMessageNamesNewestCheckpointAndResumeCommand() throws IOException {
        for (String step : new String[] {"step-00000010", "step-00000020"}) {
            Path checkpoint = Files.createDirectories(dir.resolve("checkpoints").resolve(step));
            Files.writeString(checkpoint.resolve("state.json"), "{}");
        }
        // a checkpoint still being written has no state.json and is not offered
        Files.createDirectories(dir.resolve("checkpoints").resolve("step-00000030"));
        assertEquals("gkd4j distill: stopped; the last checkpoint is " + dir.resolve("checkpoints/step-00000020")
                + "; continue with: gkd4j distill --resume " + dir, TrainCommand.interruptedMessage("gkd4j distill", dir));
    }

    @Test
    void interruptedMessageWithoutCheckpointSaysSo() {
        assertEquals("gkd4j sft: stopped; no checkpoint was written yet (the run restarts from step 0); continue with:"
                + " gkd4j sft --resume " + dir, TrainCommand.interruptedMessage("gkd4j sft", dir));
    }

    @Test
    void invalidBackendExitsBeforeWriting() throws IOException, InterruptedException {
        // The backend is chosen once per JVM and this test JVM has chosen it already, so a fresh JVM runs the command
        Path outputDir = dir.resolve("run");
        Process process = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "--add-modules", "jdk.incubator.vector", "-Dgkd4j.backend=bogus",
                "-cp", System.getProperty("java.class.path"), Main.class.getName(),
                "distill", "--steps", "1", "--eval-every", "0", "--output-dir", outputDir.toString())
                .redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        int exitCode = process.waitFor();

        assertEquals(Main.EXIT_USAGE, exitCode, output);
        assertTrue(output.contains("gkd4j distill: unknown backend 'bogus'"), output);
        assertFalse(output.contains("\tat org.gkd4j"), output);
        assertFalse(Files.exists(outputDir), output);
    }

    @Test
    void ioErrorNamesPathAndKind() {
        assertEquals("/runs/x: no such file or directory",
                TrainCommand.describeIoError(new java.nio.file.NoSuchFileException("/runs/x")));
        assertEquals("/runs/x: permission denied",
                TrainCommand.describeIoError(new UncheckedIOException(new java.nio.file.AccessDeniedException("/runs/x"))));
        assertEquals("/runs/x: Read-only file system",
                TrainCommand.describeIoError(new java.nio.file.FileSystemException("/runs/x", null, "Read-only file system")));
        assertEquals("disk full", TrainCommand.describeIoError(new IOException("disk full")));
    }
}
