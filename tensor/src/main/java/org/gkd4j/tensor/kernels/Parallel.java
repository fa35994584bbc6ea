package org.gkd4j.tensor.kernels;

import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.IntConsumer;

/**
 * The one dedicated thread pool that kernels split their work across. Its size comes from
 * {@code -Dgkd4j.threads} (default: available processors) and can be changed with {@link #setThreads}.
 *
 * <p>Work is split by static partitioning: {@link #forEach} gives participant p the contiguous block of task
 * indices {@code [p·tasks/P, (p+1)·tasks/P)} with P = min(threads, tasks), and {@link #forRange} cuts [0, n) into
 * {@link #parts} contiguous ranges that depend only on n, the grain and the thread count. A kernel that keeps one
 * partial result per part and combines the parts in index order is therefore bitwise reproducible for a given
 * thread count, whichever thread happens to run which part.
 *
 * <p>The calling thread runs part 0 itself and the pool's daemon workers run the rest. A call made from inside a
 * pool task (nested parallelism) runs all of its tasks inline on the current thread, so it can never deadlock.
 * Calls from several application threads at once take turns on the pool.
 */
public final class Parallel {

    /** A task over the index range [start, end). */
    @FunctionalInterface
    public interface RangeTask {
        void run(int start, int end);
    }

    // spin iterations before a waiting thread parks: a few microseconds, so that back-to-back kernels do not pay
    // the park/unpark latency, while an idle pool costs no CPU
    private static final int SPIN_ITERATIONS = 4096;

    private static final ReentrantLock POOL_LOCK = new ReentrantLock();
    private static volatile int threads = initialThreads();
    private static Worker[] workers = new Worker[0];

    private Parallel() {
    }

    private static int initialThreads() {
        int requested = Integer.getInteger("gkd4j.threads", Runtime.getRuntime().availableProcessors());
        if (requested < 1) {
            throw new IllegalArgumentException("-Dgkd4j.threads must be at least 1, got " + requested);
        }
        return requested;
    }

    /** Returns the number of threads that kernels split their work across, the caller included. */
    public static int threads() {
        return threads;
    }

    /** Resizes the pool to {@code count} threads (the caller included); waits for a running call to finish. */
    public static void setThreads(int count) {
        if (count < 1) {
            throw new IllegalArgumentException("Parallel.setThreads: threads must be at least 1, got " + count);
        }
        if (inParallelTask()) {
            throw new IllegalStateException("Parallel.setThreads: called from inside a parallel task; resize the"
                    + " pool between kernel calls");
        }
        POOL_LOCK.lock();
        try {
            threads = count;
            for (Worker worker : workers) {
                worker.stopped = true;
                LockSupport.unpark(worker);
            }
            workers = new Worker[0];
        } finally {
            POOL_LOCK.unlock();
        }
    }

    /** Returns true on a pool worker thread or on a caller that is running its own share of a parallel call. */
    public static boolean inParallelTask() {
        return Thread.currentThread() instanceof Worker || POOL_LOCK.isHeldByCurrentThread();
    }

    // ---------------------------------------------------------------- partitioning

    /** Returns how many parts {@link #forRange} cuts [0, n) into: min(threads, ceil(n / grain)), at least 1. */
    public static int parts(int n, int grain) {
        int byGrain = (int) Math.min(Integer.MAX_VALUE, ((long) n + Math.max(grain, 1) - 1) / Math.max(grain, 1));
        return Math.max(1, Math.min(threads, byGrain));
    }

    /** Returns the first index of part {@code part} of [0, n) cut into {@code parts} contiguous ranges. */
    public static int partStart(int part, int parts, int n) {
        return (int) ((long) part * n / parts);
    }

    // ---------------------------------------------------------------- parallel loops

    /**
     * Runs {@code task.accept(i)} for every i in [0, tasks) across the pool and returns when all are done.
     * The first exception thrown by a task is rethrown here after every participant has stopped.
     */
    public static void forEach(int tasks, IntConsumer task) {
        if (tasks <= 0) {
            return;
        }
        int participants = Math.min(threads, tasks);
        run(participants, part -> {
            int end = partStart(part + 1, participants, tasks);
            for (int i = partStart(part, participants, tasks); i < end; i++) {
                task.accept(i);
            }
        });
    }

    /**
     * Runs {@code task.run(start, end)} over {@link #parts}(n, grain) contiguous ranges covering [0, n), one range
     * per participant, and returns when all are done.
     */
    public static void forRange(int n, int grain, RangeTask task) {
        if (n <= 0) {
            return;
        }
        int parts = parts(n, grain);
        run(parts, part -> task.run(partStart(part, parts, n), partStart(part + 1, parts, n)));
    }

    /** Runs {@code body.accept(p)} for participants p in [0, participants), each on its own thread when possible. */
    private static void run(int participants, IntConsumer body) {
        if (participants == 1 || inParallelTask()) {
            runInline(participants, body);
            return;
        }
        POOL_LOCK.lock();
        try {
            Worker[] pool = ensureWorkers(participants - 1);
            Job job = new Job(body, participants - 1, Thread.currentThread());

            // hand parts 1.. to the workers, then run part 0 here
            for (int p = 1; p < participants; p++) {
                pool[p - 1].post(job, p);
            }
            try {
                body.accept(0);
            } catch (Throwable failure) {
                job.fail(failure);
            }

            job.awaitWorkers();
            job.rethrow();
        } finally {
            POOL_LOCK.unlock();
        }
    }

    private static void runInline(int participants, IntConsumer body) {
        for (int p = 0; p < participants; p++) {
            body.accept(p);
        }
    }

    /** Returns the worker array, grown to at least {@code count} workers; the caller holds the pool lock. */
    private static Worker[] ensureWorkers(int count) {
        if (workers.length < count) {
            Worker[] grown = java.util.Arrays.copyOf(workers, count);
            for (int i = workers.length; i < count; i++) {
                grown[i] = new Worker(i + 1);
                grown[i].start();
            }
            workers = grown;
        }
        return workers;
    }

    // ---------------------------------------------------------------- job and workers

    /** One parallel call: the body, the count of worker parts still running and the first failure. */
    private static final class Job {
        final IntConsumer body;
        final AtomicInteger remaining;
        final Thread caller;
        volatile Throwable failure;

        Job(IntConsumer body, int workerParts, Thread caller) {
            this.body = body;
            this.remaining = new AtomicInteger(workerParts);
            this.caller = caller;
        }

        void fail(Throwable t) {
            synchronized (this) {
                if (failure == null) {
                    failure = t;
                }
            }
        }

        void partDone() {
            if (remaining.decrementAndGet() == 0) {
                LockSupport.unpark(caller);
            }
        }

        void awaitWorkers() {
            int spins = 0;
            while (remaining.get() > 0) {
                if (spins < SPIN_ITERATIONS) {
                    spins++;
                    Thread.onSpinWait();
                } else {
                    LockSupport.park(this);
                }
            }
        }

        void rethrow() {
            Throwable t = failure;
            if (t instanceof RuntimeException runtime) {
                throw runtime;
            }
            if (t instanceof Error error) {
                throw error;
            }
            if (t != null) {
                throw new IllegalStateException("Parallel: a task failed", t);
            }
        }
    }

    /** A daemon pool thread that waits for a posted job part, runs it and reports back. */
    private static final class Worker extends Thread {
        private volatile Job job;
        private volatile int part;
        volatile boolean stopped;

        Worker(int index) {
            super("gkd4j-parallel-" + index);
            setDaemon(true);
        }

        void post(Job posted, int postedPart) {
            part = postedPart;
            job = posted;
            LockSupport.unpark(this);
        }

        @Override
        public void run() {
            int spins = 0;
            while (!stopped) {
                Job current = job;
                if (current == null) {
                    if (spins < SPIN_ITERATIONS) {
                        spins++;
                        Thread.onSpinWait();
                    } else {
                        LockSupport.park(this);
                    }
                    continue;
                }
                spins = 0;
                job = null;
                try {
                    current.body.accept(part);
                } catch (Throwable failure) {
                    current.fail(failure);
                }
                current.partDone();
            }
        }
    }
}
