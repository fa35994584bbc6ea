package org.gkd4j.gkd.data;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DatasetLoaderTest {

    @TempDir
    Path dir;

    @Test
    void jsonlReadsPromptAndOptionalCompletion() {
        List<Example> examples = DatasetLoader.parseJsonl(
                "{\"prompt\": \"Once\", \"completion\": \" upon\"}\n\n{\"prompt\": \"Tom\"}\n", "d.jsonl");
        assertEquals(2, examples.size());
        assertEquals(new Example("Once", " upon"), examples.get(0));
        assertNull(examples.get(1).completion());
    }

    @Test
    void jsonlIgnoresUnrelatedExtraFields() {
        List<Example> examples = DatasetLoader.parseJsonl(
                "{\"id\": 7, \"source\": \"x\", \"prompt\": \"Once\", \"completion\": \" upon\"}\n", "d.jsonl");
        assertEquals(List.of(new Example("Once", " upon")), examples);
    }

    @Test
    void jsonlMisspelledFieldIsRejected() {
        // "completon" would otherwise drop the completion silently, and "Prompt" would report a missing prompt
        IllegalArgumentException typo = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.parseJsonl("{\"prompt\": \"a\"}\n{\"prompt\": \"a\", \"completon\": \"b\"}\n",
                        "d.jsonl"));
        assertTrue(typo.getMessage().contains("line 2"), typo.getMessage());
        assertTrue(typo.getMessage().contains("\"completon\""), typo.getMessage());
        assertTrue(typo.getMessage().contains("rename it to \"completion\""), typo.getMessage());

        IllegalArgumentException upper = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.parseJsonl("{\"Prompt\": \"a\"}\n", "d.jsonl"));
        assertTrue(upper.getMessage().contains("rename it to \"prompt\""), upper.getMessage());

        IllegalArgumentException both = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.parseJsonl("{\"prompt\": \"a\", \"PROMPT\": \"b\"}\n", "d.jsonl"));
        assertTrue(both.getMessage().contains("remove it, since the line already has \"prompt\""), both.getMessage());
    }

    @Test
    void jsonlDuplicateKeyAndTrailingTextAreRejected() {
        IllegalArgumentException duplicate = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.parseJsonl("{\"prompt\": \"a\", \"prompt\": \"b\"}\n", "d.jsonl"));
        assertTrue(duplicate.getMessage().contains("line 1"), duplicate.getMessage());
        assertTrue(duplicate.getMessage().contains("'prompt'"), duplicate.getMessage());

        for (String tail : new String[] {" xyz", " {\"prompt\": \"c\"}"}) {
            IllegalArgumentException trailing = assertThrows(IllegalArgumentException.class,
                    () -> DatasetLoader.parseJsonl("{\"prompt\": \"a\"}\n{\"prompt\": \"b\"}" + tail + "\n",
                            "d.jsonl"));
            assertTrue(trailing.getMessage().contains("line 2: invalid JSON"), trailing.getMessage());
        }
    }

    @Test
    void jsonlMissingPromptNamesLineAndField() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.parseJsonl("{\"prompt\": \"a\"}\n{\"completion\": \"b\"}\n", "d.jsonl"));
        assertTrue(error.getMessage().contains("line 2"), error.getMessage());
        assertTrue(error.getMessage().contains("\"prompt\""), error.getMessage());
    }

    @Test
    void jsonlNonStringCompletionNamesLineAndField() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.parseJsonl("\n\n{\"prompt\": \"a\", \"completion\": 3}\n", "d.jsonl"));
        assertTrue(error.getMessage().contains("line 3"), error.getMessage());
        assertTrue(error.getMessage().contains("\"completion\""), error.getMessage());
    }

    @Test
    void jsonlInvalidJsonNamesLine() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.parseJsonl("{\"prompt\": \"a\"}\n{\"prompt\": \n", "d.jsonl"));
        assertTrue(error.getMessage().contains("line 2"), error.getMessage());
    }

    @Test
    void plainTextSplitsStoriesAfterFirstSentence() {
        List<Example> examples = DatasetLoader.parsePlainText(
                "Tom ran. He was \"fast!\" Then he sat.\n\nSue said \"Hi!\" and left. Bye.\n\nNo end here\n",
                PromptSplit.SENTENCE, null);
        assertEquals(2, examples.size());
        assertEquals(new Example("Tom ran.", " He was \"fast!\" Then he sat."), examples.get(0));
        assertEquals(new Example("Sue said \"Hi!\"", " and left. Bye."), examples.get(1));
    }

    @Test
    void plainTextSplitsAfterFirstTokens() {
        TextCodec words = new TextCodec() {
            @Override
            public int[] encode(String text) {
                return Arrays.stream(text.split(" ")).mapToInt(String::length).toArray();
            }

            @Override
            public String decode(int[] ids) {
                return Arrays.toString(ids);
            }
        };
        List<Example> examples = DatasetLoader.parsePlainText("a bb ccc dddd\n\nx y", new PromptSplit(2), words);
        assertEquals(List.of(new Example("[1, 2]", "[3, 4]")), examples);
    }

    @Test
    void missingFileIsReportedByPath() {
        Path missing = dir.resolve("nope.jsonl");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.load(missing, PromptSplit.SENTENCE, null));
        assertTrue(error.getMessage().contains(missing.toString()), error.getMessage());
    }

    @Test
    void fileStartingWithBraceIsReadAsJsonl() throws IOException {
        Path file = Files.writeString(dir.resolve("data.txt"), "{\"prompt\": \"p\", \"completion\": \"c\"}\n");
        assertEquals(List.of(new Example("p", "c")), DatasetLoader.load(file, PromptSplit.SENTENCE, null));
    }

    @Test
    void shippedTinyStoriesLoads() throws IOException {
        List<Example> examples = DatasetLoader.loadTinyStories(PromptSplit.SENTENCE, null);
        assertTrue(examples.size() > 500, "stories: " + examples.size());
        assertTrue(examples.stream().allMatch(Example::hasCompletion));
    }

    @Test
    void promptSplitParsesBothForms() {
        assertEquals(PromptSplit.SENTENCE, PromptSplit.parse("sentence"));
        assertEquals(new PromptSplit(12), PromptSplit.parse("tokens:12"));
        assertThrows(IllegalArgumentException.class, () -> PromptSplit.parse("tokens:0"));
        assertThrows(IllegalArgumentException.class, () -> PromptSplit.parse("words"));
    }

    @Test
    void invalidUtf8NamesLineAndByte() throws IOException {
        // "ok\n" then "a" and 0xFF, a byte that never occurs in UTF-8: line 2, offset 4
        Path file = Files.write(dir.resolve("latin1.txt"), new byte[] {'o', 'k', '\n', 'a', (byte) 0xff, '.', '\n'});
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.load(file, PromptSplit.SENTENCE, null));
        assertEquals("data file " + file + " line 2: byte 0xff at offset 4 is not valid UTF-8; save the file as UTF-8",
                error.getMessage());
    }

    @Test
    void invalidPromptSplitNamesOption() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> PromptSplit.parse("words"));
        assertTrue(error.getMessage().startsWith("--prompt-split 'words' is invalid"), error.getMessage());
        IllegalArgumentException missing = assertThrows(IllegalArgumentException.class,
                () -> PromptSplit.parse(null));
        assertTrue(missing.getMessage().startsWith("--prompt-split is missing"), missing.getMessage());
    }

    @Test
    void byteOrderMarkIsDropped() throws IOException {
        byte[] bom = {(byte) 0xef, (byte) 0xbb, (byte) 0xbf};
        byte[] line = "{\"prompt\": \"Once\", \"completion\": \" upon\"}\n".getBytes(StandardCharsets.UTF_8);
        byte[] bytes = java.util.Arrays.copyOf(bom, bom.length + line.length);
        System.arraycopy(line, 0, bytes, bom.length, line.length);
        Path file = Files.write(dir.resolve("bom.jsonl"), bytes);
        assertEquals(List.of(new Example("Once", " upon")), DatasetLoader.load(file, PromptSplit.SENTENCE, null));
    }

    @Test
    void plainTextWithoutContinuationNamesTheSplit() throws IOException {
        Path file = Files.writeString(dir.resolve("short.txt"), "One sentence only\n\nAnother one.\n");
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class,
                () -> DatasetLoader.load(file, PromptSplit.SENTENCE, null));
        assertTrue(error.getMessage().startsWith("data file " + file + " contains no examples: no document splits"
                + " into a prompt and a continuation with --prompt-split sentence"), error.getMessage());
    }
}
