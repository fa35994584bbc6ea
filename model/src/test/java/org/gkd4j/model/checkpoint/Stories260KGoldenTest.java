package org.gkd4j.model.checkpoint;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;

import java.util.Arrays;
import org.gkd4j.model.Transformer;
import org.gkd4j.model.sampling.Generation;
import org.gkd4j.model.sampling.Generator;
import org.gkd4j.model.sampling.SamplingOptions;
import org.junit.jupiter.api.Test;

/**
 * End-to-end check of the readers: greedy decoding from BOS must give the token ids that an independent numpy
 * implementation of llama2.c's forward pass produced from stories260K.bin ("Once upon a time, there was a little
 * girl named Lily. ..." as in llama2.c's doc/stories260K.md).
 */
class Stories260KGoldenTest {

    private static final int BOS = 1;
    private static final int[] GREEDY = {403, 407, 261, 378, 432, 383, 286, 261, 376, 298, 315, 421, 395, 317, 426,
        338, 401, 396, 267, 337, 410, 408, 419, 292, 411, 322, 265, 282, 295, 433, 426, 385, 328, 432, 358, 394, 261,
        370, 432, 352, 266, 268, 388, 426, 338, 391, 266, 267, 337, 335, 312, 432, 398, 312, 286, 267, 414, 270, 333,
        415, 426, 13, 438, 310};

    @Test
    void fp32GreedyTokensMatchReference() {
        ModelWeights weights = Checkpoints.stories260K();
        Transformer model = Transformer.fromTensors(weights.config(), weights.denseTensors());
        try (Generator generator = new Generator(model)) {
            Generation generation = generator.generate(new int[][] {{BOS}},
                    SamplingOptions.greedy(GREEDY.length, -1))[0];
            assertArrayEquals(GREEDY, generation.tokens());
        }
    }

    @Test
    void q8GreedyStartMatchesFp32() {
        // quantization makes the text drift after about two sentences; the first sentence must agree
        ModelWeights q8 = Checkpoints.stories260KQ8();
        Transformer model = Transformer.fromTensors(q8.config(), q8.dequantizeAll().denseTensors());
        try (Generator generator = new Generator(model, q8.quantizedTensors(), 1, 1)) {
            Generation generation = generator.generate(new int[][] {{BOS}}, SamplingOptions.greedy(16, -1))[0];
            assertArrayEquals(Arrays.copyOf(GREEDY, 16), generation.tokens());
        }
    }
}
