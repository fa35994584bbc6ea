package org.gkd4j.tensor.kernels;

import com.sun.management.HotSpotDiagnosticMXBean;
import java.lang.management.ManagementFactory;

/**
 * Reads the HotSpot flags that decide how C2 compiles the GEMM loops, so that {@link VectorMatmul} can pick the
 * register tile that runs fastest under them.
 */
final class HotSpotFlags {

    private HotSpotFlags() {
    }

    /**
     * Returns whether C2 strip-mines counted loops: it does when the VM keeps safepoint polls in counted loops
     * (UseCountedLoopSafepoints) and cuts them into strips (LoopStripMiningIter &gt; 1). That is the default with
     * G1, ZGC and Shenandoah, but not with the Parallel and Serial collectors. Returns false on a VM that is not
     * HotSpot or does not report the flags.
     */
    static boolean stripMinesCountedLoops() {
        try {
            HotSpotDiagnosticMXBean vm = ManagementFactory.getPlatformMXBean(HotSpotDiagnosticMXBean.class);
            if (vm == null) {
                return false;
            }
            boolean safepoints = Boolean.parseBoolean(vm.getVMOption("UseCountedLoopSafepoints").getValue());
            long strip = Long.parseLong(vm.getVMOption("LoopStripMiningIter").getValue());
            return safepoints && strip > 1;
        } catch (RuntimeException | LinkageError unavailable) {
            return false;
        }
    }
}
