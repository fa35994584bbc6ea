package org.gkd4j.gkd.reward;

/** Reward for a completion close to a target length in characters: 1 − |length − target| / target, at least −1. */
public record LengthReward(int targetChars) implements Reward {

    public LengthReward {
        if (targetChars <= 0) {
            throw new IllegalArgumentException("length reward: target " + targetChars
                    + " characters must be positive; use --reward length:N");
        }
    }

    @Override
    public double score(String prompt, String completion) {
        double distance = Math.abs(completion.strip().length() - targetChars) / (double) targetChars;
        return Math.max(-1, 1 - distance);
    }
}
