package org.gkd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gkd4j.gkd.train.TrainConfig;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import picocli.CommandLine;

class ConfigFileTest {

    @TempDir
    Path dir;

    private static TrainOptions parse(String... args) {
        DistillCommand command = new DistillCommand();
        new CommandLine(command).parseArgs(args);
        return command.options;
    }

    @Test
    void commandLineWinsOverConfigFileOverDefaults() throws IOException {
        Path file = Files.writeString(dir.resolve("c.json"),
                "{\"lambda\": 0.25, \"batch-size\": 3, \"divergence\": \"jsd\"}");
        TrainConfig config = TrainCommand.effectiveConfig("distill",
                parse("--config", file.toString(), "--batch-size", "5", "--output-dir", "x"));
        assertEquals(0.25, config.lambda());
        assertEquals(5, config.batchSize());
        assertEquals("jsd", config.divergence());
        assertEquals(TrainConfig.defaults("distill").steps(), config.steps());
    }

    @Test
    void wrongTypeNamesKeyExpectedTypeAndValue() throws IOException {
        Path file = Files.writeString(dir.resolve("config.json"), "{\"steps\": \"five\", \"lr\": 0.01}");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> TrainCommand.effectiveConfig("distill", parse("--config", file.toString(), "--output-dir", "x")));
        assertEquals(file + ": steps must be an integer, got \"five\"", error.getMessage());
    }

    @Test
    void wrongBooleanNamesKey() throws IOException {
        Path file = Files.writeString(dir.resolve("config.json"), "{\"seq-kd\": [1]}");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> TrainCommand.effectiveConfig("distill", parse("--config", file.toString(), "--output-dir", "x")));
        assertEquals(file + ": seq-kd must be true or false, got [1]", error.getMessage());
    }

    @Test
    void savedConfigRoundTrips() throws IOException {
        TrainConfig config = TrainCommand.effectiveConfig("distill", parse("--lr", "0.01", "--output-dir", "x"));
        Path file = Files.writeString(dir.resolve("config.json"), ConfigFile.toJson(config));
        TrainConfig reread = TrainCommand.effectiveConfig("distill", parse("--config", file.toString()));
        assertEquals(config, reread);
    }

    @Test
    void defaultOutputDirIsUnderRuns() {
        TrainConfig config = TrainCommand.effectiveConfig("sft", parse());
        assertEquals(true, config.outputDir().startsWith("runs/sft-"), config.outputDir());
        assertNull(config.teacher());
    }
}
