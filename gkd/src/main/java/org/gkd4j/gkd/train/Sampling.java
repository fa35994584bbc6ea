package org.gkd4j.gkd.train;

import java.util.ArrayList;
import java.util.List;
import org.gkd4j.model.Transformer;
import org.gkd4j.model.sampling.Generation;
import org.gkd4j.model.sampling.Generator;
import org.gkd4j.model.sampling.SamplingOptions;
import org.gkd4j.tensor.autograd.Tape;

/**
 * Samples completions from a model with its KV-cache generator, outside the autograd graph: no gradient flows
 * through sampling. The generator reads the model's live weights, so one instance follows the student as it trains.
 */
public final class Sampling implements AutoCloseable {

    private final Generator generator;
    private final TrainConfig config;
    private final int stopToken;

    public Sampling(Transformer model, TrainConfig config, int stopToken, int threads) {
        this.generator = new Generator(model, null, Math.max(1, config.batchSize()), threads);
        this.config = config;
        this.stopToken = stopToken;
    }

    /** Samples one completion per prompt with the run's temperature, top-k, top-p and maxNewTokens. */
    public List<int[]> sample(List<int[]> prompts, long seed) {
        SamplingOptions options = new SamplingOptions((float) config.temperature(), config.topK(),
                (float) config.topP(), seed, config.maxNewTokens(), stopToken);
        Generation[] generations;
        try (Tape.Scope ignored = Tape.noGrad()) {
            generations = generator.generate(prompts.toArray(int[][]::new), options);
        }
        List<int[]> completions = new ArrayList<>(generations.length);
        for (Generation generation : generations) {
            completions.add(generation.tokens());
        }
        return completions;
    }

    @Override
    public void close() {
        generator.close();
    }
}
