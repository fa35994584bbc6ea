package org.gkd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class GenerateCommandTest {

    /** stories260K's greedy continuation from BOS, from llama2.c's doc/stories260K.md. */
    static final String GREEDY_START = "Once upon a time, there was a little girl named Lily.";

    @TempDir
    Path folder;

    record Result(int exitCode, String out, String err) {
    }

    static Result run(String... args) {
        PrintStream oldOut = System.out;
        PrintStream oldErr = System.err;
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        ByteArrayOutputStream err = new ByteArrayOutputStream();
        try {
            System.setOut(new PrintStream(out, true, StandardCharsets.UTF_8));
            System.setErr(new PrintStream(err, true, StandardCharsets.UTF_8));
            int code = Main.execute(args);
            return new Result(code, out.toString(StandardCharsets.UTF_8), err.toString(StandardCharsets.UTF_8));
        } finally {
            System.setOut(oldOut);
            System.setErr(oldErr);
        }
    }

    @Test
    void greedyFromBosPrintsGoldenStory() {
        Result result = run("generate", "--temperature", "0", "--max-new-tokens", "20");
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.out().startsWith(GREEDY_START), result.out());
    }

    @Test
    void jsonlOutputHasTokensAndLogprobs() throws IOException {
        Path prompts = folder.resolve("prompts.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"Once upon a time\"}\n\n{\"prompt\": \"\"}\n");
        Result result = run("generate", "--prompts", prompts.toString(), "--format", "jsonl", "--max-new-tokens", "8",
                "--seed", "3", "--top-k", "20");
        assertEquals(0, result.exitCode(), result.err());
        String[] lines = result.out().strip().split("\n");
        assertEquals(2, lines.length, result.out());
        JsonNode first = new ObjectMapper().readTree(lines[0]);
        assertEquals("Once upon a time", first.get("prompt").asText());
        assertEquals(8, first.get("token_ids").size());
        assertEquals(8, first.get("logprobs").size());
        for (JsonNode logprob : first.get("logprobs")) {
            assertTrue(logprob.asDouble() <= 0, lines[0]);
        }
        assertTrue(first.get("completion").isTextual());
    }

    @Test
    void sameSeedGivesSameText() {
        Result first = run("generate", "--prompt", "The dog", "--seed", "7", "--max-new-tokens", "30");
        Result second = run("generate", "--prompt", "The dog", "--seed", "7", "--max-new-tokens", "30");
        assertEquals(0, first.exitCode(), first.err());
        assertEquals(first.out(), second.out());
        assertTrue(first.out().startsWith("The dog"), first.out());
    }

    @Test
    void maxNewTokensBeyondContextIsRejected() {
        Result result = run("generate", "--max-new-tokens", "5000");
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        assertTrue(result.err().contains("--max-new-tokens is 5000"), result.err());
        assertTrue(result.err().contains("context length is 512"), result.err());
    }

    @Test
    void samplingErrorsNameTheOptions() {
        Result result = run("generate", "--top-p", "2");
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        assertTrue(result.err().contains("--top-p 2"), result.err());
        assertTrue(!result.err().contains("topP"), result.err());
    }

    @Test
    void missingPromptsFileSaysNotFound() {
        Result result = run("generate", "--prompts", folder.resolve("nope.jsonl").toString());
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        assertTrue(result.err().contains("nope.jsonl not found"), result.err());
    }

    @Test
    void noSubcommandIsUsageError() {
        Result result = run();
        assertEquals(Main.EXIT_USAGE, result.exitCode());
        assertTrue(result.err().contains("distill"), result.err());
    }

    @Test
    void missingModelFileIsUsageError() {
        Result result = run("generate", "--model", folder.resolve("absent.bin").toString());
        assertEquals(Main.EXIT_USAGE, result.exitCode());
        assertTrue(result.err().contains("absent.bin"), result.err());
    }

    @Test
    void malformedPromptLineNamesLineAndField() throws IOException {
        Path prompts = folder.resolve("bad.jsonl");
        Files.writeString(prompts, "{\"prompt\": \"ok\"}\n{\"text\": \"no prompt\"}\n");
        Result result = run("generate", "--prompts", prompts.toString());
        assertEquals(Main.EXIT_USAGE, result.exitCode());
        assertTrue(result.err().contains("line 2"), result.err());
        assertTrue(result.err().contains("\"prompt\""), result.err());
    }

    @Test
    void badTopPIsUsageError() {
        Result result = run("generate", "--top-p", "1.5");
        assertEquals(Main.EXIT_USAGE, result.exitCode());
        assertTrue(result.err().contains("--top-p 1.5"), result.err());
    }

    @Test
    void unknownFormatIsUsageError() {
        Result result = run("generate", "--format", "xml");
        assertEquals(Main.EXIT_USAGE, result.exitCode());
        assertTrue(result.err().contains("xml"), result.err());
    }

    @Test
    void nonUtf8PromptsNameLineAndByte() throws IOException {
        Path prompts = Files.write(folder.resolve("latin1.jsonl"),
                "{\"prompt\": \"ok\"}\n{\"prompt\": \"caf\u00e9\"}\n".getBytes(StandardCharsets.ISO_8859_1));
        Result result = run("generate", "--prompts", prompts.toString());
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        // "{"prompt": "ok"}\n" is 17 bytes, and 0xE9 follows the 15 bytes {"prompt": "caf on line 2
        assertTrue(result.err().contains("--prompts " + prompts + " line 2: byte 0xe9 at offset 32 is not valid UTF-8"),
                result.err());
    }

    @Test
    void promptFillingTheContextIsRejected() {
        // 600 repetitions of "a " encode to at least 512 tokens, the context length of stories260K
        Result result = run("generate", "--prompt", "a ".repeat(600), "--max-new-tokens", "4");
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        assertTrue(result.err().startsWith("gkd4j generate: prompt 1 has "), result.err());
        assertTrue(result.err().contains("but the model's context length is 512, which leaves no room for new tokens"),
                result.err());
    }
}
