package org.gkd4j.model;

/**
 * The shape of a Llama-style decoder-only transformer.
 *
 * @param dim            model width C
 * @param layers         number of transformer blocks L
 * @param heads          attention heads H; head size D = dim / heads
 * @param kvHeads        key/value heads G for grouped-query attention; H must be a multiple of G
 * @param hiddenDim      SwiGLU feed-forward width
 * @param vocabSize      vocabulary V
 * @param contextLength  maximum sequence length T the RoPE tables and KV cache cover
 * @param ropeTheta      RoPE base θ (10000 in Llama 2)
 * @param normEps        RMSNorm ε
 * @param tiedEmbeddings true when the output head reuses the token embedding matrix
 */
public record ModelConfig(int dim, int layers, int heads, int kvHeads, int hiddenDim, int vocabSize,
                          int contextLength, float ropeTheta, float normEps, boolean tiedEmbeddings) {

    public ModelConfig {
        positive("dim", dim);
        positive("layers", layers);
        positive("heads", heads);
        positive("kvHeads", kvHeads);
        positive("hiddenDim", hiddenDim);
        positive("vocabSize", vocabSize);
        positive("contextLength", contextLength);
        if (dim % heads != 0) {
            throw new IllegalArgumentException("model config: heads " + heads + " does not divide dim " + dim
                    + "; choose heads so that dim / heads is a whole head size");
        }
        if ((dim / heads) % 2 != 0) {
            throw new IllegalArgumentException("model config: head size " + (dim / heads) + " (dim " + dim
                    + " / heads " + heads + ") is odd, but RoPE rotates pairs; choose an even head size");
        }
        if (heads % kvHeads != 0) {
            throw new IllegalArgumentException("model config: kvHeads " + kvHeads + " does not divide heads "
                    + heads + "; grouped-query attention needs heads to be a multiple of kvHeads");
        }
        if (!(ropeTheta > 0) || Float.isInfinite(ropeTheta)) {
            throw new IllegalArgumentException("model config: ropeTheta " + ropeTheta + " must be a positive number");
        }
        if (!(normEps > 0) || normEps >= 1) {
            throw new IllegalArgumentException("model config: normEps " + normEps + " must lie in (0, 1)");
        }
    }

    private static void positive(String field, int value) {
        if (value <= 0) {
            throw new IllegalArgumentException("model config: " + field + " is " + value + " but must be positive");
        }
    }

    /** Head size D. */
    public int headDim() {
        return dim / heads;
    }

    /** Width of the key and value projections, G·D. */
    public int kvDim() {
        return kvHeads * headDim();
    }

    /** Number of parameters, counting a tied embedding once. */
    public long parameterCount() {
        long attention = (long) dim * dim * 2 + (long) dim * kvDim() * 2;
        long ffn = 3L * dim * hiddenDim;
        long perLayer = attention + ffn + 2L * dim;
        long embedding = (long) vocabSize * dim;
        return layers * perLayer + dim + embedding * (tiedEmbeddings ? 1 : 2);
    }
}
