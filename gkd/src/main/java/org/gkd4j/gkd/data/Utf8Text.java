package org.gkd4j.gkd.data;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Locale;

/** Reads text files that must be UTF-8, naming the line and byte of an invalid sequence. */
public final class Utf8Text {

    private Utf8Text() {
    }

    /**
     * Reads {@code path} as UTF-8 and drops a leading byte order mark, which some Windows editors write. Invalid
     * bytes raise IllegalArgumentException starting with {@code label} (for example "data file x.txt") and naming
     * the 1-based line and the byte offset, in place of the decoder's bare "Input length = 1".
     */
    public static String read(Path path, String label) throws IOException {
        byte[] bytes = Files.readAllBytes(path);
        CharsetDecoder decoder = StandardCharsets.UTF_8.newDecoder()
                .onMalformedInput(CodingErrorAction.REPORT)
                .onUnmappableCharacter(CodingErrorAction.REPORT);
        ByteBuffer in = ByteBuffer.wrap(bytes);
        try {
            String text = decoder.decode(in).toString();
            return text.startsWith("\uFEFF") ? text.substring(1) : text;
        } catch (CharacterCodingException e) {
            // decode() leaves the buffer at the first byte it could not decode
            int offset = in.position();
            int line = 1;
            for (int i = 0; i < offset; i++) {
                if (bytes[i] == '\n') {
                    line++;
                }
            }
            throw new IllegalArgumentException(String.format(Locale.ROOT,
                    "%s line %d: byte 0x%02x at offset %d is not valid UTF-8; save the file as UTF-8",
                    label, line, bytes[offset] & 0xff, offset));
        }
    }
}
