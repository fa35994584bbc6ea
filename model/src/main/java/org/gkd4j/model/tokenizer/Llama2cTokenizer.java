package org.gkd4j.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.HashMap;
import java.util.Map;

/**
 * SentencePiece-style BPE with scores and byte fallback, read from a llama2.c tokenizer.bin and following the
 * encode and decode rules of llama2.c's run.c.
 *
 * <p>File format, little-endian: int32 max_token_length, then per token float32 score, int32 byte length and the
 * piece bytes. The file does not store the token count. Ids 1 and 2 are BOS and EOS, and ids 3..258 are the byte
 * pieces "&lt;0x00&gt;".."&lt;0xFF&gt;".
 *
 * <p>Encoding: a space (the SentencePiece dummy prefix) goes before non-empty text, each code point becomes the
 * id of its UTF-8 piece or, when the vocabulary lacks it, one byte id (byte + 3) per UTF-8 byte, and then the
 * adjacent pair whose concatenated piece has the highest score is merged, the leftmost on a tie, until no pair
 * concatenates to a piece. Decoding drops the leading space of the piece right after BOS and turns byte pieces
 * into raw bytes.
 */
public final class Llama2cTokenizer implements Tokenizer {

    /** Ids fixed by llama2.c. */
    public static final int BOS_ID = 1;
    public static final int EOS_ID = 2;
    private static final int BYTE_OFFSET = 3;

    private final byte[][] pieces;
    private final float[] scores;
    private final int maxTokenLength;
    /** Piece bytes as an ISO-8859-1 String (one char per byte) → lowest id with that piece. */
    private final Map<String, Integer> idsByPiece;
    /** Byte value of each "&lt;0xNN&gt;" piece, -1 for other pieces. */
    private final int[] byteValues;
    /** Id of each BMP char's UTF-8 piece, -1 when the vocabulary lacks it. */
    private final int[] idsByChar;
    private final PairMergeTable merges;

    private Llama2cTokenizer(byte[][] pieces, float[] scores, int maxTokenLength, String source) {
        this.pieces = pieces;
        this.scores = scores;
        this.maxTokenLength = maxTokenLength;

        // piece lookup and byte pieces
        idsByPiece = new HashMap<>(pieces.length * 2);
        byteValues = new int[pieces.length];
        for (int id = 0; id < pieces.length; id++) {
            idsByPiece.putIfAbsent(latin1(pieces[id]), id);
            byteValues[id] = parseBytePiece(pieces[id]);
        }
        for (int b = 0; b < 256; b++) {
            if (byteValues[b + BYTE_OFFSET] != b) {
                throw new IllegalArgumentException(source + ": token " + (b + BYTE_OFFSET) + " is \""
                        + pieceForMessage(b + BYTE_OFFSET) + "\" but byte fallback expects "
                        + String.format("<0x%02X>", b) + " at ids 3..258; this is not a llama2.c tokenizer.bin"
                        + " exported from a SentencePiece model with byte_fallback");
            }
        }

        // merge rules: every split of a piece into two pieces. The priority inverts the score, so the highest
        // score pops first. Adding 0.0f turns -0.0 into 0.0, because llama2.c's float compare treats them as equal
        merges = new PairMergeTable(pieces.length * 4);
        for (int id = 0; id < pieces.length; id++) {
            String whole = latin1(pieces[id]);
            if (idsByPiece.get(whole) != id) {
                continue;
            }
            int priority = ~sortableBits(scores[id] + 0.0f);
            for (int split = 1; split < whole.length(); split++) {
                Integer left = idsByPiece.get(whole.substring(0, split));
                Integer right = idsByPiece.get(whole.substring(split));
                if (left != null && right != null) {
                    merges.putIfAbsent(left, right, id, priority);
                }
            }
        }

        // code point lookup table for the Basic Multilingual Plane
        idsByChar = new int[Character.MAX_VALUE + 1];
        for (int c = 0; c <= Character.MAX_VALUE; c++) {
            idsByChar[c] = Character.isSurrogate((char) c) ? -1 : lookupCodePoint(c);
        }
    }

    // ----------------------------------------------------------------------------------------------------------
    // reading

    /** Reads a tokenizer.bin, taking as many tokens as the file holds. */
    public static Llama2cTokenizer read(Path path) throws IOException {
        return parse(Files.readAllBytes(path), -1, path.toString());
    }

    /** Reads a tokenizer.bin that must hold exactly {@code vocabSize} tokens (the model's vocabulary size). */
    public static Llama2cTokenizer read(Path path, int vocabSize) throws IOException {
        return parse(Files.readAllBytes(path), vocabSize, path.toString());
    }

    /**
     * Parses tokenizer.bin bytes. With {@code vocabSize} -1 the token count is whatever the bytes hold; otherwise
     * the bytes must hold exactly that many tokens. {@code source} names the file in error messages.
     */
    public static Llama2cTokenizer parse(byte[] file, int vocabSize, String source) {
        ByteBuffer in = ByteBuffer.wrap(file).order(ByteOrder.LITTLE_ENDIAN);

        // header
        if (file.length < 4) {
            throw new IllegalArgumentException(source + ": file has " + file.length
                    + " bytes, too short for the int32 max_token_length header of a llama2.c tokenizer.bin");
        }
        int maxTokenLength = in.getInt();
        if (maxTokenLength <= 0) {
            throw new IllegalArgumentException(source + ": max_token_length is " + maxTokenLength
                    + " but must be positive; this is not a llama2.c tokenizer.bin");
        }

        // tokens until the end of the file or the expected count; each token takes at least 8 bytes, which
        // bounds the first allocation when vocabSize is wrong
        int capacity = Math.max(1, Math.min(vocabSize >= 0 ? vocabSize : 1024, file.length / 8 + 1));
        byte[][] pieces = new byte[capacity][];
        float[] scores = new float[capacity];
        int count = 0;
        while (vocabSize < 0 ? in.hasRemaining() : count < vocabSize) {
            if (in.remaining() < 8) {
                throw new IllegalArgumentException(source + ": token " + count + " needs 8 header bytes (float32"
                        + " score, int32 length) at offset " + in.position() + " but only " + in.remaining()
                        + " remain; the file is truncated" + expectedCount(vocabSize));
            }
            float score = in.getFloat();
            int length = in.getInt();
            if (Float.isNaN(score)) {
                throw new IllegalArgumentException(source + ": token " + count + " has score NaN");
            }
            if (length < 0 || length > maxTokenLength) {
                throw new IllegalArgumentException(source + ": token " + count + " has length " + length
                        + " but max_token_length is " + maxTokenLength + "; the file is corrupt or not a tokenizer.bin");
            }
            if (length > in.remaining()) {
                throw new IllegalArgumentException(source + ": token " + count + " has length " + length
                        + " but only " + in.remaining() + " bytes remain; the file is truncated" + expectedCount(vocabSize));
            }
            if (count == pieces.length) {
                pieces = Arrays.copyOf(pieces, count * 2);
                scores = Arrays.copyOf(scores, count * 2);
            }
            pieces[count] = new byte[length];
            in.get(pieces[count]);
            scores[count] = score;
            count++;
        }

        // size checks
        if (in.hasRemaining()) {
            throw new IllegalArgumentException(source + ": " + in.remaining() + " bytes follow the " + vocabSize
                    + " expected tokens; the tokenizer has more pieces than the model's vocabulary");
        }
        if (count < BYTE_OFFSET + 256) {
            throw new IllegalArgumentException(source + ": file contains " + count + " tokens but a llama2.c tokenizer"
                    + " needs at least 259 (<unk>, BOS, EOS and 256 byte pieces)");
        }
        return new Llama2cTokenizer(Arrays.copyOf(pieces, count), Arrays.copyOf(scores, count), maxTokenLength, source);
    }

    private static String expectedCount(int vocabSize) {
        return vocabSize >= 0 ? " (expected " + vocabSize + " tokens)" : "";
    }

    // ----------------------------------------------------------------------------------------------------------
    // encoding

    @Override
    public int[] encode(String text, boolean bos, boolean eos) {
        String clean = Utf8.replaceLoneSurrogates(text);

        // dummy prefix, then one id per code point or one byte id per UTF-8 byte
        int[] symbols = new int[clean.length() * 4 + 1];
        int count = 0;
        if (!clean.isEmpty()) {
            count = appendCodePoint(symbols, count, ' ');
        }
        for (int i = 0; i < clean.length(); ) {
            int codePoint = clean.codePointAt(i);
            count = appendCodePoint(symbols, count, codePoint);
            i += Character.charCount(codePoint);
        }

        // greedy merging by score
        int[] merged = BpeMerger.merge(Arrays.copyOf(symbols, count), merges);

        // control tokens
        int[] out = new int[merged.length + (bos ? 1 : 0) + (eos ? 1 : 0)];
        if (bos) {
            out[0] = BOS_ID;
        }
        System.arraycopy(merged, 0, out, bos ? 1 : 0, merged.length);
        if (eos) {
            out[out.length - 1] = EOS_ID;
        }
        return out;
    }

    private int appendCodePoint(int[] symbols, int count, int codePoint) {
        int id = codePoint <= Character.MAX_VALUE ? idsByChar[codePoint] : lookupCodePoint(codePoint);
        if (id >= 0) {
            symbols[count++] = id;
            return count;
        }
        for (byte b : Utf8.encode(Character.toString(codePoint))) {
            symbols[count++] = (b & 0xFF) + BYTE_OFFSET;
        }
        return count;
    }

    private int lookupCodePoint(int codePoint) {
        Integer id = idsByPiece.get(latin1(Utf8.encode(Character.toString(codePoint))));
        return id == null ? -1 : id;
    }

    // ----------------------------------------------------------------------------------------------------------
    // decoding

    @Override
    public String decode(int[] ids) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream(ids.length * 4);
        int previous = -1;
        for (int id : ids) {
            bytes.writeBytes(decodePieceBytes(previous, id));
            previous = id;
        }
        byte[] all = bytes.toByteArray();
        return Utf8.decode(all, 0, all.length);
    }

    @Override
    public byte[] decodePieceBytes(int previousId, int id) {
        checkId(id);
        if (id == BOS_ID || id == EOS_ID) {
            return new byte[0];
        }
        if (byteValues[id] >= 0) {
            return new byte[] {(byte) byteValues[id]};
        }
        byte[] piece = pieces[id];
        if (previousId == BOS_ID && piece.length > 0 && piece[0] == ' ') {
            return Arrays.copyOfRange(piece, 1, piece.length);
        }
        return piece.clone();
    }

    // ----------------------------------------------------------------------------------------------------------
    // vocabulary

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public int bosId() {
        return BOS_ID;
    }

    @Override
    public int eosId() {
        return EOS_ID;
    }

    @Override
    public String piece(int id) {
        checkId(id);
        return new String(pieces[id], StandardCharsets.UTF_8);
    }

    /** Merge score of {@code id}; a higher score merges earlier. */
    public float score(int id) {
        checkId(id);
        return scores[id];
    }

    /** Maximum piece length in bytes, as declared in the file header. */
    public int maxTokenLength() {
        return maxTokenLength;
    }

    private void checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + pieces.length
                    + "); check that the model and the tokenizer belong together");
        }
    }

    private String pieceForMessage(int id) {
        return new String(pieces[id], StandardCharsets.UTF_8).replace("\n", "\\n");
    }

    private static String latin1(byte[] bytes) {
        return new String(bytes, StandardCharsets.ISO_8859_1);
    }

    /** "&lt;0xNN&gt;" (two hex digits) → NN, anything else → -1. */
    private static int parseBytePiece(byte[] piece) {
        if (piece.length != 6 || piece[0] != '<' || piece[1] != '0' || piece[2] != 'x' || piece[5] != '>') {
            return -1;
        }
        int high = Character.digit(piece[3], 16);
        int low = Character.digit(piece[4], 16);
        return high < 0 || low < 0 ? -1 : high * 16 + low;
    }

    /** Maps a float to an int with the same order (for non-NaN values and with -0.0 below 0.0). */
    private static int sortableBits(float value) {
        int bits = Float.floatToIntBits(value);
        return bits < 0 ? bits ^ 0x7FFF_FFFF : bits;
    }
}
