package org.gkd4j.gkd.reward;

/** A scalar score of a sampled completion, maximised by the REINFORCE term of reward-augmented distillation. */
@FunctionalInterface
public interface Reward {

    /** Scores {@code completion} as a continuation of {@code prompt}; higher is better. */
    double score(String prompt, String completion);
}
