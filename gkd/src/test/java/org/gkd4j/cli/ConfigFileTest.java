package org.gkd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

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

    private IllegalArgumentException rejected(String mode, String json) throws IOException {
        Path file = Files.writeString(dir.resolve("config.json"), json);
        TrainOptions options = mode.equals("sft") ? parseSft("--config", file.toString(), "--output-dir", "x")
                : parse("--config", file.toString(), "--output-dir", "x");
        return assertThrows(IllegalArgumentException.class, () -> TrainCommand.effectiveConfig(mode, options));
    }

    private static TrainOptions parseSft(String... args) {
        SftCommand command = new SftCommand();
        new CommandLine(command).parseArgs(args);
        return command.options;
    }

    @Test
    void mistypedValuesNameKeyAndValue() throws IOException {
        String[][] cases = {
                {"{\"steps\": 2.5}", "steps must be an integer, got 2.5"},
                {"{\"steps\": 1e20}", "steps must be an integer, got 1.0E20"},
                {"{\"steps\": 10000000000}", "steps must be an integer from -2147483648 to 2147483647, got 10000000000"},
                {"{\"seq-kd\": \"true\"}", "seq-kd must be true or false, got \"true\""},
                {"{\"lr\": \"0.01\"}", "lr must be a number, got \"0.01\""},
                {"{\"teacher\": 3}", "teacher must be a string, got 3"},
                {"{\"divergence\": null}", "divergence must not be null; remove the key to use the default \"rkl\""},
                {"{\"reduction\": null}", "reduction must not be null; remove the key to use the default \"token-mean\""},
                {"{\"prompt-split\": null}", "prompt-split must not be null; remove the key to use the default \"sentence\""},
                {"{\"steps\": null}", "steps must not be null; remove the key to use the default 150"}};
        for (String[] c : cases) {
            IllegalArgumentException error = rejected("distill", c[0]);
            assertEquals(dir.resolve("config.json") + ": " + c[1], error.getMessage(), c[0]);
        }
    }

    @Test
    void nullIsAcceptedWhereTheDefaultIsNull() throws IOException {
        Path file = Files.writeString(dir.resolve("c.json"), "{\"teacher\": null, \"reward\": null}");
        TrainConfig config = TrainCommand.effectiveConfig("distill", parse("--config", file.toString(),
                "--output-dir", "x"));
        assertNull(config.teacher());
        assertNull(config.reward());
    }

    @Test
    void integerIsAcceptedForNumberOption() throws IOException {
        Path file = Files.writeString(dir.resolve("c.json"), "{\"lambda\": 0, \"lr\": 1}");
        TrainConfig config = TrainCommand.effectiveConfig("distill", parse("--config", file.toString(),
                "--output-dir", "x"));
        assertEquals(0.0, config.lambda());
        assertEquals(1.0, config.lr());
    }

    @Test
    void duplicateKeyIsRejected() throws IOException {
        IllegalArgumentException error = rejected("distill", "{\"steps\": 3, \"steps\": 4}");
        assertTrue(error.getMessage().contains("is not valid JSON"), error.getMessage());
        assertTrue(error.getMessage().contains("'steps'"), error.getMessage());
    }

    @Test
    void truncatedJsonNamesLineAndColumn() throws IOException {
        // the object opened on line 1 is still open when the input ends after line 2's value
        IllegalArgumentException error = rejected("distill", "{\n  \"steps\": 5\n");
        String message = error.getMessage();
        assertTrue(message.startsWith("config file "), message);
        assertTrue(message.contains("is not valid JSON: Unexpected end-of-input"), message);
        assertTrue(message.contains("(line 3, column 1)"), message);
        assertFalse(message.contains("Source:"), message);
        assertFalse(message.contains("StreamReadFeature"), message);
    }

    @Test
    void misspelledKeyGetsSuggestion() throws IOException {
        IllegalArgumentException upper = rejected("distill", "{\"Steps\": 3}");
        assertTrue(upper.getMessage().contains("unknown key \"Steps\"; did you mean \"steps\"?"), upper.getMessage());

        IllegalArgumentException unrelated = rejected("distill", "{\"colour\": 3}");
        assertFalse(unrelated.getMessage().contains("did you mean"), unrelated.getMessage());
    }

    @Test
    void textAfterTheObjectIsRejected() throws IOException {
        IllegalArgumentException error = rejected("distill", "{\"steps\": 2} junk");
        assertTrue(error.getMessage().contains("is not valid JSON"), error.getMessage());
    }

    @Test
    void duplicateKeyNamesItsLine() throws IOException {
        IllegalArgumentException error = rejected("distill", "{\"steps\": 3,\n\"steps\": 4}");
        assertTrue(error.getMessage().contains("(line 2, column "), error.getMessage());
    }

    @Test
    void configPathThatIsADirectoryIsRejected() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> TrainCommand.effectiveConfig("distill", parse("--config", dir.toString(), "--output-dir", "x")));
        assertEquals("config file " + dir + " is not a regular file; pass a JSON file", error.getMessage());
    }

    @Test
    void sftRejectsDistillKeysInConfig() throws IOException {
        String[][] cases = {{"lambda", "0.5"}, {"beta", "0.1"}, {"divergence", "\"jsd\""},
                {"loss-temperature", "2"}, {"seq-kd", "true"}, {"reward", "\"keyword:dog\""}, {"reward-weight", "0.9"}};
        assertEquals(TrainCommand.DISTILL_ONLY.size(), cases.length, "one case per distill-only option");
        for (String[] c : cases) {
            IllegalArgumentException error = rejected("sft", "{\"" + c[0] + "\": " + c[1] + "}");
            assertTrue(error.getMessage().startsWith("config file " + dir.resolve("config.json") + " sets " + c[0]
                    + " to " + c[1] + ", a distill option"), error.getMessage());
            assertTrue(error.getMessage().contains("remove the key " + c[0]), error.getMessage());
            assertTrue(error.getMessage().endsWith("or run gkd4j distill"), error.getMessage());
        }
    }

    @Test
    void sftAcceptsDistillKeysAtSftValues() throws IOException {
        // a saved sft config.json lists every key, the distill-only ones at sft's values
        TrainConfig saved = TrainCommand.effectiveConfig("sft", parseSft("--lr", "0.01", "--output-dir", "x"));
        Path file = Files.writeString(dir.resolve("saved.json"), ConfigFile.toJson(saved));
        assertEquals(saved, TrainCommand.effectiveConfig("sft", parseSft("--config", file.toString())));

        Path handWritten = Files.writeString(dir.resolve("hand.json"), "{\"lambda\": 0, \"divergence\": \"fkl\"}");
        TrainConfig config = TrainCommand.effectiveConfig("sft", parseSft("--config", handWritten.toString(),
                "--output-dir", "x"));
        assertEquals(0.0, config.lambda());
    }

    @Test
    void sftRejectsSavedDistillConfig() throws IOException {
        TrainConfig distill = TrainCommand.effectiveConfig("distill", parse("--output-dir", "x"));
        IllegalArgumentException byMode = rejected("sft", ConfigFile.toJson(distill));
        assertTrue(byMode.getMessage().contains("sets mode \"distill\""), byMode.getMessage());

        // without the mode key, the first distill-only key is named
        String withoutMode = ConfigFile.toJson(distill).replace("\"mode\" : \"distill\",", "");
        IllegalArgumentException byKey = rejected("sft", withoutMode);
        assertTrue(byKey.getMessage().contains(" sets lambda to 1.0, a distill option"), byKey.getMessage());
    }

    @Test
    void distillRejectsSavedSftConfig() throws IOException {
        TrainConfig sft = TrainCommand.effectiveConfig("sft", parseSft("--output-dir", "x"));
        Path file = Files.writeString(dir.resolve("sft.json"), ConfigFile.toJson(sft));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> TrainCommand.effectiveConfig("distill", parse("--config", file.toString())));
        assertTrue(error.getMessage().contains("sets mode \"sft\""), error.getMessage());
        assertTrue(error.getMessage().contains("run gkd4j sft --config " + file), error.getMessage());
        assertTrue(error.getMessage().contains("remove the key \"mode\""), error.getMessage());

        // without the key, the same settings are taken as a distill config
        Path withoutMode = Files.writeString(dir.resolve("settings.json"),
                ConfigFile.toJson(sft).replace("\"mode\" : \"sft\",", ""));
        TrainConfig config = TrainCommand.effectiveConfig("distill", parse("--config", withoutMode.toString()));
        assertEquals("distill", config.mode());
        assertEquals(0.0, config.lambda());
    }

    @Test
    void sftResumeRejectsDistillKeyInSavedConfig() throws IOException {
        Path run = Files.createDirectories(dir.resolve("run"));
        TrainConfig saved = TrainCommand.effectiveConfig("sft", parseSft("--output-dir", run.toString()));
        Files.writeString(run.resolve("config.json"), ConfigFile.toJson(saved).replace("\"beta\" : 0.5",
                "\"beta\" : 0.25"));
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> TrainCommand.effectiveConfig("sft", parseSft("--resume", run.toString())));
        assertTrue(error.getMessage().startsWith("config file " + run.resolve("config.json") + " sets beta to 0.25"),
                error.getMessage());
    }

    @Test
    void byteOrderMarkIsDropped() throws IOException {
        Path file = Files.writeString(dir.resolve("bom.json"), "\uFEFF{\"steps\": 7}");
        TrainConfig config = TrainCommand.effectiveConfig("distill", parse("--config", file.toString(),
                "--output-dir", "x"));
        assertEquals(7, config.steps());
    }

    @Test
    void commandLineOnlyKeysAreNamed() throws IOException {
        for (String key : new String[] {"config", "resume", "overwrite"}) {
            IllegalArgumentException error = rejected("distill", "{\"" + key + "\": true}");
            assertTrue(error.getMessage().contains("\"" + key + "\" is a command-line option only"),
                    error.getMessage());
            assertTrue(error.getMessage().endsWith("pass --" + key + " instead"), error.getMessage());
        }
    }
}
