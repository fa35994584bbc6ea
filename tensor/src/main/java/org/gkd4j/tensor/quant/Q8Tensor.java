package org.gkd4j.tensor.quant;

/**
 * A matrix [rows, cols] in Q8_0: each group of {@code groupSize} consecutive values along a row is stored as
 * int8 values and one float scale, value ≈ scale · q. This is llama2.c's version-2 export format.
 */
public final class Q8Tensor {

    private final byte[] values;
    private final float[] scales;
    private final int rows;
    private final int cols;
    private final int groupSize;

    public Q8Tensor(byte[] values, float[] scales, int rows, int cols, int groupSize) {
        if (rows <= 0 || cols <= 0 || groupSize <= 0 || cols % groupSize != 0) {
            throw new IllegalArgumentException("Q8Tensor: shape [" + rows + ", " + cols + "] with group size "
                    + groupSize + " is invalid; cols must be a positive multiple of the group size");
        }
        if (values.length != (long) rows * cols || scales.length != (long) rows * cols / groupSize) {
            throw new IllegalArgumentException("Q8Tensor: shape [" + rows + ", " + cols + "] needs "
                    + (long) rows * cols + " values and " + (long) rows * cols / groupSize + " scales, got "
                    + values.length + " and " + scales.length);
        }
        this.values = values;
        this.scales = scales;
        this.rows = rows;
        this.cols = cols;
        this.groupSize = groupSize;
    }

    public byte[] values() {
        return values;
    }

    public float[] scales() {
        return scales;
    }

    public int rows() {
        return rows;
    }

    public int cols() {
        return cols;
    }

    public int groupSize() {
        return groupSize;
    }
}
