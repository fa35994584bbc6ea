package org.gkd4j.model.tokenizer;

import java.util.Arrays;

/**
 * Turns a stream of sampled token ids into text as it arrives. A character whose UTF-8 bytes span several byte
 * tokens is held back until its last byte arrives, so printing the returned strings never shows U+FFFD for a
 * split emoji or CJK character. Not thread-safe: one instance per stream.
 */
public final class TokenStreamDecoder {

    private final Tokenizer tokenizer;
    private byte[] pending = new byte[16];
    private int pendingLength;
    private int previousId;

    /** Starts a stream; the first id is decoded as following {@code previousId} (BOS, or -1 for none). */
    public TokenStreamDecoder(Tokenizer tokenizer, int previousId) {
        this.tokenizer = tokenizer;
        this.previousId = previousId;
    }

    /** Appends token {@code id} and returns the text it completes, possibly empty. */
    public String accept(int id) {
        byte[] bytes = tokenizer.decodePieceBytes(previousId, id);
        previousId = id;
        if (pendingLength + bytes.length > pending.length) {
            pending = Arrays.copyOf(pending, Math.max(pending.length * 2, pendingLength + bytes.length));
        }
        System.arraycopy(bytes, 0, pending, pendingLength, bytes.length);
        pendingLength += bytes.length;

        // emit everything except a character that may still be completed by the next token
        int ready = Utf8.completePrefixLength(pending, pendingLength);
        String text = Utf8.decode(pending, 0, ready);
        System.arraycopy(pending, ready, pending, 0, pendingLength - ready);
        pendingLength -= ready;
        return text;
    }

    /** Ends the stream: returns the held-back bytes of an unfinished character as U+FFFD, or "" when none. */
    public String finish() {
        String text = Utf8.decode(pending, 0, pendingLength);
        pendingLength = 0;
        return text;
    }
}
