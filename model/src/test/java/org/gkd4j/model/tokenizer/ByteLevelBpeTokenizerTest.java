package org.gkd4j.model.tokenizer;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;

/**
 * Byte-level BPE on two hand-written tokenizer.json files with the same vocabulary. Ids 0..255 are GPT-2's byte
 * alphabet in GPT-2's order, so 'a' is 64, 'Ġ' (space) 220 and 'Ċ' (newline) 198, as in GPT-2. Ids 256..289 are
 * the merges in rank order (rank r gives id 256 + r), and id 290 is the special token "&lt;|endoftext|&gt;".
 * tiny_gpt2 pre-tokenizes with ByteLevel's GPT-2 regex; tiny_llama3 with Llama 3's Split regex, ignore_merges and
 * a BOS "&lt;|begin_of_text|&gt;" (291, added token only) from its TemplateProcessing.
 */
class ByteLevelBpeTokenizerTest {

    static String resource(String name) {
        try (InputStream in = ByteLevelBpeTokenizerTest.class.getResourceAsStream("/tokenizer/" + name)) {
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static final ByteLevelBpeTokenizer GPT2 =
            ByteLevelBpeTokenizer.parse(resource("tiny_gpt2_tokenizer.json"), "tiny_gpt2_tokenizer.json");
    private static final ByteLevelBpeTokenizer LLAMA3 =
            ByteLevelBpeTokenizer.parse(resource("tiny_llama3_tokenizer.json"), "tiny_llama3_tokenizer.json");

    private static int[] ids(int... ids) {
        return ids;
    }

    // ----------------------------------------------------------------------------------------------------------
    // ids worked out by hand

    @Test
    void encodeHelloWorldByMergeRank() {
        // "Hello": l l (rank 6) -> e ll (7) -> H ell (8) -> Hell o (9) = 265
        // " world": o r (10) -> Ġ w (11) -> Ġw or (12) -> l d (13) -> Ġwor ld (14) = 270
        assertArrayEquals(ids(265, 270), GPT2.encode("Hello world", false, false));
        assertArrayEquals(ids(265, 270), LLAMA3.encode("Hello world", false, false));
    }

    @Test
    void encodeContractionSplitsApostrophe() {
        // "the" "cat" "'s" " hat": t + (h e = 257); Ġ c (4), a t (3), Ġc at (5) = 261; ' s (15) = 271;
        // Ġ h (26), Ġh at (27) = 283; "the" has no "t he" merge, only "Ġt he"
        assertArrayEquals(ids(83, 257, 261, 271, 283), GPT2.encode("the cat's hat", false, false));
        // "I" " don" "'t": Ġ d (23), o n (24), Ġd on (25) = 281; ' t (16) = 272
        assertArrayEquals(ids(40, 281, 272), GPT2.encode("I don't", false, false));
    }

    @Test
    void encodeUpperCaseContractionDependsOnPattern() {
        // GPT-2's regex matches only lower-case 's, so "'" and "S" are pieces of their own: 6 and 50;
        // Llama 3's (?i:'s) keeps "'S" together and the merge ' S (rank 33) gives 289
        assertArrayEquals(ids(51, 39, 36, 220, 34, 32, 51, 6, 50), GPT2.encode("THE CAT'S", false, false));
        assertArrayEquals(ids(51, 39, 36, 220, 34, 32, 51, 289), LLAMA3.encode("THE CAT'S", false, false));
    }

    @Test
    void encodeNumbersSplitByPattern() {
        // GPT-2 keeps "6734" whole, so 3 4 (rank 32) merges to 288; Llama 3 splits \p{N}{1,3} into "673" "4"
        assertArrayEquals(ids(21, 22, 288), GPT2.encode("6734", false, false));
        assertArrayEquals(ids(21, 22, 18, 19), LLAMA3.encode("6734", false, false));
        // "12345": 1 2 (17), 12 3 (18) = 274 in both; Llama 3's cut "123" "45" happens to agree
        assertArrayEquals(ids(274, 19, 20), GPT2.encode("12345", false, false));
        assertArrayEquals(ids(274, 19, 20), LLAMA3.encode("12345", false, false));
    }

    @Test
    void encodeNewlineRunDependsOnPattern() {
        // GPT-2's \s+(?!\S) leaves "\n" "\n" apart; Llama 3's \s*[\r\n]+ keeps "\n\n" so Ċ Ċ (28) = 284
        assertArrayEquals(ids(64, 198, 198, 65), GPT2.encode("a\n\nb", false, false));
        assertArrayEquals(ids(64, 284, 65), LLAMA3.encode("a\n\nb", false, false));
    }

    @Test
    void encodeEmojiAndCjkBytes() {
        // U+1F642 = F0 9F 99 82 -> ð Ł Ļ Ĥ; ð Ł (22) = 278, Ļ = 247, Ĥ = 224
        assertArrayEquals(ids(278, 247, 224), GPT2.encode("\uD83D\uDE42", false, false));
        // U+4E2D = E4 B8 AD -> ä ¸ Ń; ä ¸ (20), ä¸ Ń (21) = 277
        assertArrayEquals(ids(277), GPT2.encode("\u4E2D", false, false));
    }

    @Test
    void encodeLoneSurrogateAsReplacementChar() {
        // U+FFFD = EF BF BD -> ï ¿ ½ = 171 123 121
        assertArrayEquals(ids(171, 123, 121), GPT2.encode("\uD800", false, false));
        assertArrayEquals(ids(64, 171, 123, 121, 65), GPT2.encode("a\uDFFFb", false, false));
        assertEquals("\uFFFD", GPT2.decode(GPT2.encode("\uDBFF", false, false)));
    }

    @Test
    void specialTokenMatchedBeforePreTokenization() {
        assertArrayEquals(ids(290, 265, 290), GPT2.encode("<|endoftext|>Hello<|endoftext|>", false, false));
        assertArrayEquals(ids(265, 291, 270), LLAMA3.encode("Hello<|begin_of_text|> world", false, false));
        // a prefix of a special token is plain text: < | e n d o f t e x t
        assertArrayEquals(ids(27, 91, 68, 77, 67, 78, 69, 83, 68, 87, 83), GPT2.encode("<|endoftext", false, false));
    }

    // ----------------------------------------------------------------------------------------------------------
    // a wider table, confirmed with Hugging Face tokenizers 0.23.2 (Tokenizer.fromFile + encode without special
    // tokens) on the same two files

    private static final Object[][] CASES = {
            {"Hello world", ids(265, 270), ids(265, 270)},
            {"the cat's hat", ids(83, 257, 261, 271, 283), ids(83, 257, 261, 271, 283)},
            {"I don't", ids(40, 281, 272), ids(40, 281, 272)},
            {"12345", ids(274, 19, 20), ids(274, 19, 20)},
            {"1234567", ids(274, 19, 20, 21, 22), ids(274, 19, 20, 21, 22)},
            {"6734", ids(21, 22, 288), ids(21, 22, 18, 19)},
            {"  spaces   here  ", ids(220, 220, 82, 79, 64, 66, 68, 82, 275, 220, 257, 81, 68, 275), ids(220, 220, 82, 79, 64, 66, 68, 82, 275, 220, 257, 81, 68, 275)},
            {"\u4E2D\u6587", ids(277, 162, 244, 229), ids(277, 162, 244, 229)},
            {"\u4E2D", ids(277), ids(277)},
            {"\uD83D\uDE42", ids(278, 247, 224), ids(278, 247, 224)},
            {"\uD83D\uDC4D \uD83D\uDC4D", ids(287, 235, 220, 287, 235), ids(287, 235, 220, 287, 235)},
            {"\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67", ids(287, 101, 286, 287, 102, 286, 287, 100), ids(287, 101, 286, 287, 102, 286, 287, 100)},
            {"e\u0301", ids(68, 136, 223), ids(68, 136, 223)},
            {"\u00E9", ids(127, 102), ids(127, 102)},
            {"a\n\nb", ids(64, 198, 198, 65), ids(64, 284, 65)},
            {"tab\there", ids(83, 64, 65, 197, 257, 81, 68), ids(83, 64, 65, 197, 257, 81, 68)},
            {"x\u00A0y", ids(87, 126, 254, 88), ids(87, 126, 254, 88)},
            {"x\u3000y", ids(87, 159, 222, 222, 88), ids(87, 159, 222, 222, 88)},
            {"<|endoftext|>Hello<|endoftext|>", ids(290, 265, 290), ids(290, 265, 290)},
            {"Hello<|begin_of_text|> world", ids(265, 27, 91, 65, 68, 70, 72, 77, 62, 78, 69, 62, 83, 68, 87, 83, 91, 29, 270), ids(265, 291, 270)},
            {"THE CAT'S", ids(51, 39, 36, 220, 34, 32, 51, 6, 50), ids(51, 39, 36, 220, 34, 32, 51, 289)},
            {"they'RE", ids(83, 257, 88, 6, 49, 36), ids(83, 257, 88, 6, 49, 36)},
            {"  ", ids(275), ids(275)},
            {" ", ids(220), ids(220)},
            {"\n", ids(198), ids(198)},
            {"", ids(), ids()},
            {"a  b", ids(64, 220, 220, 65), ids(64, 220, 220, 65)},
            {"hat!!! ok?", ids(71, 259, 0, 0, 0, 220, 78, 74, 30), ids(71, 259, 0, 0, 0, 220, 78, 74, 30)},
            {"\r\n\r\n", ids(201, 198, 201, 198), ids(201, 198, 201, 198)},
            {"x \n y", ids(87, 220, 198, 220, 88), ids(87, 220, 198, 220, 88)},
            {"$12.50", ids(3, 273, 13, 20, 15), ids(3, 273, 13, 20, 15)},
            {"\u0663\u0664\u0665", ids(149, 96, 149, 97, 149, 98), ids(149, 96, 149, 97, 149, 98)},
            {"\uFB01", ids(171, 105, 223), ids(171, 105, 223)},
            {"\uD835\uDD18\uD835\uDD2B\uD835\uDD26", ids(172, 251, 242, 246, 172, 251, 242, 104, 172, 251, 242, 99), ids(172, 251, 242, 246, 172, 251, 242, 104, 172, 251, 242, 99)},
            {"don't stop", ids(67, 280, 272, 220, 82, 83, 78, 79), ids(67, 280, 272, 220, 82, 83, 78, 79)},
            {"the\u2028line", ids(83, 257, 285, 101, 75, 72, 77, 68), ids(83, 257, 285, 101, 75, 72, 77, 68)},
            {"<|endoftext|><|endoftext|>", ids(290, 290), ids(290, 290)},
            {"<|endoftext", ids(27, 91, 68, 77, 67, 78, 69, 83, 68, 87, 83), ids(27, 91, 68, 77, 67, 78, 69, 83, 68, 87, 83)},
            {"the  cat  ", ids(83, 257, 220, 261, 275), ids(83, 257, 220, 261, 275)},
            {"\uFFFD", ids(171, 123, 121), ids(171, 123, 121)},    };

    @Test
    void encodeMatchesHuggingFaceTable() {
        for (Object[] row : CASES) {
            String text = (String) row[0];
            assertArrayEquals((int[]) row[1], GPT2.encode(text, false, false), () -> "tiny_gpt2 encode of " + text);
            assertArrayEquals((int[]) row[2], LLAMA3.encode(text, false, false), () -> "tiny_llama3 encode of " + text);
        }
    }

    @Test
    void roundTripManyStrings() {
        String[] extra = {"mixed \u4E2D\u6587 text \uD83D\uDE00!", "\t\t  \n \r\n", "e\u0301e\u0301\u0301",
                "\uD83D\uDC4D\uD83C\uDFFD skin tone", "\u0000\u0001\u007F\u0080\u00FF", "12 345 6789 0.5e-3",
                "\u05E9\u05DC\u05D5\u05DD \u0645\u0631\u062D\u0628\u0627", "a" + " ".repeat(50) + "b"};
        for (ByteLevelBpeTokenizer tokenizer : new ByteLevelBpeTokenizer[] {GPT2, LLAMA3}) {
            for (Object[] row : CASES) {
                String text = ((String) row[0]).replace("<|endoftext|>", "").replace("<|begin_of_text|>", "");
                assertEquals(text, tokenizer.decode(tokenizer.encode(text, false, false)), () -> "round trip of " + text);
            }
            for (String text : extra) {
                assertEquals(text, tokenizer.decode(tokenizer.encode(text, true, true)), () -> "round trip of " + text);
            }
        }
    }

    @Test
    void encodeLongRunsWithoutSplitPoints() {
        // 100000 spaces form one piece in both patterns; Ġ Ġ (19) pairs them into 50000 ĠĠ = 275
        int[] spaces = new int[50_000];
        java.util.Arrays.fill(spaces, 275);
        assertArrayEquals(spaces, GPT2.encode(" ".repeat(100_000), false, false));
        assertArrayEquals(spaces, LLAMA3.encode(" ".repeat(100_000), false, false));
        // 100000 letters form one piece; "x" (87) has no merge
        int[] letters = new int[100_000];
        java.util.Arrays.fill(letters, 87);
        assertArrayEquals(letters, GPT2.encode("x".repeat(100_000), false, false));
    }

    // ----------------------------------------------------------------------------------------------------------
    // control tokens, pieces and decoding

    @Test
    void controlTokensFromFiles() {
        assertEquals(-1, GPT2.bosId());
        assertEquals(290, GPT2.eosId());
        assertEquals(291, LLAMA3.bosId());
        assertEquals(290, LLAMA3.eosId());
        assertEquals(291, GPT2.vocabSize());
        assertEquals(292, LLAMA3.vocabSize());
    }

    @Test
    void encodeAddsOnlyExistingControlTokens() {
        assertArrayEquals(ids(265, 290), GPT2.encode("Hello", true, true));
        assertArrayEquals(ids(291, 265, 290), LLAMA3.encode("Hello", true, true));
        assertArrayEquals(ids(291), LLAMA3.encode("", true, false));
        assertArrayEquals(ids(), GPT2.encode("", false, false));
    }

    @Test
    void decodeSkipsControlTokens() {
        assertEquals("Hello world", LLAMA3.decode(ids(291, 265, 270, 290)));
        assertEquals("", LLAMA3.decodePiece(-1, 291));
        assertEquals(" world", LLAMA3.decodePiece(265, 270));
    }

    @Test
    void piecesAreStoredStrings() {
        assertEquals("\u0120t", GPT2.piece(256));
        assertEquals("<|endoftext|>", GPT2.piece(290));
        assertEquals("<|begin_of_text|>", LLAMA3.piece(291));
        assertEquals(291, LLAMA3.addedTokenId("<|begin_of_text|>"));
        assertEquals(-1, GPT2.addedTokenId("<|begin_of_text|>"));
    }

    @Test
    void decodePieceOfPartialCharacterIsReplacement() {
        // 278 is F0 9F, the first half of an emoji
        assertEquals("\uFFFD", GPT2.decodePiece(-1, 278));
        TokenStreamDecoder stream = new TokenStreamDecoder(GPT2, -1);
        assertEquals("", stream.accept(278));
        assertEquals("", stream.accept(247));
        assertEquals("\uD83D\uDE42", stream.accept(224));
    }

    // ----------------------------------------------------------------------------------------------------------
    // file variants

    @Test
    void tokenizerConfigOverridesControlTokens(@TempDir Path dir) throws IOException {
        Files.writeString(dir.resolve("tokenizer.json"), resource("tiny_llama3_tokenizer.json"));
        Files.writeString(dir.resolve("tokenizer_config.json"),
                "{\"bos_token\": null, \"eos_token\": {\"content\": \"<|begin_of_text|>\"}}");
        Tokenizer tokenizer = Tokenizers.load(dir);
        assertInstanceOf(ByteLevelBpeTokenizer.class, tokenizer);
        assertEquals(-1, tokenizer.bosId());
        assertEquals(291, tokenizer.eosId());
    }

    @Test
    void nfcNormalizerComposesCombiningMarks() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(resource("tiny_gpt2_tokenizer.json"));
        root.set("normalizer", mapper.readTree("{\"type\": \"NFC\"}"));
        ByteLevelBpeTokenizer nfc = ByteLevelBpeTokenizer.parse(mapper.writeValueAsString(root), "nfc");
        // e + U+0301 composes to U+00E9 = C3 A9 -> Ã © = 127 102
        assertArrayEquals(ids(127, 102), nfc.encode("e\u0301", false, false));
        assertArrayEquals(ids(68, 136, 223), GPT2.encode("e\u0301", false, false));
    }

    @Test
    void addPrefixSpaceAppliesToEachSegment() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(resource("tiny_gpt2_tokenizer.json"));
        ((ObjectNode) root.get("pre_tokenizer")).put("add_prefix_space", true);
        ByteLevelBpeTokenizer prefixed = ByteLevelBpeTokenizer.parse(mapper.writeValueAsString(root), "prefix");
        // " world" twice: the text after the special token gets its own prefix space
        assertArrayEquals(ids(270, 290, 270), prefixed.encode("world<|endoftext|>world", false, false));
        assertArrayEquals(ids(270), prefixed.encode(" world", false, false));
    }

    private static ByteLevelBpeTokenizer withPreTokenizer(String preTokenizerJson) throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(resource("tiny_gpt2_tokenizer.json"));
        root.set("pre_tokenizer", mapper.readTree(preTokenizerJson));
        return ByteLevelBpeTokenizer.parse(mapper.writeValueAsString(root), "variant");
    }

    @Test
    void digitsPreTokenizerIsolatesEachDigit() throws IOException {
        ByteLevelBpeTokenizer digits = withPreTokenizer("{\"type\": \"Sequence\", \"pretokenizers\": ["
                + "{\"type\": \"Digits\", \"individual_digits\": true},"
                + "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": true}]}");
        // no "1 2" merge across digits: 1..7 are ids 16..22 and the space is 220
        assertArrayEquals(ids(16, 17, 18, 19, 20, 220, 21, 22, 18, 19), digits.encode("12345 6734", false, false));
    }

    @Test
    void splitRemovedDropsMatches() throws IOException {
        ByteLevelBpeTokenizer removed = withPreTokenizer("{\"type\": \"Sequence\", \"pretokenizers\": ["
                + "{\"type\": \"Split\", \"pattern\": {\"String\": \"l\"}, \"behavior\": \"Removed\"},"
                + "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": false}]}");
        // "He" "o wor" "d": H e; o + (o r, Ġ w, Ġw or) = o Ġwor; d
        assertArrayEquals(ids(39, 68, 78, 268, 67), removed.encode("Hello world", false, false));
    }

    @Test
    void splitRemovedInvertedKeepsOnlyMatches() throws IOException {
        ByteLevelBpeTokenizer inverted = withPreTokenizer("{\"type\": \"Sequence\", \"pretokenizers\": ["
                + "{\"type\": \"Split\", \"pattern\": {\"Regex\": \"\\\\p{L}+\"}, \"behavior\": \"Removed\","
                + " \"invert\": true},"
                + "{\"type\": \"ByteLevel\", \"add_prefix_space\": false, \"use_regex\": false}]}");
        // ", " is dropped; "world" has no leading Ġ, so only o r (10) and l d (13) apply: w or ld
        assertArrayEquals(ids(265, 86, 266, 269), inverted.encode("Hello, world", false, false));
    }

    @Test
    void ignoreMergesTakesWholeWordFromVocab() throws IOException {
        // without the merge "Hell o", "Hello" (265) is reachable only through ignore_merges
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(resource("tiny_llama3_tokenizer.json"));
        ((com.fasterxml.jackson.databind.node.ArrayNode) root.get("model").get("merges")).remove(9);
        ByteLevelBpeTokenizer ignoring = ByteLevelBpeTokenizer.parse(mapper.writeValueAsString(root), "ignore");
        ((ObjectNode) root.get("model")).put("ignore_merges", false);
        ByteLevelBpeTokenizer merging = ByteLevelBpeTokenizer.parse(mapper.writeValueAsString(root), "merge");
        assertArrayEquals(ids(265, 270), ignoring.encode("Hello world", false, false));
        assertArrayEquals(ids(264, 78, 270), merging.encode("Hello world", false, false));
    }

    @Test
    void robertaProcessingGivesControlTokens() throws IOException {
        ObjectMapper mapper = new ObjectMapper();
        ObjectNode root = (ObjectNode) mapper.readTree(resource("tiny_gpt2_tokenizer.json"));
        root.set("post_processor", mapper.readTree("{\"type\": \"RobertaProcessing\", \"sep\": [\"H\", 39],"
                + " \"cls\": [\"<|endoftext|>\", 290]}"));
        ByteLevelBpeTokenizer roberta = ByteLevelBpeTokenizer.parse(mapper.writeValueAsString(root), "roberta");
        assertEquals(290, roberta.bosId());
        assertEquals(39, roberta.eosId());
    }

    @Test
    void loadPicksFormatFromFile(@TempDir Path dir) throws IOException {
        Path json = dir.resolve("vocab");
        Files.writeString(json, resource("tiny_gpt2_tokenizer.json"));
        assertInstanceOf(ByteLevelBpeTokenizer.class, Tokenizers.load(json));
        Path bin = dir.resolve("tok512");
        try (InputStream in = Tokenizers.class.getResourceAsStream(Tokenizers.STORIES_260K_RESOURCE)) {
            Files.write(bin, in.readAllBytes());
        }
        Tokenizer llama2c = Tokenizers.load(bin);
        assertInstanceOf(Llama2cTokenizer.class, llama2c);
        assertEquals(512, llama2c.vocabSize());
    }
}
