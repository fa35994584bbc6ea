package org.gkd4j.model.tokenizer;

import java.util.Arrays;

/**
 * GPT-2's reversible byte → char mapping used by byte-level BPE vocabularies. Printable Latin-1 bytes ('!'..'~',
 * '¡'..'¬', '®'..'ÿ') map to the char with the same code. The other 68 bytes (controls, space, DEL, NBSP, soft
 * hyphen) map in byte order to U+0100..U+0143, so a space is 'Ġ' (U+0120) and a newline 'Ċ' (U+010A).
 */
final class ByteLevelAlphabet {

    private static final char[] BYTE_TO_CHAR = new char[256];
    private static final int[] CHAR_TO_BYTE = new int[0x144];

    static {
        Arrays.fill(CHAR_TO_BYTE, -1);
        int shifted = 0;
        for (int b = 0; b < 256; b++) {
            boolean printable = (b >= '!' && b <= '~') || (b >= 0xA1 && b <= 0xAC) || (b >= 0xAE && b <= 0xFF);
            char c = printable ? (char) b : (char) (0x100 + shifted++);
            BYTE_TO_CHAR[b] = c;
            CHAR_TO_BYTE[c] = b;
        }
    }

    private ByteLevelAlphabet() {
    }

    /** Returns the char for byte {@code b} (0..255). */
    static char charOf(int b) {
        return BYTE_TO_CHAR[b];
    }

    /** Returns the byte for char {@code c}, or -1 when {@code c} is not in the alphabet. */
    static int byteOf(char c) {
        return c < CHAR_TO_BYTE.length ? CHAR_TO_BYTE[c] : -1;
    }

    /** Maps the UTF-8 bytes of {@code text} to one alphabet char each. */
    static String map(String text) {
        byte[] bytes = Utf8.encode(text);
        char[] chars = new char[bytes.length];
        for (int i = 0; i < bytes.length; i++) {
            chars[i] = BYTE_TO_CHAR[bytes[i] & 0xFF];
        }
        return new String(chars);
    }

    /**
     * Returns the bytes a vocabulary piece stands for. A piece with a char outside the alphabet is not a
     * byte-level piece and yields its own UTF-8 bytes, as the Hugging Face ByteLevel decoder does.
     */
    static byte[] unmap(String piece) {
        byte[] bytes = new byte[piece.length()];
        for (int i = 0; i < piece.length(); i++) {
            int b = byteOf(piece.charAt(i));
            if (b < 0) {
                return Utf8.encode(Utf8.replaceLoneSurrogates(piece));
            }
            bytes[i] = (byte) b;
        }
        return bytes;
    }
}
