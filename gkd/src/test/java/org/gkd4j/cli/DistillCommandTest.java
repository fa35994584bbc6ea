package org.gkd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gkd4j.model.ModelConfig;
import org.gkd4j.model.Transformer;
import org.gkd4j.model.checkpoint.HuggingFaceWriter;
import org.gkd4j.model.checkpoint.LlamaSafetensors;
import org.gkd4j.model.checkpoint.ModelWeights;
import org.gkd4j.model.checkpoint.SafetensorsDtype;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Invalid input to {@code gkd4j distill}: exit code 2, a message naming the problem, and nothing written. */
class DistillCommandTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream errBytes = new ByteArrayOutputStream();
    private final ByteArrayOutputStream outBytes = new ByteArrayOutputStream();
    private PrintStream savedErr;
    private PrintStream savedOut;

    @BeforeEach
    void captureStreams() {
        savedErr = System.err;
        savedOut = System.out;
        System.setErr(new PrintStream(errBytes, true, StandardCharsets.UTF_8));
        System.setOut(new PrintStream(outBytes, true, StandardCharsets.UTF_8));
    }

    @AfterEach
    void restoreStreams() {
        System.setErr(savedErr);
        System.setOut(savedOut);
    }

    private String err() {
        return errBytes.toString(StandardCharsets.UTF_8);
    }

    private Path out() {
        return dir.resolve("run");
    }

    private int distill(String... args) {
        String[] full = new String[args.length + 3];
        full[0] = "distill";
        full[1] = "--output-dir";
        full[2] = out().toString();
        System.arraycopy(args, 0, full, 3, args.length);
        return Main.execute(full);
    }

    private void assertRejected(int exitCode, String... fragments) {
        assertEquals(Main.EXIT_USAGE, exitCode, err());
        for (String fragment : fragments) {
            assertTrue(err().contains(fragment), "message should contain '" + fragment + "': " + err());
        }
        assertFalse(Files.exists(out()), "nothing may be written for invalid input");
    }

    @Test
    void helpListsTheOptions() {
        assertEquals(0, Main.execute("distill", "--help"));
        String help = outBytes.toString(StandardCharsets.UTF_8);
        assertTrue(help.contains("--lambda"), help);
        assertTrue(help.contains("--loss-temperature"), help);
        assertTrue(help.contains("--resume"), help);
    }

    @Test
    void helpHasNoFieldNamePlaceholders() {
        for (String command : new String[] {"distill", "sft", "generate", "eval"}) {
            outBytes.reset();
            assertEquals(0, Main.execute(command, "--help"));
            String help = outBytes.toString(StandardCharsets.UTF_8);
            assertFalse(help.contains("=<"), command + " --help has a <field> placeholder: " + help);
        }
        outBytes.reset();
        Main.execute("distill", "--help");
        String help = outBytes.toString(StandardCharsets.UTF_8);
        assertTrue(help.contains("--reward-weight=W"), help);
        assertTrue(help.contains("--steps=N"), help);
        assertTrue(help.contains("(default 150)"), help);
    }

    @Test
    void unknownOptionIsRejected() {
        assertRejected(distill("--lamda", "0.5"), "--lamda");
    }

    @Test
    void parseErrorIsShortWithSuggestion() {
        assertRejected(distill("--lamda", "0.5"), "gkd4j distill: Unknown options: '--lamda'",
                "Possible solutions: --lambda", "Run 'gkd4j distill --help' to list the options.");
        assertFalse(err().contains("Usage:"), "the usage text would bury the error: " + err());
        errBytes.reset();
        assertEquals(Main.EXIT_USAGE, Main.execute("distil"));
        assertTrue(err().contains("Did you mean: gkd4j distill?"), err());
        assertTrue(err().contains("Run 'gkd4j --help' to list the commands."), err());
    }

    @Test
    void lambdaAboveOneIsRejected() {
        assertRejected(distill("--lambda", "1.5"), "--lambda", "1.5", "[0, 1]");
    }

    @Test
    void negativeBetaIsRejected() {
        assertRejected(distill("--beta", "-0.1"), "--beta", "[0, 1]");
    }

    @Test
    void unknownDivergenceIsRejected() {
        assertRejected(distill("--divergence", "kl"), "--divergence", "fkl, rkl, jsd");
    }

    @Test
    void missingDataFileIsRejected() {
        Path missing = dir.resolve("missing.jsonl");
        assertRejected(distill("--data", missing.toString()), missing.toString(), "not found");
    }

    @Test
    void malformedJsonlNamesLineAndField() throws IOException {
        Path data = Files.writeString(dir.resolve("bad.jsonl"),
                "{\"prompt\": \"a\", \"completion\": \"b\"}\n{\"prompt\": 7}\n");
        assertRejected(distill("--data", data.toString()), "line 2", "\"prompt\"");
    }

    @Test
    void batchLargerThanDataIsRejected() throws IOException {
        Path data = Files.writeString(dir.resolve("small.jsonl"),
                "{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}\n{\"prompt\": \"c\"}\n");
        assertRejected(distill("--data", data.toString(), "--held-out", "1", "--batch-size", "4"),
                "--batch-size 4", "2 training examples");
    }

    @Test
    void sftRejectsDistillOnlyOptions() {
        String[][] options = {{"--lambda", "0.5"}, {"--divergence", "jsd"}, {"--seq-kd"}, {"--beta", "0.1"},
                {"--loss-temperature", "2"}, {"--reward", "keyword:dog"}, {"--reward-weight", "0.9"}};
        assertEquals(TrainCommand.DISTILL_ONLY.size(), options.length, "one case per distill-only option");
        for (String[] option : options) {
            errBytes.reset();
            String[] args = new String[option.length + 3];
            args[0] = "sft";
            args[1] = "--output-dir";
            args[2] = out().toString();
            System.arraycopy(option, 0, args, 3, option.length);
            assertRejected(Main.execute(args), option[0] + " is a distill option");
        }
    }

    @Test
    void seqKdWithoutOffPolicyStepsWarns() throws IOException {
        Path data = Files.writeString(dir.resolve("small.jsonl"),
                "{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}\n{\"prompt\": \"c\"}\n");
        assertRejected(distill("--seq-kd", "--lambda", "1", "--data", data.toString(), "--held-out", "1",
                "--batch-size", "4"), "--seq-kd has no effect with --lambda 1.0");
    }

    @Test
    void maxNewTokensBeyondContextIsRejected() {
        assertRejected(distill("--max-new-tokens", "600"), "--max-new-tokens 600", "context length 512");
    }

    @Test
    void maxNewTokensNearIntLimitIsRejected() {
        // 32 + 2147483647 wraps to a negative int, which a plain int comparison with the context length accepts
        assertRejected(distill("--max-new-tokens", "2147483647"), "--max-new-tokens 2147483647 plus"
                + " --max-prompt-tokens 32 is beyond the context length 512");
    }

    @Test
    void mismatchedVocabulariesAreRejected() {
        ModelConfig config = new ModelConfig(16, 1, 2, 1, 32, 600, 512, 10000f, 1e-5f, true);
        Path student = dir.resolve("student.safetensors");
        LlamaSafetensors.write(student, ModelWeights.dense(config, Transformer.init(config, 1).namedTensors()));
        assertRejected(distill("--student", student.toString()),
                "student has vocab 600 but the teacher has 512: distil only between models that share a tokenizer");
    }

    @Test
    void malformedTokenizerNamesTheOption() throws IOException {
        Path tokenizer = Files.writeString(dir.resolve("tokenizer.json"), "{\"model\": 7}");
        assertRejected(distill("--tokenizer", tokenizer.toString()), "--tokenizer " + tokenizer + ": ");
    }

    @Test
    void sftOnPromptOnlyDataAsksForCompletions() throws IOException {
        Path data = Files.writeString(dir.resolve("prompts.jsonl"),
                "{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}\n{\"prompt\": \"c\"}\n");
        int exitCode = Main.execute("sft", "--output-dir", out().toString(), "--data", data.toString(),
                "--held-out", "1", "--batch-size", "2");
        assertRejected(exitCode, "sft trains on completions; add a completion to every example");
        // sft rejects both of the distill remedies, so the message must not offer them
        assertFalse(err().contains("--seq-kd"), err());
    }

    @Test
    void huggingFaceDirectoryIsAcceptedAsTeacher() throws IOException {
        // the directory passes the --teacher checks, so the first error is the later batch-size check
        ModelConfig config = new ModelConfig(16, 1, 2, 1, 32, 512, 512, 10000f, 1e-5f, true);
        Path teacher = Files.createDirectories(dir.resolve("hf-teacher"));
        HuggingFaceWriter.write(teacher, ModelWeights.dense(config, Transformer.init(config, 1).namedTensors()),
                SafetensorsDtype.F32);
        Path data = Files.writeString(dir.resolve("small.jsonl"),
                "{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}\n{\"prompt\": \"c\"}\n");
        assertRejected(distill("--teacher", teacher.toString(), "--data", data.toString(), "--held-out", "1",
                "--batch-size", "4"), "--batch-size 4", "2 training examples");
        assertFalse(err().contains("--teacher"), err());
    }

    @Test
    void nonEmptyOutputDirIsNotOverwritten() throws IOException {
        Files.createDirectories(out());
        Path kept = Files.writeString(out().resolve("notes.txt"), "keep me");
        assertEquals(Main.EXIT_USAGE, distill(), err());
        assertTrue(err().contains("--overwrite"), err());
        assertFalse(err().contains("--resume"), "no run to continue here: " + err());
        assertEquals("keep me", Files.readString(kept));
    }

    @Test
    void resumeHintOnlyForSameMode() throws IOException {
        Files.createDirectories(out());
        Files.writeString(out().resolve("config.json"), "{\"mode\": \"sft\"}");
        assertEquals(Main.EXIT_USAGE, distill(), err());
        assertFalse(err().contains("--resume"), "an sft run cannot be resumed by distill: " + err());

        Files.writeString(out().resolve("config.json"), "{\"mode\": \"distill\"}");
        assertEquals(Main.EXIT_USAGE, distill(), err());
        assertTrue(err().contains("--resume " + out() + " to continue that run"), err());
    }

    @Test
    void studentTooLargeForArrayNamesOptions() {
        // a 40000000 × 64 feed-forward matrix has 2.56·10^9 floats, beyond the 2^31 − 1 elements of a Java array,
        // while the embedding allocated before it stays small
        assertRejected(distill("--student-dim", "64", "--student-hidden-dim", "40000000"), "student shape: ",
                "choose a smaller --student-dim or --student-hidden-dim");
    }

    @Test
    void unknownConfigKeyIsRejected() throws IOException {
        Path config = Files.writeString(dir.resolve("c.json"), "{\"batch_size\": 4}");
        assertRejected(distill("--config", config.toString()), "unknown key \"batch_size\"");
    }

    @Test
    void resumeWithoutRunIsRejected() {
        assertRejected(Main.execute("distill", "--resume", out().toString()), "config.json");
    }

    @Test
    void overwriteKeepsDirectoryThatIsNotARun() throws IOException {
        Files.createDirectories(out());
        Path notes = Files.writeString(out().resolve("notes.txt"), "keep me");
        assertEquals(Main.EXIT_USAGE, distill("--overwrite"), err());
        assertTrue(err().contains("is not a gkd4j run directory (it has no config.json)"), err());
        assertEquals("keep me", Files.readString(notes));
    }

    @Test
    void overwriteKeepsRunDirectoryHoldingAnInput() throws IOException {
        Files.createDirectories(out());
        Path config = Files.writeString(out().resolve("config.json"), "{}");
        Path data = Files.writeString(out().resolve("data.jsonl"),
                "{\"prompt\": \"a\", \"completion\": \"b\"}\n".repeat(40));
        assertEquals(Main.EXIT_USAGE, distill("--overwrite", "--data", data.toString()), err());
        assertTrue(err().contains("--overwrite would delete --data " + data), err());
        assertTrue(Files.isRegularFile(data));
        assertEquals("{}", Files.readString(config));
    }

    @Test
    void nonUtf8DataNamesLineAndByte() throws IOException {
        Path data = Files.write(dir.resolve("latin1.txt"), "Tom ran.\nIt was caf\u00e9 time.\n".getBytes(
                StandardCharsets.ISO_8859_1));
        assertRejected(distill("--data", data.toString()), "line 2", "byte 0xe9", "not valid UTF-8");
    }

    @Test
    void invalidPromptSplitNamesOption() {
        assertRejected(distill("--prompt-split", "words"), "--prompt-split 'words' is invalid");
    }

    @Test
    void outputDirUnderAFileIsRejected() throws IOException {
        Path file = Files.writeString(dir.resolve("notes.txt"), "keep me");
        Path under = file.resolve("run");
        assertEquals(Main.EXIT_USAGE, Main.execute("distill", "--output-dir", under.toString()), err());
        assertTrue(err().contains("--output-dir " + under + " cannot be created because " + file + " is a file"),
                err());
        assertEquals("keep me", Files.readString(file));
    }

    @Test
    void sftHelpHidesDistillOptions() {
        assertEquals(0, Main.execute("sft", "--help"));
        String help = outBytes.toString(StandardCharsets.UTF_8);
        for (String key : TrainCommand.DISTILL_ONLY) {
            assertFalse(help.contains("--" + key + "="), "sft --help lists --" + key + ": " + help);
            assertFalse(help.contains("--" + key + " "), "sft --help lists --" + key + ": " + help);
        }
        assertTrue(help.contains("--teacher=FILE"), help);
        assertTrue(help.contains("--lr=LR"), help);
    }

    @Test
    void ineffectiveRewardSettingsWarn() {
        Path missing = dir.resolve("missing.jsonl");
        assertRejected(distill("--reward", "keyword:dog", "--lambda", "0", "--data", missing.toString()),
                "warning: --reward has no effect with --lambda 0.0", "not found");
        errBytes.reset();
        assertRejected(distill("--reward-weight", "0.9", "--data", missing.toString()),
                "warning: --reward-weight 0.9 has no effect without --reward", "not found");
    }

    @Test
    void studentShapeWithStudentFileWarns() {
        Path missing = dir.resolve("missing.jsonl");
        Path student = dir.resolve("student.safetensors");
        assertRejected(distill("--student", student.toString(), "--student-dim", "64", "--student-layers", "2",
                "--data", missing.toString()), "warning: --student-dim 64, --student-layers 2 have no effect with"
                + " --student " + student + ", because the checkpoint sets the student's shape", "not found");
        errBytes.reset();
        assertRejected(distill("--student-dim", "64", "--data", missing.toString()), "not found");
        assertFalse(err().contains("warning"), err());
    }
}
