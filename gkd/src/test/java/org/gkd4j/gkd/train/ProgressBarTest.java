package org.gkd4j.gkd.train;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class ProgressBarTest {

    @Test
    void etaIsHiddenUntilAFewStepsAfterTheFirstAreTimed() {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ProgressBar progress = new ProgressBar(new PrintStream(bytes, true, StandardCharsets.UTF_8), 40, 100, false, 1);
        for (int step = 41; step <= 45; step++) {
            progress.update(step, 1.0, 100.0);
        }
        String[] lines = bytes.toString(StandardCharsets.UTF_8).strip().split("\n");
        assertEquals(5, lines.length);
        for (int i = 0; i < ProgressBar.ETA_AFTER_STEPS; i++) {
            assertTrue(lines[i].endsWith("ETA --:--"), lines[i]);
        }
        assertFalse(lines[4].endsWith("ETA --:--"), lines[4]);
    }
}
