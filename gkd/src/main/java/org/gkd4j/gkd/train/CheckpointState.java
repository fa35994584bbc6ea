package org.gkd4j.gkd.train;

import com.fasterxml.jackson.annotation.JsonProperty;

/**
 * The trainer's position saved beside the weights, so that a resumed run continues bit for bit.
 *
 * @param step           optimizer steps done
 * @param rngState       state of the {@link TrainRandom} stream after that step
 * @param dataCursor     training examples drawn so far
 * @param rewardBaseline the REINFORCE running-mean baseline, NaN before the first reward
 */
public record CheckpointState(@JsonProperty("step") int step,
                              @JsonProperty("rng_state") long rngState,
                              @JsonProperty("data_cursor") long dataCursor,
                              @JsonProperty("reward_baseline") double rewardBaseline) {
}
