package org.gkd4j.gkd.data;

/**
 * One training or evaluation example: a prompt and, when the data has one, the completion to learn from.
 *
 * @param prompt     the text the model continues
 * @param completion the reference continuation, or null when the data gives only prompts (then the trainer
 *                   needs on-policy or teacher samples for it)
 */
public record Example(String prompt, String completion) {

    public Example {
        if (prompt == null) {
            throw new IllegalArgumentException("Example: prompt is null; every example needs a prompt");
        }
    }

    public boolean hasCompletion() {
        return completion != null;
    }
}
