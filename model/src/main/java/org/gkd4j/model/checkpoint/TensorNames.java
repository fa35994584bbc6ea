package org.gkd4j.model.checkpoint;

import java.util.LinkedHashMap;
import java.util.Map;
import org.gkd4j.model.ModelConfig;

/**
 * The canonical tensor names of a Llama model in gkd4j and the shape each one has for a given config.
 *
 * <p>Matrices are [out, in] as in a PyTorch Linear layer, so a projection computes y = x·Wᵀ. The q and k rows
 * of each head hold RoPE pairs interleaved, (x[2i], x[2i+1]), as in llama2.c. Shape letters: V vocabulary,
 * C model width, H heads, G key/value heads, D head size, F feed-forward width.
 */
public final class TensorNames {

    /** Token embedding table [V, C]. */
    public static final String TOK_EMBEDDINGS = "tok_embeddings";
    /** Final RMSNorm weight [C]. */
    public static final String NORM = "norm";
    /** Output head (classifier) [V, C]; absent when the config ties it to the token embedding. */
    public static final String OUTPUT = "output";

    private TensorNames() {
    }

    /** Returns the RMSNorm weight before attention in layer {@code layer}, [C]. */
    public static String attentionNorm(int layer) {
        return "layers." + layer + ".attention_norm";
    }

    /** Returns the query projection of layer {@code layer}, [H·D, C]. */
    public static String wq(int layer) {
        return "layers." + layer + ".attention.wq";
    }

    /** Returns the key projection of layer {@code layer}, [G·D, C]. */
    public static String wk(int layer) {
        return "layers." + layer + ".attention.wk";
    }

    /** Returns the value projection of layer {@code layer}, [G·D, C]. */
    public static String wv(int layer) {
        return "layers." + layer + ".attention.wv";
    }

    /** Returns the attention output projection of layer {@code layer}, [C, H·D]. */
    public static String wo(int layer) {
        return "layers." + layer + ".attention.wo";
    }

    /** Returns the RMSNorm weight before the feed-forward block in layer {@code layer}, [C]. */
    public static String ffnNorm(int layer) {
        return "layers." + layer + ".ffn_norm";
    }

    /** Returns the SwiGLU gate projection of layer {@code layer}, [F, C]. */
    public static String w1(int layer) {
        return "layers." + layer + ".feed_forward.w1";
    }

    /** Returns the SwiGLU down projection of layer {@code layer}, [C, F]. */
    public static String w2(int layer) {
        return "layers." + layer + ".feed_forward.w2";
    }

    /** Returns the SwiGLU up projection of layer {@code layer}, [F, C]. */
    public static String w3(int layer) {
        return "layers." + layer + ".feed_forward.w3";
    }

    /** Returns true for the rank-1 RMSNorm weights, which readers always keep dense. */
    public static boolean isNorm(String name) {
        return name.equals(NORM) || name.endsWith("_norm");
    }

    /**
     * Returns every tensor a model with {@code config} needs, mapped to its shape, in the canonical order:
     * embedding, then per layer attention norm, wq, wk, wv, wo, ffn norm, w1, w2, w3, then the final norm and
     * the output head when it is not tied.
     */
    public static Map<String, int[]> expectedShapes(ModelConfig config) {
        int c = config.dim();
        int qDim = config.heads() * config.headDim();
        int kvDim = config.kvDim();
        int f = config.hiddenDim();
        Map<String, int[]> shapes = new LinkedHashMap<>();
        shapes.put(TOK_EMBEDDINGS, new int[] {config.vocabSize(), c});
        for (int l = 0; l < config.layers(); l++) {
            shapes.put(attentionNorm(l), new int[] {c});
            shapes.put(wq(l), new int[] {qDim, c});
            shapes.put(wk(l), new int[] {kvDim, c});
            shapes.put(wv(l), new int[] {kvDim, c});
            shapes.put(wo(l), new int[] {c, qDim});
            shapes.put(ffnNorm(l), new int[] {c});
            shapes.put(w1(l), new int[] {f, c});
            shapes.put(w2(l), new int[] {c, f});
            shapes.put(w3(l), new int[] {f, c});
        }
        shapes.put(NORM, new int[] {c});
        if (!config.tiedEmbeddings()) {
            shapes.put(OUTPUT, new int[] {config.vocabSize(), c});
        }
        return shapes;
    }
}
