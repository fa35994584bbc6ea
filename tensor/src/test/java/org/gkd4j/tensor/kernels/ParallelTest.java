package org.gkd4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

class ParallelTest {

    private final int savedThreads = Parallel.threads();

    @AfterEach
    void restoreThreads() {
        Parallel.setThreads(savedThreads);
    }

    @Test
    void forEachRunsEveryTaskOnce() {
        for (int threads : new int[] {1, 2, 3}) {
            Parallel.setThreads(threads);
            int[] counts = new int[1000];
            Parallel.forEach(counts.length, i -> counts[i]++);
            for (int i = 0; i < counts.length; i++) {
                assertEquals(1, counts[i], "task " + i + " with " + threads + " threads");
            }
        }
    }

    @Test
    void forEachUsesSeveralThreads() {
        Parallel.setThreads(2);
        ConcurrentHashMap<Thread, Boolean> seen = new ConcurrentHashMap<>();
        Parallel.forEach(2, i -> seen.put(Thread.currentThread(), true));
        assertEquals(2, seen.size());
        assertTrue(seen.containsKey(Thread.currentThread()), "the caller runs part 0");
    }

    @Test
    void forRangeCoversRangeWithStaticParts() {
        Parallel.setThreads(3);
        int n = 100;
        int[] owner = new int[n];
        AtomicInteger calls = new AtomicInteger();
        Parallel.forRange(n, 10, (start, end) -> {
            int call = calls.incrementAndGet();
            for (int i = start; i < end; i++) {
                owner[i] += 1;
            }
            assertTrue(call <= 3);
        });
        assertEquals(3, calls.get());
        for (int i = 0; i < n; i++) {
            assertEquals(1, owner[i], "index " + i);
        }
        // parts are [0, 33), [33, 66), [66, 100)
        assertEquals(0, Parallel.partStart(0, 3, n));
        assertEquals(33, Parallel.partStart(1, 3, n));
        assertEquals(66, Parallel.partStart(2, 3, n));
        assertEquals(100, Parallel.partStart(3, 3, n));
    }

    @Test
    void partsRespectGrainAndThreads() {
        Parallel.setThreads(4);
        assertEquals(1, Parallel.parts(5, 10));
        assertEquals(2, Parallel.parts(11, 10));
        assertEquals(4, Parallel.parts(1000, 10));
        assertEquals(1, Parallel.parts(0, 10));
    }

    @Test
    void nestedCallsRunInline() {
        Parallel.setThreads(2);
        int[][] counts = new int[4][8];
        Parallel.forEach(4, i -> Parallel.forEach(8, j -> counts[i][j]++));
        for (int[] row : counts) {
            assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1}, row);
        }
    }

    @Test
    void taskExceptionIsRethrown() {
        Parallel.setThreads(2);
        IllegalStateException thrown = assertThrows(IllegalStateException.class,
                () -> Parallel.forEach(10, i -> {
                    if (i == 7) {
                        throw new IllegalStateException("task 7 failed");
                    }
                }));
        assertEquals("task 7 failed", thrown.getMessage());
        // the pool still works afterwards
        int[] counts = new int[10];
        Parallel.forEach(10, i -> counts[i]++);
        assertArrayEquals(new int[] {1, 1, 1, 1, 1, 1, 1, 1, 1, 1}, counts);
    }

    @Test
    void setThreadsRejectsZero() {
        assertThrows(IllegalArgumentException.class, () -> Parallel.setThreads(0));
    }

    @Test
    void concurrentCallersTakeTurns() throws InterruptedException {
        Parallel.setThreads(2);
        long[] sums = new long[4];
        Thread[] callers = new Thread[4];
        for (int t = 0; t < callers.length; t++) {
            int caller = t;
            callers[t] = new Thread(() -> {
                for (int rep = 0; rep < 50; rep++) {
                    long[] partial = new long[2];
                    Parallel.forEach(2, part -> {
                        for (int i = part * 500; i < part * 500 + 500; i++) {
                            partial[part] += i;
                        }
                    });
                    sums[caller] += partial[0] + partial[1];
                }
            });
            callers[t].start();
        }
        for (Thread caller : callers) {
            caller.join();
        }
        for (long sum : sums) {
            assertEquals(50L * 999 * 1000 / 2, sum);
        }
    }

    @Test
    void errorIsRethrownUnchanged() {
        Parallel.setThreads(2);
        Error error = new AssertionError("boom");
        Error thrown = assertThrows(AssertionError.class, () -> Parallel.forEach(2, i -> {
            if (i == 1) {
                throw error;
            }
        }));
        assertSame(error, thrown);
    }
}
