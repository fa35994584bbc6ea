package org.gkd4j.model.tokenizer;

import java.nio.charset.StandardCharsets;

/**
 * Maps text to token ids and back.
 *
 * <p>Input text is a Java {@code String}, so it is always a sequence of UTF-16 code units. A lone surrogate (one
 * that is not part of a valid pair) cannot be written as UTF-8; every implementation encodes it as U+FFFD, so
 * {@code decode(encode(text))} returns U+FFFD in its place. Decoding turns the concatenated bytes of the pieces
 * into a String as UTF-8, and every invalid or incomplete byte sequence becomes U+FFFD.
 *
 * <p>BOS and EOS are control tokens: {@link #decode} and {@link #decodePiece} render them as the empty string.
 * Implementations are immutable apart from internal caches and safe to share between threads.
 */
public interface Tokenizer {

    /**
     * Encodes {@code text} into token ids.
     *
     * @param bos prepend the BOS id; ignored when the tokenizer has no BOS token ({@link #bosId()} is -1)
     * @param eos append the EOS id; ignored when the tokenizer has no EOS token ({@link #eosId()} is -1)
     */
    int[] encode(String text, boolean bos, boolean eos);

    /** Decodes a whole id sequence into text; invalid UTF-8 in the joined piece bytes becomes U+FFFD. */
    String decode(int[] ids);

    /**
     * Returns the raw bytes that token {@code id} adds to the text when it follows {@code previousId} (-1 at the
     * start of a sequence). The bytes may be part of a UTF-8 character; {@link TokenStreamDecoder} joins them.
     */
    byte[] decodePieceBytes(int previousId, int id);

    /**
     * Returns the text of token {@code id} after {@code previousId}. A token that holds only part of a UTF-8
     * character decodes to U+FFFD here, so streaming output should go through {@link TokenStreamDecoder}.
     */
    default String decodePiece(int previousId, int id) {
        return new String(decodePieceBytes(previousId, id), StandardCharsets.UTF_8);
    }

    /** Number of ids, one more than the largest id. */
    int vocabSize();

    /** Id of the begin-of-sequence token, or -1 when the tokenizer has none. */
    int bosId();

    /** Id of the end-of-sequence token, or -1 when the tokenizer has none. */
    int eosId();

    /**
     * Returns the vocabulary entry of {@code id} as stored in the file: " the" and "&lt;0x0A&gt;" in a llama2.c
     * tokenizer.bin, "Ġthe" in a byte-level tokenizer.json.
     */
    String piece(int id);
}
