package org.gkd4j.model.tokenizer;

import java.nio.charset.StandardCharsets;

/** UTF-8 helpers shared by the tokenizers. */
final class Utf8 {

    static final char REPLACEMENT = '\uFFFD';

    private Utf8() {
    }

    /** Returns {@code text} with every unpaired surrogate replaced by U+FFFD, which UTF-8 can encode. */
    static String replaceLoneSurrogates(String text) {
        int first = firstLoneSurrogate(text);
        if (first < 0) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        out.append(text, 0, first);
        for (int i = first; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(i + 1));
                i++;
            } else if (Character.isSurrogate(c)) {
                out.append(REPLACEMENT);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    private static int firstLoneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (!Character.isSurrogate(c)) {
                continue;
            }
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                i++;
                continue;
            }
            return i;
        }
        return -1;
    }

    /** Encodes text that has no lone surrogates (see {@link #replaceLoneSurrogates}). */
    static byte[] encode(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }

    /** Decodes UTF-8; the JDK decoder replaces each malformed or truncated sequence with U+FFFD. */
    static String decode(byte[] bytes, int offset, int length) {
        return new String(bytes, offset, length, StandardCharsets.UTF_8);
    }

    /**
     * Returns how many of the first {@code length} bytes can be decoded now: all of them, unless they end inside a
     * multi-byte character whose remaining continuation bytes may still arrive.
     */
    static int completePrefixLength(byte[] bytes, int length) {
        // a UTF-8 character is at most 4 bytes, so only the last 3 bytes can belong to an unfinished one
        for (int back = 1; back <= Math.min(3, length); back++) {
            int b = bytes[length - back] & 0xFF;
            if ((b & 0xC0) == 0x80) {
                continue;
            }
            int expected = sequenceLength(b);
            return expected > back ? length - back : length;
        }
        return length;
    }

    /** Length of the UTF-8 sequence that lead byte {@code b} starts; 1 for ASCII and for invalid lead bytes. */
    private static int sequenceLength(int b) {
        if (b >= 0xC2 && b <= 0xDF) {
            return 2;
        }
        if (b >= 0xE0 && b <= 0xEF) {
            return 3;
        }
        if (b >= 0xF0 && b <= 0xF4) {
            return 4;
        }
        return 1;
    }
}
