package org.gkd4j.model.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.function.Consumer;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Malformed tokenizer files must fail with an error that names the file, the field and the bad value. */
class TokenizerFileErrorsTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    private static byte[] tok512() throws IOException {
        try (InputStream in = Tokenizers.class.getResourceAsStream(Tokenizers.STORIES_260K_RESOURCE)) {
            return in.readAllBytes();
        }
    }

    private static IllegalArgumentException bin(byte[] file, int vocabSize) {
        return assertThrows(IllegalArgumentException.class, () -> Llama2cTokenizer.parse(file, vocabSize, "tok.bin"));
    }

    private static void assertMessage(IllegalArgumentException e, String... parts) {
        for (String part : parts) {
            assertTrue(e.getMessage().contains(part), () -> "message \"" + e.getMessage() + "\" lacks \"" + part + "\"");
        }
    }

    // ----------------------------------------------------------------------------------------------------------
    // llama2.c tokenizer.bin

    @Test
    void truncatedBinNeverLoadsWithExpectedVocab() throws IOException {
        byte[] file = tok512();
        for (int length = 0; length < file.length; length++) {
            byte[] cut = Arrays.copyOf(file, length);
            IllegalArgumentException e = bin(cut, 512);
            assertTrue(e.getMessage().startsWith("tok.bin: "), e.getMessage());
        }
    }

    @Test
    void truncatedBinInsideTokenNamesToken() throws IOException {
        byte[] file = tok512();
        // header 4 bytes, token 0 "<unk>" takes 8 + 5 bytes, so byte 20 lies in token 1's piece
        assertMessage(bin(Arrays.copyOf(file, 20), -1), "token 1", "truncated");
        assertMessage(bin(Arrays.copyOf(file, 2), -1), "2 bytes", "max_token_length");
        assertMessage(bin(Arrays.copyOf(file, 10), -1), "token 0", "header");
    }

    @Test
    void truncatedBinAtTokenBoundaryFailsOnCount() throws IOException {
        byte[] file = tok512();
        // without an expected count, a cut after 100 tokens leaves fewer than the 259 a llama2.c tokenizer needs
        int offset = 4;
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 100; i++) {
            offset += 8 + in.getInt(offset + 4);
        }
        assertMessage(bin(Arrays.copyOf(file, offset), -1), "100 tokens", "259");
        // with the model's vocabulary size the cut is found wherever it is
        assertMessage(bin(Arrays.copyOf(file, file.length - 9), 512), "token 511", "expected 512");
    }

    @Test
    void binWithTrailingBytesRejected() throws IOException {
        byte[] file = Arrays.copyOf(tok512(), 6227 + 3);
        assertMessage(bin(file, 512), "3 bytes follow");
    }

    @Test
    void binWithBadLengthNamesToken() throws IOException {
        byte[] file = tok512();
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putInt(4 + 4, -5);
        assertMessage(bin(file, 512), "token 0", "length -5");
        byte[] big = tok512();
        ByteBuffer.wrap(big).order(ByteOrder.LITTLE_ENDIAN).putInt(4 + 4, 100);
        assertMessage(bin(big, 512), "token 0", "length 100", "max_token_length is 7");
        byte[] header = tok512();
        ByteBuffer.wrap(header).order(ByteOrder.LITTLE_ENDIAN).putInt(0, 0);
        assertMessage(bin(header, 512), "max_token_length is 0");
    }

    @Test
    void binWithMisplacedBytePieceRejected() throws IOException {
        byte[] file = tok512();
        // token 3 is "<0x00>" at offset 4 + (8+5) + (8+5) + (8+6) + 8; make it "<0x01>"
        int offset = 4 + 13 + 13 + 14 + 8;
        assertEquals('0', file[offset + 4]);
        file[offset + 4] = '1';
        assertMessage(bin(file, 512), "token 3", "<0x00>");
    }

    @Test
    void binWithNanScoreRejected() throws IOException {
        byte[] file = tok512();
        ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN).putFloat(4, Float.NaN);
        assertMessage(bin(file, 512), "token 0", "NaN");
    }

    @Test
    void loadOfTruncatedFileFails(@TempDir Path dir) throws IOException {
        Path path = dir.resolve("tokenizer.bin");
        Files.write(path, Arrays.copyOf(tok512(), 3000));
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> Tokenizers.load(path));
        assertMessage(e, path.toString(), "truncated");
        assertThrows(IllegalArgumentException.class, () -> Tokenizers.load(dir.resolve("missing.bin")));
    }

    @Test
    void loadWithModelVocabChecksCount(@TempDir Path dir) throws IOException {
        byte[] file = tok512();
        // cut after token 300, a token boundary: load(path) cannot tell, load(path, 512) can
        int offset = 4;
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);
        for (int i = 0; i < 300; i++) {
            offset += 8 + in.getInt(offset + 4);
        }
        Path path = dir.resolve("tokenizer.bin");
        Files.write(path, Arrays.copyOf(file, offset));
        assertEquals(300, Tokenizers.load(path).vocabSize());
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Tokenizers.load(path, 512)),
                "token 300", "expected 512");
        Path json = dir.resolve("tokenizer.json");
        Files.writeString(json, ByteLevelBpeTokenizerTest.resource("tiny_gpt2_tokenizer.json"));
        assertEquals(291, Tokenizers.load(json, 320).vocabSize());
        assertMessage(assertThrows(IllegalArgumentException.class, () -> Tokenizers.load(json, 200)),
                "291 ids", "200 logits");
    }

    // ----------------------------------------------------------------------------------------------------------
    // tokenizer.json

    private static IllegalArgumentException json(String text) {
        return assertThrows(IllegalArgumentException.class, () -> ByteLevelBpeTokenizer.parse(text, "tok.json"));
    }

    private static IllegalArgumentException edited(Consumer<ObjectNode> edit) throws IOException {
        ObjectNode root = (ObjectNode) MAPPER.readTree(ByteLevelBpeTokenizerTest.resource("tiny_gpt2_tokenizer.json"));
        edit.accept(root);
        return json(MAPPER.writeValueAsString(root));
    }

    @Test
    void badJsonNamesPosition() {
        assertMessage(json("{\"model\": {\"vocab\": {\"a\": 0,}}"), "tok.json", "invalid JSON", "line 1");
        assertMessage(json("[1, 2]"), "must be an object");
        assertMessage(json("{}"), "model is missing");
        assertMessage(json("{\"model\": {\"type\": \"BPE\", \"vocab\": {}}}"), "model.vocab is empty");
    }

    @Test
    void mergeWithUnknownTokenNamesMerge() throws IOException {
        assertMessage(edited(root -> ((ArrayNode) root.get("model").get("merges")).add("Ġ zz")),
                "model.merges[34]", "\"zz\"", "not in model.vocab");
        // both halves exist but "Ġq" does not
        assertMessage(edited(root -> ((ArrayNode) root.get("model").get("merges")).add("Ġ q")),
                "model.merges[34] (merged token)", "\"Ġq\"");
        assertMessage(edited(root -> ((ArrayNode) root.get("model").get("merges")).insert(0, "a b c")),
                "model.merges[0]", "two tokens");
        assertMessage(edited(root -> ((ArrayNode) root.get("model").get("merges")).insert(0, 5)),
                "model.merges[0]", "\"a b\"");
    }

    @Test
    void vocabErrorsNameEntry() throws IOException {
        assertMessage(edited(root -> ((ObjectNode) root.get("model").get("vocab")).put("zz", -3)),
                "model.vocab[\"zz\"]", "-3");
        assertMessage(edited(root -> ((ObjectNode) root.get("model").get("vocab")).put("zz", 5)),
                "id 5");
        assertMessage(edited(root -> ((ObjectNode) root.get("model").get("vocab")).remove("!")),
                "lacks \"!\"", "0x21");
    }

    @Test
    void unsupportedPartsRejected() throws IOException {
        assertMessage(edited(root -> ((ObjectNode) root.get("model")).put("type", "WordPiece")),
                "model.type is WordPiece");
        assertMessage(edited(root -> ((ObjectNode) root.get("model")).put("byte_fallback", true)),
                "byte_fallback");
        assertMessage(edited(root -> ((ObjectNode) root.get("pre_tokenizer")).put("type", "Metaspace")),
                "pre_tokenizer.type is \"Metaspace\"");
        assertMessage(edited(root -> root.set("normalizer", MAPPER.createObjectNode().put("type", "Lowercase"))),
                "normalizer.type is \"Lowercase\"");
        assertMessage(edited(root -> root.set("pre_tokenizer", MAPPER.createObjectNode().put("type", "Split")
                        .put("behavior", "Isolated").set("pattern", MAPPER.createObjectNode().put("Regex", "\\s+")))),
                "not ByteLevel");
    }

    @Test
    void invalidRegexNamesPattern() throws IOException {
        IllegalArgumentException e = edited(root -> {
            ObjectNode split = MAPPER.createObjectNode().put("type", "Split").put("behavior", "Isolated");
            split.set("pattern", MAPPER.createObjectNode().put("Regex", "(unclosed"));
            ObjectNode sequence = MAPPER.createObjectNode().put("type", "Sequence");
            sequence.putArray("pretokenizers").add(split).add(root.get("pre_tokenizer"));
            root.set("pre_tokenizer", sequence);
        });
        assertMessage(e, "pre_tokenizer.pretokenizers[0].pattern", "(unclosed", "java.util.regex");
    }

    @Test
    void configWithUnknownControlTokenRejected(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), ByteLevelBpeTokenizerTest.resource("tiny_gpt2_tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"), "{\"eos_token\": \"<|im_end|>\"}");
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Tokenizers.load(dir.resolve("tokenizer.json")));
        assertMessage(e, "eos_token", "<|im_end|>");
    }
}
