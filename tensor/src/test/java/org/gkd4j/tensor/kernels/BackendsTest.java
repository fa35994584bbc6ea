package org.gkd4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import org.junit.jupiter.api.Test;

class BackendsTest {

    @Test
    void createSelectsBackendByName() {
        assertEquals("scalar", Backends.create("scalar").name());
        assertEquals("vector", Backends.create("vector").name());
    }

    @Test
    void createRejectsUnknownName() {
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> Backends.create("gpu"));
        assertTrue(error.getMessage().contains("'gpu'"), error.getMessage());
        assertTrue(error.getMessage().contains("-Dgkd4j.backend"), error.getMessage());
    }

    @Test
    void currentFollowsSystemProperty() {
        String expected = System.getProperty("gkd4j.backend", "vector");
        assertEquals(expected, Backends.current().name());
    }

    @Test
    void describeNamesJdkWidthThreadsAndBackend() {
        String line = Backends.describe(new ScalarBackend());
        assertTrue(line.contains("JDK " + Runtime.version().feature()), line);
        assertTrue(line.matches(".*vector width \\d+ bits, \\d+ threads, backend scalar"), line);
    }
}
