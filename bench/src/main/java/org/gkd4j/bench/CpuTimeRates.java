package org.gkd4j.bench;

import com.sun.management.OperatingSystemMXBean;
import java.lang.management.ManagementFactory;
import java.util.Locale;

/**
 * Runs {@link MatmulBench#matmul} and divides the GFLOP done by the CPU time the process received instead of wall
 * time. On a machine shared with other work, wall-time rates mostly measure the load. The rate per CPU-second still
 * compares two kernels fairly, but it cannot show stalls caused by other processes (such as cache misses).
 * With several threads it is the rate per busy core. Run: {@code java --add-modules jdk.incubator.vector
 * -cp bench/target/benchmarks.jar org.gkd4j.bench.CpuTimeRates 1024x1024x1024 NN 1}, or
 * scripts/bench-matmul-cputime.sh for a table against OpenBLAS.
 */
public final class CpuTimeRates {

    private static final OperatingSystemMXBean OS =
            (OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();

    private CpuTimeRates() {
    }

    /** Warms up for 3 CPU-seconds, then prints the best of 5 rounds of at least 0.5 CPU-seconds each. */
    public static void main(String[] args) {
        if (args.length != 3) {
            System.err.println("usage: CpuTimeRates MxKxN NN|NT|TN THREADS");
            System.exit(2);
        }
        MatmulBench bench = new MatmulBench();
        bench.shape = args[0];
        bench.layout = args[1];
        bench.threads = Integer.parseInt(args[2]);
        bench.setUp();
        MatmulBench.Rate rate = new MatmulBench.Rate();

        // warm-up in CPU time, because under load a wall-time warm-up may end before the JIT has compiled the kernel
        long warmStart = OS.getProcessCpuTime();
        while (OS.getProcessCpuTime() - warmStart < 3_000_000_000L) {
            bench.matmul(rate);
        }

        double best = 0;
        for (int round = 0; round < 5; round++) {
            rate.reset();
            long cpuStart = OS.getProcessCpuTime();
            while (OS.getProcessCpuTime() - cpuStart < 500_000_000L) {
                bench.matmul(rate);
            }
            double seconds = (OS.getProcessCpuTime() - cpuStart) / 1e9;
            best = Math.max(best, rate.gflops / seconds);
        }
        System.out.printf(Locale.ROOT, "{\"shape\": \"%s\", \"layout\": \"%s\", \"threads\": %s, "
                + "\"gflop_per_cpu_second\": %.1f}%n", args[0], args[1], args[2], best);
    }
}
