package org.gkd4j.tensor.kernels;

/**
 * Selects the process-wide backend: {@code -Dgkd4j.backend=vector} (default) or {@code scalar}.
 */
public final class Backends {

    private static volatile Backend current = create(System.getProperty("gkd4j.backend", "vector"));

    private Backends() {
    }

    public static Backend current() {
        return current;
    }

    /** Replaces the process-wide backend, for tests and benchmarks that compare backends. */
    public static void use(Backend backend) {
        current = backend;
    }

    /** Creates a backend by name: "vector" or "scalar". */
    public static Backend create(String name) {
        return switch (name) {
            case "vector" -> new VectorBackend();
            case "scalar" -> new ScalarBackend();
            default -> throw new IllegalArgumentException("unknown backend '" + name
                    + "': set -Dgkd4j.backend to vector or scalar");
        };
    }
}
