package org.gkd4j.model.sampling;

/**
 * The tokens generated for one prompt.
 *
 * @param tokens           generated ids, prompt excluded, the stop token included when it was sampled
 * @param logprobs         log p(token) under the model itself: log-softmax of the raw logits (temperature 1, whole
 *                         vocabulary), the quantity distillation needs
 * @param sampledLogprobs  log q(token) under the distribution actually sampled from, after temperature, top-k and
 *                         top-p and renormalisation; 0 for greedy decoding, which picks its token with probability 1
 * @param stopped          true when the sequence ended by sampling the stop token
 */
public record Generation(int[] tokens, float[] logprobs, float[] sampledLogprobs, boolean stopped) {

    public int length() {
        return tokens.length;
    }
}
