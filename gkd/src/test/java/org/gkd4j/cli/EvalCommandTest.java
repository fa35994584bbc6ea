package org.gkd4j.cli;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import org.gkd4j.cli.GenerateCommandTest.Result;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EvalCommandTest {

    @TempDir
    Path folder;

    @Test
    void missingDataFileSaysNotFound() {
        Result result = GenerateCommandTest.run("eval", "--data", "nope.txt");
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        assertTrue(result.err().contains("--data nope.txt not found"), result.err());
    }

    @Test
    void textFileReportsPerplexity() throws IOException {
        Path data = folder.resolve("stories.txt");
        Files.writeString(data, "Once upon a time, there was a little girl named Lily.\n\nThe cat sat on the mat.\n");
        Result result = GenerateCommandTest.run("eval", "--data", data.toString());
        assertEquals(0, result.exitCode(), result.err());
        assertTrue(result.out().startsWith("documents 2, tokens "), result.out());
        assertTrue(result.out().contains("perplexity"), result.out());
    }

    @Test
    void jsonlPerplexityIsExpOfMeanNll() throws IOException {
        Path data = folder.resolve("stories.jsonl");
        Files.writeString(data, "{\"text\": \"Once upon a time, there was a little girl named Lily.\"}\n"
                + "{\"text\": \"Tom had a red ball.\"}\n");
        Result result = GenerateCommandTest.run("eval", "--data", data.toString(), "--format", "jsonl");
        assertEquals(0, result.exitCode(), result.err());
        String[] lines = result.out().strip().split("\n");
        assertEquals(3, lines.length, result.out());

        // the summary's mean NLL is the token-weighted mean of the per-document logprobs
        ObjectMapper json = new ObjectMapper();
        double nll = 0;
        long tokens = 0;
        for (int i = 0; i < 2; i++) {
            JsonNode document = json.readTree(lines[i]);
            assertEquals(document.get("token_ids").size() - 1, document.get("logprobs").size());
            for (JsonNode logprob : document.get("logprobs")) {
                assertTrue(logprob.asDouble() <= 0);
                nll -= logprob.asDouble();
                tokens++;
            }
        }
        JsonNode summary = json.readTree(lines[2]);
        assertEquals(tokens, summary.get("tokens").asLong());
        assertEquals(nll / tokens, summary.get("mean_nll").asDouble(), 1e-4);
        assertEquals(Math.exp(nll / tokens), summary.get("perplexity").asDouble(), 1e-3);
    }

    @Test
    void teacherTextScoresBetterThanShuffledText() throws IOException {
        Path story = folder.resolve("story.txt");
        Files.writeString(story, "Once upon a time, there was a little girl named Lily. She loved to play outside.\n");
        Path shuffled = folder.resolve("shuffled.txt");
        Files.writeString(shuffled, "outside play time Lily loved upon girl. there She a to little named was Once, a.\n");
        Result good = GenerateCommandTest.run("eval", "--data", story.toString(), "--format", "jsonl");
        Result bad = GenerateCommandTest.run("eval", "--data", shuffled.toString(), "--format", "jsonl");
        ObjectMapper json = new ObjectMapper();
        double goodNll = json.readTree(good.out().strip().split("\n")[1]).get("mean_nll").asDouble();
        double badNll = json.readTree(bad.out().strip().split("\n")[1]).get("mean_nll").asDouble();
        assertTrue(goodNll < badNll, "story " + goodNll + " vs shuffled " + badNll);
    }

    @Test
    void malformedJsonlNamesLineAndField() throws IOException {
        Path data = folder.resolve("bad.jsonl");
        Files.writeString(data, "{\"text\": \"fine\"}\n{\"text\": 3}\n");
        Result result = GenerateCommandTest.run("eval", "--data", data.toString());
        assertEquals(Main.EXIT_USAGE, result.exitCode());
        assertTrue(result.err().contains("line 2"), result.err());
        assertTrue(result.err().contains("\"text\""), result.err());
    }

    @Test
    void invalidJsonIsUsageError() throws IOException {
        Path data = folder.resolve("broken.jsonl");
        Files.writeString(data, "{\"text\": \"fine\"}\n\n{text: oops\n");
        Result result = GenerateCommandTest.run("eval", "--data", data.toString());
        assertEquals(Main.EXIT_USAGE, result.exitCode());
        assertTrue(result.err().contains("line 3"), result.err());
    }

    @Test
    void missingDataFileIsUsageError() {
        Result result = GenerateCommandTest.run("eval", "--data", folder.resolve("none.txt").toString());
        assertEquals(Main.EXIT_USAGE, result.exitCode());
        assertTrue(result.err().contains("none.txt"), result.err());
    }

    @Test
    void missingDataOptionIsUsageError() {
        Result result = GenerateCommandTest.run("eval");
        assertEquals(Main.EXIT_USAGE, result.exitCode());
        assertTrue(result.err().contains("--data"), result.err());
    }

    @Test
    void nonUtf8DataNamesLineAndByte() throws IOException {
        Path data = Files.write(folder.resolve("latin1.txt"),
                "Tom ran.\nIt was caf\u00e9 time.\n".getBytes(java.nio.charset.StandardCharsets.ISO_8859_1));
        Result result = GenerateCommandTest.run("eval", "--data", data.toString());
        assertEquals(Main.EXIT_USAGE, result.exitCode(), result.err());
        // "Tom ran.\n" is 9 bytes, and 0xE9 follows the 10 bytes "It was caf" on line 2
        assertTrue(result.err().contains("--data " + data + " line 2: byte 0xe9 at offset 19 is not valid UTF-8"),
                result.err());
    }
}
