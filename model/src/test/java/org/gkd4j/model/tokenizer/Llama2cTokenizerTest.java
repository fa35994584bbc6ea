package org.gkd4j.model.tokenizer;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class Llama2cTokenizerTest {

    /** Greedy stories260K output after BOS (403 = " Once", 13 = "<0x0A>"). */
    private static final int[] STORY_IDS = {403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426,
            338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261,
            370, 432, 352, 266, 268, 388, 426, 338, 391, 266, 267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333,
            415, 426, 13, 438, 310};
    private static final String STORY_TEXT = "Once upon a time, there was a little girl named Lily. She loved to play"
            + " outside in the park. One day, she saw a big, red ball. She wanted to play with it, but it was too"
            + " high.\nLily";

    private final Llama2cTokenizer tokenizer = Tokenizers.stories260K();

    private static int[] withBos(int[] ids) {
        int[] out = new int[ids.length + 1];
        out[0] = 1;
        System.arraycopy(ids, 0, out, 1, ids.length);
        return out;
    }

    @Test
    void shippedVocabularyHasLlama2cLayout() {
        assertEquals(512, tokenizer.vocabSize());
        assertEquals(1, tokenizer.bosId());
        assertEquals(2, tokenizer.eosId());
        assertEquals(7, tokenizer.maxTokenLength());
        assertEquals("<unk>", tokenizer.piece(0));
        assertEquals("\n<s>\n", tokenizer.piece(1));
        assertEquals("<0x0A>", tokenizer.piece(13));
        assertEquals(" Once", tokenizer.piece(403));
        assertEquals(-144.0f, tokenizer.score(403));
    }

    @Test
    void decodeGreedyStoryAfterBos() {
        assertEquals(STORY_TEXT, tokenizer.decode(withBos(STORY_IDS)));
    }

    @Test
    void encodeGreedyStoryRoundTripsToSameIds() {
        assertArrayEquals(withBos(STORY_IDS), tokenizer.encode(STORY_TEXT, true, false));
    }

    @Test
    void decodePieceStripsSpaceOnlyAfterBos() {
        assertEquals("Once", tokenizer.decodePiece(1, 403));
        assertEquals(" Once", tokenizer.decodePiece(261, 403));
        assertEquals(" Once", tokenizer.decodePiece(-1, 403));
        assertEquals("\n", tokenizer.decodePiece(426, 13));
        assertEquals("", tokenizer.decodePiece(426, 2));
        assertEquals("", tokenizer.decodePiece(-1, 1));
    }

    @Test
    void encodeAddsDummyPrefixAndMergesByScore() {
        // " a" (261) is a piece: dummy space + "a" merge into it
        assertArrayEquals(new int[] {261}, tokenizer.encode("a", false, false));
        // " the" 265: " t" (score -0) merges first, then "he" (-1) beats " th" (-49), then " t" + "he" = " the"
        assertArrayEquals(new int[] {1, 265, 2}, tokenizer.encode("the", true, true));
        // a lone space: the dummy prefix " " then " " again; "  " is not a piece, so two 410s
        assertArrayEquals(new int[] {410, 410}, tokenizer.encode(" ", false, false));
    }

    @Test
    void encodeEmptyText() {
        assertArrayEquals(new int[0], tokenizer.encode("", false, false));
        assertArrayEquals(new int[] {1}, tokenizer.encode("", true, false));
        assertArrayEquals(new int[] {1, 2}, tokenizer.encode("", true, true));
        assertEquals("", tokenizer.decode(new int[0]));
        assertEquals("", tokenizer.decode(new int[] {1, 2}));
    }

    @Test
    void encodeEmojiUsesByteFallback() {
        // U+1F642 is F0 9F 99 82 in UTF-8; byte ids are byte + 3
        int[] expected = {1, 410, 0xF0 + 3, 0x9F + 3, 0x99 + 3, 0x82 + 3};
        assertArrayEquals(expected, tokenizer.encode("\uD83D\uDE42", true, false));
        assertEquals("\uD83D\uDE42", tokenizer.decode(expected));
    }

    @Test
    void encodeCjkUsesByteFallback() {
        // U+732B is E7 8C AB in UTF-8
        int[] expected = {1, 410, 0xE7 + 3, 0x8C + 3, 0xAB + 3};
        assertArrayEquals(expected, tokenizer.encode("\u732B", true, false));
        assertEquals("\u732B", tokenizer.decode(expected));
    }

    @Test
    void encodeMultiByteVocabularyPiece() {
        // U+2019 (right single quotation mark) is piece 468 and "é" piece 485, so no byte fallback for them
        assertArrayEquals(new int[] {1, 410, 468}, tokenizer.encode("\u2019", true, false));
        assertArrayEquals(new int[] {1, 410, 485}, tokenizer.encode("\u00E9", true, false));
    }

    @Test
    void encodeMatchesLlama2cRunC() {
        // ids printed by llama2.c's run.c encode() (bos 1, eos 0) for the same UTF-8 text, built with gcc
        String text = "Hi \uD83D\uDE42 \u732B caf\u00E9 \u2019 \uD83D\uDC68\u200D\uD83D\uDC69 e\u0301\n\n  x";
        int[] expected = {1, 320, 417, 410, 243, 162, 156, 133, 410, 234, 143, 174, 280, 412, 431, 485, 410, 468, 410,
                243, 162, 148, 171, 229, 131, 144, 243, 162, 148, 172, 344, 207, 132, 13, 13, 410, 410, 444};
        assertArrayEquals(expected, tokenizer.encode(text, true, false));
        assertEquals(text, tokenizer.decode(expected));
    }

    @Test
    void encodeLoneSurrogateAsReplacementChar() {
        // U+FFFD is EF BF BD and no piece of the vocabulary
        int[] expected = {1, 410, 0xEF + 3, 0xBF + 3, 0xBD + 3};
        assertArrayEquals(expected, tokenizer.encode("\uD800", true, false));
        assertEquals("\uFFFD", tokenizer.decode(expected));
        assertEquals("a\uFFFDb", tokenizer.decode(tokenizer.encode("a\uDC00b", true, false)));
    }

    @Test
    void decodeInvalidUtf8BecomesReplacementChar() {
        // a lone continuation byte 0x80, then "a"
        assertEquals("\uFFFDa", tokenizer.decode(new int[] {1, 0x80 + 3, 412}));
        // a truncated 3-byte sequence E7 8C at the end
        assertEquals("a\uFFFD", tokenizer.decode(new int[] {1, 261, 0xE7 + 3, 0x8C + 3}));
    }

    @Test
    void roundTripManyStrings() {
        String[] texts = {"Hello, world!", "  two leading spaces", "trailing space ", "tabs\tand\nnewlines\n\n",
                "\u4E2D\u6587 and \u65E5\u672C\u8A9E", "\uD83D\uDC68\u200D\uD83D\uDC69\u200D\uD83D\uDC67 family",
                "e\u0301 combining acute", "\u00A0nbsp", "1234567890", "It's Lily's ball, isn't it?",
                "\u201CQuoted\u201D \u2014 dash \u2026", "~`!@#$%^&*()_+-={}[]|\\:;\"'<>,.?/", "\u0000 nul",
                "\uD835\uDD18\uD835\uDD2B\uD835\uDD26"};
        for (String text : texts) {
            assertEquals(text, tokenizer.decode(tokenizer.encode(text, true, true)), () -> "round trip of " + text);
        }
    }

    @Test
    void decodeRejectsIdOutsideVocabulary() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> tokenizer.decode(new int[] {1, 512}));
        assertTrue(e.getMessage().contains("512"), e.getMessage());
        assertThrows(IllegalArgumentException.class, () -> tokenizer.piece(-1));
    }

    @Test
    void streamDecoderHoldsSplitCharacter() {
        TokenStreamDecoder stream = new TokenStreamDecoder(tokenizer, 1);
        assertEquals("Once", stream.accept(403));
        assertEquals(" ", stream.accept(410));
        assertEquals("", stream.accept(0xF0 + 3));
        assertEquals("", stream.accept(0x9F + 3));
        assertEquals("", stream.accept(0x99 + 3));
        assertEquals("\uD83D\uDE42", stream.accept(0x82 + 3));
        assertEquals("", stream.finish());
    }

    @Test
    void streamDecoderFlushesUnfinishedCharacter() {
        TokenStreamDecoder stream = new TokenStreamDecoder(tokenizer, 1);
        assertEquals("", stream.accept(0xE7 + 3));
        assertEquals("\uFFFDa", stream.accept(412));
        assertEquals("", stream.accept(0xE7 + 3));
        assertEquals("\uFFFD", stream.finish());
    }

    @Test
    void streamDecoderMatchesWholeDecode() {
        int[] ids = tokenizer.encode("Lily\u2019s ball", true, false);
        StringBuilder streamed = new StringBuilder();
        TokenStreamDecoder stream = new TokenStreamDecoder(tokenizer, -1);
        for (int id : ids) {
            streamed.append(stream.accept(id));
        }
        streamed.append(stream.finish());
        assertEquals("Lily\u2019s ball", streamed.toString());
        assertEquals(tokenizer.decode(ids), streamed.toString());
    }
}
