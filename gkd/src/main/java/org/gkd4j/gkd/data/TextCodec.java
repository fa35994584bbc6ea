package org.gkd4j.gkd.data;

/** The two tokenizer operations the data loader needs to split text after its first N tokens. */
public interface TextCodec {

    /** Encodes text to token ids, without BOS or EOS. */
    int[] encode(String text);

    /** Decodes token ids back to text. */
    String decode(int[] ids);
}
