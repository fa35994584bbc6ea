package org.gkd4j.model.tokenizer;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.UnaryOperator;

/**
 * Byte-level BPE from a Hugging Face tokenizer.json, as used by GPT-2, Llama 3 and Qwen 2.
 *
 * <p>Encoding: added tokens are cut out of the raw text first and become their ids; each remaining segment is
 * normalized (when the file has a normalizer), cut into pieces by the pre-tokenizer steps, and every piece is
 * written as its UTF-8 bytes in GPT-2's byte alphabet and merged by merge rank (lowest rank first, leftmost on
 * a tie). Decoding maps the alphabet back to bytes, writes added tokens as their content and decodes UTF-8.
 *
 * <p>See {@link TokenizerJsonReader} for the parts of the format that are supported.
 */
public final class ByteLevelBpeTokenizer implements Tokenizer {

    /** Pieces longer than this are not cached, so that one huge piece cannot pin memory. */
    private static final int CACHE_MAX_PIECE_LENGTH = 256;
    /** The cache stops taking new pieces at this size, like the word cache of Hugging Face tokenizers. */
    private static final int CACHE_CAPACITY = 100_000;

    private final String[] pieces;
    private final byte[][] pieceBytes;
    private final Map<String, Integer> vocab;
    private final PairMergeTable merges;
    private final AddedTokens addedTokens;
    private final List<PreTokenizer> preTokenizers;
    private final UnaryOperator<String> normalizer;
    private final boolean ignoreMerges;
    private final int unkId;
    private final int bosId;
    private final int eosId;
    private final Map<String, int[]> cache = new ConcurrentHashMap<>();

    ByteLevelBpeTokenizer(String[] pieces, Map<String, Integer> vocab, PairMergeTable merges, AddedTokens addedTokens,
                          List<PreTokenizer> preTokenizers, UnaryOperator<String> normalizer, boolean ignoreMerges,
                          int unkId, int bosId, int eosId) {
        this.pieces = pieces;
        this.vocab = vocab;
        this.merges = merges;
        this.addedTokens = addedTokens;
        this.preTokenizers = List.copyOf(preTokenizers);
        this.normalizer = normalizer;
        this.ignoreMerges = ignoreMerges;
        this.unkId = unkId;
        this.bosId = bosId;
        this.eosId = eosId;
        pieceBytes = new byte[pieces.length][];
        for (int id = 0; id < pieces.length; id++) {
            String added = addedTokens.content(id);
            if (added != null) {
                pieceBytes[id] = Utf8.encode(Utf8.replaceLoneSurrogates(added));
            } else if (pieces[id] != null) {
                pieceBytes[id] = ByteLevelAlphabet.unmap(pieces[id]);
            }
        }
    }

    /** Reads a tokenizer.json and, when present beside it, tokenizer_config.json for BOS and EOS. */
    public static ByteLevelBpeTokenizer read(Path path) throws IOException {
        return TokenizerJsonReader.read(path);
    }

    /** Parses tokenizer.json text; {@code source} names it in error messages. */
    public static ByteLevelBpeTokenizer parse(String json, String source) {
        return TokenizerJsonReader.parse(json, null, source);
    }

    // ----------------------------------------------------------------------------------------------------------
    // encoding

    @Override
    public int[] encode(String text, boolean bos, boolean eos) {
        String clean = Utf8.replaceLoneSurrogates(text);
        IdBuffer out = new IdBuffer(clean.length() / 3 + 4);
        if (bos && bosId >= 0) {
            out.add(bosId);
        }
        addedTokens.split(clean, new AddedTokens.Visitor() {
            @Override
            public void text(String segment) {
                String normalized = normalizer == null ? segment : normalizer.apply(segment);
                preTokenize(0, normalized, out);
            }

            @Override
            public void token(int id) {
                out.add(id);
            }
        });
        if (eos && eosId >= 0) {
            out.add(eosId);
        }
        return out.toArray();
    }

    private void preTokenize(int step, String text, IdBuffer out) {
        if (step == preTokenizers.size()) {
            out.addAll(encodePiece(text));
            return;
        }
        preTokenizers.get(step).split(text, piece -> preTokenize(step + 1, piece, out));
    }

    /** BPE on one pre-tokenized piece, cached. */
    private int[] encodePiece(String piece) {
        int[] cached = cache.get(piece);
        if (cached != null) {
            return cached;
        }
        String mapped = ByteLevelAlphabet.map(piece);
        int[] ids;
        Integer whole = ignoreMerges ? vocab.get(mapped) : null;
        if (whole != null) {
            ids = new int[] {whole};
        } else {
            int[] symbols = new int[mapped.length()];
            int count = 0;
            for (int i = 0; i < mapped.length(); i++) {
                Integer id = vocab.get(String.valueOf(mapped.charAt(i)));
                if (id == null) {
                    // the reader rejects vocabularies without all 256 byte symbols unless they have an unk token
                    id = unkId;
                }
                symbols[count++] = id;
            }
            ids = BpeMerger.merge(symbols, merges);
        }
        if (piece.length() <= CACHE_MAX_PIECE_LENGTH && cache.size() < CACHE_CAPACITY) {
            cache.put(piece, ids);
        }
        return ids;
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
        if (id == bosId || id == eosId || pieceBytes[id] == null) {
            return new byte[0];
        }
        return pieceBytes[id].clone();
    }

    // ----------------------------------------------------------------------------------------------------------
    // vocabulary

    @Override
    public int vocabSize() {
        return pieces.length;
    }

    @Override
    public int bosId() {
        return bosId;
    }

    @Override
    public int eosId() {
        return eosId;
    }

    /** Returns the stored piece, or "" for an id that neither the vocabulary nor the added tokens define. */
    @Override
    public String piece(int id) {
        checkId(id);
        return pieces[id] == null ? "" : pieces[id];
    }

    /** Id of an added token by its content, or -1 when there is no such added token. */
    public int addedTokenId(String content) {
        return addedTokens.id(content);
    }

    private void checkId(int id) {
        if (id < 0 || id >= pieces.length) {
            throw new IllegalArgumentException("token id " + id + " is outside the vocabulary [0, " + pieces.length
                    + "); check that the model and the tokenizer belong together");
        }
    }

    /** Growable int array for the output ids. */
    private static final class IdBuffer {
        private int[] ids;
        private int size;

        IdBuffer(int capacity) {
            ids = new int[Math.max(4, capacity)];
        }

        void add(int id) {
            if (size == ids.length) {
                ids = Arrays.copyOf(ids, size * 2);
            }
            ids[size++] = id;
        }

        void addAll(int[] more) {
            if (size + more.length > ids.length) {
                ids = Arrays.copyOf(ids, Math.max(size * 2, size + more.length));
            }
            System.arraycopy(more, 0, ids, size, more.length);
            size += more.length;
        }

        int[] toArray() {
            return Arrays.copyOf(ids, size);
        }
    }
}
