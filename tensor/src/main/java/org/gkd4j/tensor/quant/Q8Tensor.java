package org.gkd4j.tensor.quant;

import org.gkd4j.tensor.Tensor;

/**
 * A matrix [rows, cols] in Q8_0, llama2.c's version-2 export format: the row-major values are split into groups of
 * {@code groupSize} consecutive elements, each stored as int8 values q and one float scale s, value ≈ s · q.
 *
 * <p>Groups run over the flat row-major array, as llama2.c quantizes the flattened tensor, so when {@code cols} is
 * not a multiple of the group size a group spans the end of one row and the start of the next; element (r, c) has
 * scale {@code scales[(r·cols + c) / groupSize]}. Only {@code rows·cols} must be a multiple of the group size.
 */
public final class Q8Tensor {

    private final byte[] values;
    private final float[] scales;
    private final int rows;
    private final int cols;
    private final int groupSize;

    public Q8Tensor(byte[] values, float[] scales, int rows, int cols, int groupSize) {
        long size = (long) rows * cols;
        if (rows <= 0 || cols <= 0 || groupSize <= 0 || size % groupSize != 0 || size > Integer.MAX_VALUE - 64) {
            throw new IllegalArgumentException("Q8Tensor: shape [" + rows + ", " + cols + "] with group size "
                    + groupSize + " is invalid; rows·cols must be a positive multiple of the group size");
        }
        if (values.length != size || scales.length != size / groupSize) {
            throw new IllegalArgumentException("Q8Tensor: shape [" + rows + ", " + cols + "] needs " + size
                    + " values and " + size / groupSize + " scales, got " + values.length + " and " + scales.length);
        }
        this.values = values;
        this.scales = scales;
        this.rows = rows;
        this.cols = cols;
        this.groupSize = groupSize;
    }

    /**
     * Quantizes a matrix [rows, cols] (a higher-rank tensor is seen as [rows(), dim(-1)]) as llama2.c does: per
     * group, s = max|w| / 127 and q = round(w / s). Ties round away from zero like C round() in runq.c (export.py's
     * torch.round rounds ties to even, so exact ties may differ by one step). An all-zero group gets s = 0.
     */
    public static Q8Tensor quantize(Tensor w, int groupSize) {
        int size = w.size();
        if (groupSize <= 0 || size % groupSize != 0) {
            throw new IllegalArgumentException("Q8Tensor.quantize: group size " + groupSize + " does not divide the "
                    + size + " elements of shape " + w.shapeString() + "; choose a group size that divides it");
        }
        float[] data = w.data();
        int base = w.offset();
        byte[] values = new byte[size];
        float[] scales = new float[size / groupSize];
        for (int g = 0; g < scales.length; g++) {
            int start = g * groupSize;

            // scale: the largest magnitude in the group maps to ±127
            float maxAbs = 0;
            for (int i = start; i < start + groupSize; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(data[base + i]));
            }
            float scale = maxAbs / 127.0f;
            scales[g] = scale;

            // values: round to nearest (C roundf), 0 for an all-zero group
            for (int i = start; i < start + groupSize; i++) {
                float q = scale == 0 ? 0 : data[base + i] / scale;
                values[i] = (byte) Math.max(-127, Math.min(127, roundHalfAway(q)));
            }
        }
        return new Q8Tensor(values, scales, w.rows(), w.dim(-1), groupSize);
    }

    private static int roundHalfAway(float x) {
        return (int) Math.copySign(Math.floor(Math.abs(x) + 0.5f), x);
    }

    /** Returns the matrix as floats [rows, cols], w = s · q. */
    public Tensor dequantize() {
        float[] out = new float[values.length];
        for (int i = 0; i < out.length; i++) {
            out[i] = values[i] * scales[i / groupSize];
        }
        return Tensor.of(out, rows, cols);
    }

    /** Writes row {@code row} as floats into {@code out[offset .. offset + cols)}. */
    public void dequantizeRow(int row, float[] out, int offset) {
        if (row < 0 || row >= rows) {
            throw new IllegalArgumentException("Q8Tensor.dequantizeRow: row " + row + " is outside [0, " + rows + ")");
        }
        if (offset < 0 || offset + cols > out.length) {
            throw new IllegalArgumentException("Q8Tensor.dequantizeRow: " + cols + " floats at offset " + offset
                    + " do not fit an array of " + out.length);
        }
        int start = row * cols;
        for (int c = 0; c < cols; c++) {
            out[offset + c] = values[start + c] * scales[(start + c) / groupSize];
        }
    }

    /** Computes out [N, O] = x [N, C] · dequantize(w [O, C])ᵀ with the Vector API kernel. */
    public static void matmulTransB(Tensor x, Q8Tensor w, Tensor out) {
        Q8Matmul.matmulTransB(x, w, out);
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

    /** Returns [rows, cols]. */
    public int[] shape() {
        return new int[] {rows, cols};
    }
}
