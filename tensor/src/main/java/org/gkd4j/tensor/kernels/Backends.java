package org.gkd4j.tensor.kernels;

import jdk.incubator.vector.FloatVector;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Selects the process-wide backend: {@code -Dgkd4j.backend=vector} (default) or {@code scalar}. The first use
 * logs one start-up line with the JDK version, vector width, thread count and backend name.
 */
public final class Backends {

    private static final Logger LOG = LoggerFactory.getLogger(Backends.class);

    private static volatile Backend current;

    private Backends() {
    }

    /** Returns the process-wide backend, creating it from {@code -Dgkd4j.backend} on first use. */
    public static Backend current() {
        Backend backend = current;
        if (backend == null) {
            synchronized (Backends.class) {
                backend = current;
                if (backend == null) {
                    backend = create(System.getProperty("gkd4j.backend", "vector"));
                    current = backend;
                    logStartup(backend);
                }
            }
        }
        return backend;
    }

    /** Replaces the process-wide backend, for tests and benchmarks that compare backends. */
    public static void use(Backend backend) {
        if (backend == null) {
            throw new IllegalArgumentException("Backends.use: backend is null");
        }
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

    /** Returns the start-up line: JDK version, preferred vector width, kernel threads and backend name. */
    public static String describe(Backend backend) {
        return "gkd4j kernels: JDK " + Runtime.version() + ", vector width "
                + FloatVector.SPECIES_PREFERRED.vectorBitSize() + " bits, " + Parallel.threads() + " threads, backend "
                + backend.name();
    }

    private static void logStartup(Backend backend) {
        LOG.info(describe(backend));
    }
}
