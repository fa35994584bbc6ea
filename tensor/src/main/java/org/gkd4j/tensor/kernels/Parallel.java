package org.gkd4j.tensor.kernels;

/**
 * The one dedicated thread pool that kernels split their work across. Its size comes from
 * {@code -Dgkd4j.threads} (default: available processors) and can be changed with {@link #setThreads}.
 */
public final class Parallel {

    private static volatile int threads = Integer.getInteger("gkd4j.threads",
            Runtime.getRuntime().availableProcessors());

    private Parallel() {
    }

    public static int threads() {
        return threads;
    }

    public static void setThreads(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("threads must be at least 1, got " + count);
        }
        threads = count;
    }
}
