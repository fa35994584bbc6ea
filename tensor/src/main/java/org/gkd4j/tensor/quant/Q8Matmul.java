package org.gkd4j.tensor.quant;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorShape;
import jdk.incubator.vector.VectorSpecies;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Parallel;
import org.gkd4j.tensor.kernels.VectorMath;

/**
 * The Vector API Q8_0 matrix multiply out [N, O] = x [N, C] · dequantize(w [O, C])ᵀ, split across threads by
 * output rows so each thread streams its own part of the int8 weights once for all N input rows.
 *
 * <p>Weight rows are dequantized 4 at a time into float buffers (int8 values widened to float lanes, times the
 * group scale), then dotted with every input row, so the int8 conversion is paid once per weight row, not N times,
 * and each x vector is loaded once for 4 weight rows.
 */
final class Q8Matmul {

    private static final VectorSpecies<Float> FLOATS = FloatVector.SPECIES_PREFERRED;
    /** Bytes loaded per step: as many as float lanes, but at least the 64-bit minimum vector shape. */
    private static final VectorSpecies<Byte> BYTES = ByteVector.SPECIES_64.length() >= FLOATS.length()
            ? ByteVector.SPECIES_64
            : VectorSpecies.of(byte.class, VectorShape.forBitSize(FLOATS.length() * Byte.SIZE));
    private static final int LANES = FLOATS.length();
    /** Minimum output rows per parallel part: enough int8 work per part to pay for the hand-off. */
    private static final int ROWS_PER_TASK = 16;
    /** Weight rows dotted together, so each loaded x vector feeds ROW_TILE FMAs; dotTile is written for 4. */
    private static final int ROW_TILE = 4;

    private Q8Matmul() {
    }

    static void matmulTransB(Tensor x, Q8Tensor w, Tensor out) {
        // x: [N, C], w: [O, C] Q8_0, out: [N, O]
        checkShapes(x, w, out);
        Parallel.forRange(w.rows(), ROWS_PER_TASK, (start, end) -> rows(x, w, out, start, end));
    }

    /** Computes out[:, rowStart .. rowEnd) for every input row. */
    private static void rows(Tensor x, Q8Tensor w, Tensor out, int rowStart, int rowEnd) {
        int c = w.cols();
        float[][] tile = new float[ROW_TILE][c];
        int r = rowStart;
        for (; r + ROW_TILE <= rowEnd; r += ROW_TILE) {
            // dequantize ROW_TILE weight rows once, then reuse them for all N input rows
            for (int t = 0; t < ROW_TILE; t++) {
                dequantizeRow(w, r + t, tile[t]);
            }
            dotTile(x, tile, out, r);
        }
        for (; r < rowEnd; r++) {
            dequantizeRow(w, r, tile[0]);
            dotRow(x, tile[0], out, r);
        }
    }

    /** Writes out[i, r .. r + 4) = x[i] · tile[t] for every input row i, loading each x vector once for 4 rows. */
    private static void dotTile(Tensor x, float[][] tile, Tensor out, int r) {
        int n = x.rows();
        int c = x.dim(-1);
        int o = out.dim(-1);
        float[] xd = x.data();
        float[] od = out.data();
        float[] w0 = tile[0];
        float[] w1 = tile[1];
        float[] w2 = tile[2];
        float[] w3 = tile[3];
        int vectorEnd = FLOATS.loopBound(c);
        for (int i = 0; i < n; i++) {
            int xBase = x.offset() + i * c;
            FloatVector acc0 = FloatVector.zero(FLOATS);
            FloatVector acc1 = FloatVector.zero(FLOATS);
            FloatVector acc2 = FloatVector.zero(FLOATS);
            FloatVector acc3 = FloatVector.zero(FLOATS);
            for (int k = 0; k < vectorEnd; k += LANES) {
                FloatVector xv = FloatVector.fromArray(FLOATS, xd, xBase + k);
                acc0 = xv.fma(FloatVector.fromArray(FLOATS, w0, k), acc0);
                acc1 = xv.fma(FloatVector.fromArray(FLOATS, w1, k), acc1);
                acc2 = xv.fma(FloatVector.fromArray(FLOATS, w2, k), acc2);
                acc3 = xv.fma(FloatVector.fromArray(FLOATS, w3, k), acc3);
            }
            float sum0 = VectorMath.sumLanes(acc0);
            float sum1 = VectorMath.sumLanes(acc1);
            float sum2 = VectorMath.sumLanes(acc2);
            float sum3 = VectorMath.sumLanes(acc3);
            for (int k = vectorEnd; k < c; k++) {
                float xk = xd[xBase + k];
                sum0 += xk * w0[k];
                sum1 += xk * w1[k];
                sum2 += xk * w2[k];
                sum3 += xk * w3[k];
            }
            int outBase = out.offset() + i * o + r;
            od[outBase] = sum0;
            od[outBase + 1] = sum1;
            od[outBase + 2] = sum2;
            od[outBase + 3] = sum3;
        }
    }

    /** Writes out[i, r] = x[i] · row for every input row i. */
    private static void dotRow(Tensor x, float[] row, Tensor out, int r) {
        int n = x.rows();
        int c = x.dim(-1);
        int o = out.dim(-1);
        float[] xd = x.data();
        float[] od = out.data();
        int vectorEnd = FLOATS.loopBound(c);
        for (int i = 0; i < n; i++) {
            int xBase = x.offset() + i * c;
            FloatVector acc = FloatVector.zero(FLOATS);
            for (int k = 0; k < vectorEnd; k += LANES) {
                acc = FloatVector.fromArray(FLOATS, xd, xBase + k).fma(FloatVector.fromArray(FLOATS, row, k), acc);
            }
            float sum = VectorMath.sumLanes(acc);
            for (int k = vectorEnd; k < c; k++) {
                sum += xd[xBase + k] * row[k];
            }
            od[out.offset() + i * o + r] = sum;
        }
    }

    /** Writes row r of w as floats into {@code row} [C], walking it in runs that share one group scale. */
    private static void dequantizeRow(Q8Tensor w, int r, float[] row) {
        int c = w.cols();
        int groupSize = w.groupSize();
        byte[] q = w.values();
        float[] s = w.scales();
        int rowBase = r * c;

        // a run ends at a group boundary or at the row end; groups may span rows when C is not a multiple
        int k = 0;
        while (k < c) {
            int flat = rowBase + k;
            int runEnd = Math.min(c, k + groupSize - flat % groupSize);
            float scale = s[flat / groupSize];
            FloatVector scaleVector = FloatVector.broadcast(FLOATS, scale);
            for (; k + BYTES.length() <= runEnd; k += LANES) {
                FloatVector values = (FloatVector) ByteVector.fromArray(BYTES, q, rowBase + k)
                        .convertShape(VectorOperators.B2F, FLOATS, 0);
                values.mul(scaleVector).intoArray(row, k);
            }
            for (; k < runEnd; k++) {
                row[k] = q[rowBase + k] * scale;
            }
        }
    }

    static void checkShapes(Tensor x, Q8Tensor w, Tensor out) {
        int c = x.dim(-1);
        if (c != w.cols()) {
            throw new IllegalArgumentException("Q8 matmulTransB: x has " + c + " columns (C) but w is ["
                    + w.rows() + ", " + w.cols() + "]; w must be [O, C]");
        }
        if (out.dim(-1) != w.rows() || out.rows() != x.rows()) {
            throw new IllegalArgumentException("Q8 matmulTransB: out has shape " + out.shapeString() + " but x "
                    + x.shapeString() + " times wᵀ [" + w.cols() + ", " + w.rows() + "] gives [" + x.rows() + ", "
                    + w.rows() + "]");
        }
    }
}
