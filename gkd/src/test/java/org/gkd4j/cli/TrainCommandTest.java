package org.gkd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.io.IOException;
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
}
