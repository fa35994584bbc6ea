package org.gkd4j.gkd.train;

import java.io.PrintStream;
import java.util.Locale;

/**
 * The training progress line: step, loss, tokens/s and ETA. On a terminal it redraws one line with a carriage
 * return; otherwise (a log file, a pipe) it prints a full line every {@code lineEvery} steps.
 */
public final class ProgressBar {

    private static final int BAR_WIDTH = 24;

    private final PrintStream out;
    private final int totalSteps;
    private final boolean terminal;
    private final int lineEvery;
    /** Steps timed (after the first) before an ETA is shown. */
    static final int ETA_AFTER_STEPS = 3;

    private long firstStepEndNanos = System.nanoTime();
    private final int firstStep;

    public ProgressBar(PrintStream out, int firstStep, int totalSteps, boolean terminal, int lineEvery) {
        this.out = out;
        this.firstStep = firstStep;
        this.totalSteps = totalSteps;
        this.terminal = terminal;
        this.lineEvery = Math.max(1, lineEvery);
    }

    /** Returns true when stderr is an interactive terminal (System.console() alone also reports a redirected stderr). */
    public static boolean stderrIsTerminal() {
        return System.console() != null && System.console().isTerminal() && System.getenv("TERM") != null;
    }

    public void update(int step, double loss, double tokensPerSecond) {
        // ETA from the steps after the first (which pays for JIT warm-up and the step 0 evaluation), once a few
        // of them have been timed
        long now = System.nanoTime();
        int done = step - firstStep;
        if (done == 1) {
            firstStepEndNanos = now;
        }
        double eta = done > ETA_AFTER_STEPS
                ? (now - firstStepEndNanos) / 1e9 / (done - 1) * (totalSteps - step) : Double.NaN;
        String line = format(step, loss, tokensPerSecond, eta);
        if (terminal) {
            out.print('\r' + line);
            if (step == totalSteps) {
                out.println();
            }
            out.flush();
        } else if (step % lineEvery == 0 || step == totalSteps || step == firstStep + 1) {
            out.println(line);
        }
    }

    /** Prints a line (an evaluation summary) without breaking the redrawn bar. */
    public void println(String text) {
        out.println(terminal ? '\r' + text + " ".repeat(20) : text);
    }

    String format(int step, double loss, double tokensPerSecond, double etaSeconds) {
        int filled = (int) Math.round(BAR_WIDTH * step / (double) totalSteps);
        String bar = "#".repeat(filled) + ".".repeat(BAR_WIDTH - filled);
        return String.format(Locale.ROOT, "[%s] step %d/%d  loss %.4f  %.0f tok/s  ETA %s",
                bar, step, totalSteps, loss, tokensPerSecond, formatDuration(etaSeconds));
    }

    static String formatDuration(double seconds) {
        if (Double.isNaN(seconds) || Double.isInfinite(seconds)) {
            return "--:--";
        }
        long s = Math.round(seconds);
        return String.format(Locale.ROOT, "%d:%02d", s / 60, s % 60);
    }
}
