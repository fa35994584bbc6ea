package org.gkd4j.gkd.train;

/** Raised when a step's loss or gradient norm is NaN or infinite; the run stops and keeps its last checkpoint. */
public final class TrainingDivergedException extends RuntimeException {

    public TrainingDivergedException(String message) {
        super(message);
    }
}
