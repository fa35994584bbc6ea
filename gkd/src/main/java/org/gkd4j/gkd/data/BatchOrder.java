package org.gkd4j.gkd.data;

import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;

/**
 * The order in which training examples are drawn: a fresh seeded permutation each epoch. The whole state is one
 * cursor (examples drawn so far), so a resumed run continues with exactly the examples it would have drawn.
 */
public final class BatchOrder {

    private final List<Example> examples;
    private final long seed;
    private long cursor;
    private long permutationEpoch = -1;
    private int[] permutation;

    public BatchOrder(List<Example> examples, long seed) {
        if (examples.isEmpty()) {
            throw new IllegalArgumentException("BatchOrder: no training examples");
        }
        this.examples = List.copyOf(examples);
        this.seed = seed;
    }

    /** Returns the next {@code size} examples, crossing into the next epoch's permutation when one runs out. */
    public List<Example> next(int size) {
        List<Example> batch = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            long epoch = cursor / examples.size();
            int index = (int) (cursor % examples.size());
            batch.add(examples.get(permutation(epoch)[index]));
            cursor++;
        }
        return batch;
    }

    /** Number of examples drawn so far. */
    public long cursor() {
        return cursor;
    }

    /** Moves to a cursor saved by a checkpoint. */
    public void seek(long position) {
        if (position < 0) {
            throw new IllegalArgumentException("BatchOrder: cursor " + position + " must not be negative");
        }
        cursor = position;
    }

    private int[] permutation(long epoch) {
        if (epoch != permutationEpoch) {
            int n = examples.size();
            permutation = new int[n];
            for (int i = 0; i < n; i++) {
                permutation[i] = i;
            }
            SplittableRandom random = new SplittableRandom(seed * 1_000_003L + epoch);
            for (int i = n - 1; i > 0; i--) {
                int j = random.nextInt(i + 1);
                int swap = permutation[i];
                permutation[i] = permutation[j];
                permutation[j] = swap;
            }
            permutationEpoch = epoch;
        }
        return permutation;
    }
}
