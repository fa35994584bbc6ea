package org.gkd4j.gkd.train;

import java.util.List;

/**
 * Prompts and completions packed into one right-padded batch [B, T] for a training forward pass. Position t of
 * row b predicts token t+1, so the loss positions are the last prompt position through the second-to-last
 * completion position: {@code targets[b·T + t]} is the completion token at t+1 there and −1 elsewhere.
 */
public final class SequenceBatch {

    private final int batch;
    private final int time;
    private final int[] ids;
    private final boolean[] keyMask;
    private final int[] targets;
    private final int[] completionLengths;
    private final List<int[]> prompts;
    private final List<int[]> completions;

    /** Packs prompts (BOS first) and their completions; each row must hold at least one token. */
    public SequenceBatch(List<int[]> prompts, List<int[]> completions) {
        if (prompts.size() != completions.size() || prompts.isEmpty()) {
            throw new IllegalArgumentException("SequenceBatch: " + prompts.size() + " prompts and "
                    + completions.size() + " completions; need the same positive number of each");
        }
        this.prompts = List.copyOf(prompts);
        this.completions = List.copyOf(completions);
        this.batch = prompts.size();
        int longest = 1;
        for (int b = 0; b < batch; b++) {
            longest = Math.max(longest, prompts.get(b).length + completions.get(b).length);
        }
        this.time = longest;
        this.ids = new int[batch * time];
        this.keyMask = new boolean[batch * time];
        this.targets = new int[batch * time];
        this.completionLengths = new int[batch];
        java.util.Arrays.fill(targets, -1);

        // copy each row, mark its real tokens and the positions that predict a completion token
        for (int b = 0; b < batch; b++) {
            int[] prompt = prompts.get(b);
            int[] completion = completions.get(b);
            if (prompt.length == 0) {
                throw new IllegalArgumentException("SequenceBatch: prompt " + b + " is empty; it needs at least BOS");
            }
            int row = b * time;
            System.arraycopy(prompt, 0, ids, row, prompt.length);
            System.arraycopy(completion, 0, ids, row + prompt.length, completion.length);
            for (int t = 0; t < prompt.length + completion.length; t++) {
                keyMask[row + t] = true;
            }
            for (int j = 0; j < completion.length; j++) {
                targets[row + prompt.length - 1 + j] = completion[j];
            }
            completionLengths[b] = completion.length;
        }
    }

    public int batch() {
        return batch;
    }

    public int time() {
        return time;
    }

    /** Token ids [B·T], padded with 0. */
    public int[] ids() {
        return ids;
    }

    /** True for real tokens [B·T]. */
    public boolean[] keyMask() {
        return keyMask;
    }

    /** Next completion token at each loss position, −1 elsewhere [B·T]. */
    public int[] targets() {
        return targets;
    }

    /** Number of completion tokens (loss positions) of row b. */
    public int completionLength(int b) {
        return completionLengths[b];
    }

    /** Total loss positions of the batch. */
    public int lossPositions() {
        int total = 0;
        for (int length : completionLengths) {
            total += length;
        }
        return total;
    }

    public List<int[]> prompts() {
        return prompts;
    }

    public List<int[]> completions() {
        return completions;
    }

    /**
     * Returns the loss weight of every position [B·T] for one micro-batch of an optimizer step, so that the sum of
     * the weighted per-position losses over all micro-batches is the step's reduction.
     *
     * @param reduction      token-mean (1 / loss positions of the step), sequence-mean (1 / (row length · rows of
     *                       the step)) or sum (1)
     * @param stepPositions  loss positions over every micro-batch of the step, counted after sampling
     * @param stepSequences  rows with at least one loss position over every micro-batch of the step
     */
    public float[] positionWeights(String reduction, int stepPositions, int stepSequences) {
        float[] weights = new float[batch * time];
        for (int b = 0; b < batch; b++) {
            if (completionLengths[b] == 0) {
                continue;
            }
            float weight = switch (reduction) {
                case "token-mean" -> 1f / stepPositions;
                case "sequence-mean" -> 1f / ((float) completionLengths[b] * stepSequences);
                case "sum" -> 1f;
                default -> throw new IllegalArgumentException("reduction '" + reduction
                        + "' is invalid: use token-mean, sequence-mean or sum");
            };
            for (int t = 0; t < time; t++) {
                if (targets[b * time + t] >= 0) {
                    weights[b * time + t] = weight;
                }
            }
        }
        return weights;
    }

    /** Rows with at least one loss position. */
    public int sequencesWithLoss() {
        int count = 0;
        for (int length : completionLengths) {
            count += length > 0 ? 1 : 0;
        }
        return count;
    }
}
