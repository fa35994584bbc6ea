package org.gkd4j.tensor.kernels;

import java.util.Arrays;

import org.gkd4j.tensor.Tensor;

/**
 * Argument checks shared by the {@link Kernels} facade. Each throws an IllegalArgumentException whose message
 * starts with the op name, shows the offending shapes or values, and states what was expected.
 */
final class KernelChecks {

    private KernelChecks() {
    }

    static void notNull(String op, String name, Object value) {
        if (value == null) {
            throw new IllegalArgumentException(op + ": " + name + " is null");
        }
    }

    static void sameSize(String op, String nameA, Tensor a, String nameB, Tensor b) {
        notNull(op, nameA, a);
        notNull(op, nameB, b);
        if (a.size() != b.size()) {
            throw new IllegalArgumentException(op + ": " + nameA + " " + a.shapeString() + " and " + nameB + " "
                    + b.shapeString() + " must have the same number of elements (" + a.size() + " vs " + b.size() + ")");
        }
    }

    /** Checks that {@code other} has as many elements as {@code x} and has the same last dimension. */
    static void sameRows(String op, String nameX, Tensor x, String nameOther, Tensor other) {
        sameSize(op, nameX, x, nameOther, other);
        if (x.dim(-1) != other.dim(-1)) {
            throw new IllegalArgumentException(op + ": " + nameOther + " " + other.shapeString()
                    + " must have the last dimension of " + nameX + " " + x.shapeString());
        }
    }

    static void size(String op, String name, Tensor t, int expected, String meaning) {
        notNull(op, name, t);
        if (t.size() != expected) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.shapeString() + " has " + t.size()
                    + " elements but " + expected + " were expected (" + meaning + ")");
        }
    }

    static void rank(String op, String name, Tensor t, int expected, String letters) {
        notNull(op, name, t);
        if (t.rank() != expected) {
            throw new IllegalArgumentException(op + ": " + name + " " + t.shapeString() + " has rank " + t.rank()
                    + " but must be " + letters);
        }
    }

    static void shape(String op, String name, Tensor t, int[] expected, String letters) {
        notNull(op, name, t);
        if (!Arrays.equals(t.shape(), expected)) {
            throw new IllegalArgumentException(op + ": " + name + " has shape " + t.shapeString() + " but must be "
                    + letters + " = " + Arrays.toString(expected));
        }
    }

    static void finiteNonNegative(String op, String name, float value) {
        if (!(value >= 0) || Float.isInfinite(value)) {
            throw new IllegalArgumentException(op + ": " + name + " is " + value + " but must be finite and >= 0");
        }
    }

    /** Checks every id in [0, vocabulary), or equal to {@code ignoreIndex} when {@code allowIgnore}. */
    static void ids(String op, String name, String itemName, int[] ids, int expectedLength, int vocabulary,
                    boolean allowIgnore, int ignoreIndex) {
        notNull(op, name, ids);
        if (ids.length != expectedLength) {
            throw new IllegalArgumentException(op + ": " + name + " has " + ids.length + " entries but "
                    + expectedLength + " were expected (one per row)");
        }
        for (int n = 0; n < ids.length; n++) {
            int id = ids[n];
            if ((id < 0 || id >= vocabulary) && !(allowIgnore && id == ignoreIndex)) {
                throw new IllegalArgumentException(op + ": " + itemName + " " + id + " at position " + n + " is out of range for vocabulary " + vocabulary
                        + (allowIgnore ? " (and is not the ignore index " + ignoreIndex + ")" : ""));
            }
        }
    }
}
