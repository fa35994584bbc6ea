package org.gkd4j.gkd.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A deterministic split of the examples into a training part and a held-out part for evaluation: the same data
 * and seed always give the same split.
 *
 * @param train   examples the trainer draws batches from
 * @param heldOut examples only the evaluation sees
 */
public record DataSplit(List<Example> train, List<Example> heldOut) {

    /** Shuffles a copy of {@code examples} with {@code seed} and holds out the first {@code heldOutCount}. */
    public static DataSplit of(List<Example> examples, int heldOutCount, long seed) {
        if (heldOutCount < 0 || heldOutCount >= examples.size()) {
            throw new IllegalArgumentException("held-out split: " + heldOutCount + " held-out examples of "
                    + examples.size() + " leaves no training data; hold out fewer than " + examples.size());
        }
        List<Example> shuffled = new ArrayList<>(examples);
        SplittableRandom random = new SplittableRandom(seed);
        for (int i = shuffled.size() - 1; i > 0; i--) {
            int j = random.nextInt(i + 1);
            Example swap = shuffled.get(i);
            shuffled.set(i, shuffled.get(j));
            shuffled.set(j, swap);
        }
        return new DataSplit(List.copyOf(shuffled.subList(heldOutCount, shuffled.size())),
                List.copyOf(shuffled.subList(0, heldOutCount)));
    }
}
