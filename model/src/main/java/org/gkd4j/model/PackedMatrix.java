package org.gkd4j.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.gkd4j.tensor.Tensor;

/**
 * A weight matrix w [O, C] repacked for x·Wᵀ with a few activation rows: panels of 8 consecutive output rows, each
 * stored column by column as [C, 8], so one vector load reads w[o..o+8, c]. out[n, o] = Σ_c x[n, c]·w[o, c];
 * x: [N, C], out: [N, O]. The last panel is padded with zero rows.
 *
 * <p>The product then needs no horizontal reduction: a tile of 4 activation rows × 3 panels keeps 12 accumulators
 * of 8 outputs each, and every loaded panel vector serves 4 rows. This is what turns a batch of decoding rows into
 * fewer instructions per token than one row alone (the dot-product form in {@link DecoderMatmul} reduces once per
 * output and row).
 */
final class PackedMatrix {

    private static final VectorSpecies<Float> F = FloatVector.SPECIES_256;
    static final int PANEL = 8;

    private final int rows;
    private final int cols;
    private final int panels;
    private final float[] data;

    PackedMatrix(int rows, int cols) {
        this.rows = rows;
        this.cols = cols;
        this.panels = (rows + PANEL - 1) / PANEL;
        this.data = new float[panels * cols * PANEL];
    }

    /** Returns true when this machine's vectors hold 8 floats, the panel width the kernel assumes. */
    static boolean supported() {
        return FloatVector.SPECIES_PREFERRED.length() >= PANEL;
    }

    /** Copies w [O, C] into the panel layout (called whenever the weights may have changed). */
    void pack(Tensor w) {
        pack(w, 0);
    }

    /**
     * Copies w [O', C] into rows [firstRow, firstRow + O') of the panel layout, so that several matrices that
     * multiply the same input (wq, wk and wv) become one product whose outputs lie side by side.
     */
    void pack(Tensor w, int firstRow) {
        if (w.rank() != 2 || w.shape()[1] != cols || firstRow < 0 || firstRow + w.shape()[0] > rows) {
            throw new IllegalArgumentException("PackedMatrix.pack: matrix " + java.util.Arrays.toString(w.shape())
                    + " at row " + firstRow + " does not fit a [" + rows + ", " + cols + "] matrix");
        }
        float[] source = w.data();
        int base = w.offset() - firstRow * cols;
        for (int o = firstRow; o < firstRow + w.shape()[0]; o++) {
            int panelBase = (o / PANEL) * cols * PANEL + (o % PANEL);
            int rowBase = base + o * cols;
            for (int c = 0; c < cols; c++) {
                data[panelBase + c * PANEL] = source[rowBase + c];
            }
        }
    }

    /** Computes out[r, o] for rows r in [0, n) and every o. Row r of x starts at xOff + r·C, of out at outOff + r·outStride. */
    void multiply(float[] x, int xOff, int n, float[] out, int outOff, int outStride) {
        int r = 0;
        for (; r + 3 < n; r += 4) {
            int p = 0;
            for (; p + 2 < panels; p += 3) {
                tile4x3(x, xOff + r * cols, p, out, outOff + r * outStride, outStride);
            }
            if (p + 1 < panels) {
                tile4x2(x, xOff + r * cols, p, out, outOff + r * outStride, outStride);
                p += 2;
            }
            for (; p < panels; p++) {
                tile4x1(x, xOff + r * cols, p, out, outOff + r * outStride, outStride);
            }
        }
        for (; r < n; r++) {
            int p = 0;
            for (; p + 7 < panels; p += 8) {
                tile1x8(x, xOff + r * cols, p, out, outOff + r * outStride);
            }
            for (; p + 3 < panels; p += 4) {
                tile1x4(x, xOff + r * cols, p, out, outOff + r * outStride);
            }
            for (; p < panels; p++) {
                tile1x1(x, xOff + r * cols, p, out, outOff + r * outStride);
            }
        }
    }

    private void tile4x3(float[] x, int x0, int panel, float[] out, int out0, int outStride) {
        int w0 = panel * cols * PANEL;
        int w1 = w0 + cols * PANEL;
        int w2 = w1 + cols * PANEL;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F), a22 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F), a32 = FloatVector.zero(F);

        // per column c: three panel vectors times four broadcast activations
        for (int c = 0; c < cols; c++) {
            FloatVector v0 = FloatVector.fromArray(F, data, w0 + c * PANEL);
            FloatVector v1 = FloatVector.fromArray(F, data, w1 + c * PANEL);
            FloatVector v2 = FloatVector.fromArray(F, data, w2 + c * PANEL);
            FloatVector b = FloatVector.broadcast(F, x[x0 + c]);
            a00 = v0.fma(b, a00);
            a01 = v1.fma(b, a01);
            a02 = v2.fma(b, a02);
            b = FloatVector.broadcast(F, x[x1 + c]);
            a10 = v0.fma(b, a10);
            a11 = v1.fma(b, a11);
            a12 = v2.fma(b, a12);
            b = FloatVector.broadcast(F, x[x2 + c]);
            a20 = v0.fma(b, a20);
            a21 = v1.fma(b, a21);
            a22 = v2.fma(b, a22);
            b = FloatVector.broadcast(F, x[x3 + c]);
            a30 = v0.fma(b, a30);
            a31 = v1.fma(b, a31);
            a32 = v2.fma(b, a32);
        }

        // the 4 × 24 outputs
        int o = panel * PANEL;
        store(a00, out, out0, o);
        store(a01, out, out0, o + PANEL);
        store(a02, out, out0, o + 2 * PANEL);
        store(a10, out, out0 + outStride, o);
        store(a11, out, out0 + outStride, o + PANEL);
        store(a12, out, out0 + outStride, o + 2 * PANEL);
        store(a20, out, out0 + 2 * outStride, o);
        store(a21, out, out0 + 2 * outStride, o + PANEL);
        store(a22, out, out0 + 2 * outStride, o + 2 * PANEL);
        store(a30, out, out0 + 3 * outStride, o);
        store(a31, out, out0 + 3 * outStride, o + PANEL);
        store(a32, out, out0 + 3 * outStride, o + 2 * PANEL);
    }

    private void tile4x2(float[] x, int x0, int panel, float[] out, int out0, int outStride) {
        int w0 = panel * cols * PANEL;
        int w1 = w0 + cols * PANEL;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F);
        FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F);
        FloatVector a20 = FloatVector.zero(F), a21 = FloatVector.zero(F);
        FloatVector a30 = FloatVector.zero(F), a31 = FloatVector.zero(F);

        // per column c: two panel vectors times four broadcast activations
        for (int c = 0; c < cols; c++) {
            FloatVector v0 = FloatVector.fromArray(F, data, w0 + c * PANEL);
            FloatVector v1 = FloatVector.fromArray(F, data, w1 + c * PANEL);
            FloatVector b = FloatVector.broadcast(F, x[x0 + c]);
            a00 = v0.fma(b, a00);
            a01 = v1.fma(b, a01);
            b = FloatVector.broadcast(F, x[x1 + c]);
            a10 = v0.fma(b, a10);
            a11 = v1.fma(b, a11);
            b = FloatVector.broadcast(F, x[x2 + c]);
            a20 = v0.fma(b, a20);
            a21 = v1.fma(b, a21);
            b = FloatVector.broadcast(F, x[x3 + c]);
            a30 = v0.fma(b, a30);
            a31 = v1.fma(b, a31);
        }

        // the 4 × 16 outputs
        int o = panel * PANEL;
        store(a00, out, out0, o);
        store(a01, out, out0, o + PANEL);
        store(a10, out, out0 + outStride, o);
        store(a11, out, out0 + outStride, o + PANEL);
        store(a20, out, out0 + 2 * outStride, o);
        store(a21, out, out0 + 2 * outStride, o + PANEL);
        store(a30, out, out0 + 3 * outStride, o);
        store(a31, out, out0 + 3 * outStride, o + PANEL);
    }

    private void tile4x1(float[] x, int x0, int panel, float[] out, int out0, int outStride) {
        int w0 = panel * cols * PANEL;
        int x1 = x0 + cols;
        int x2 = x1 + cols;
        int x3 = x2 + cols;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int c = 0; c < cols; c++) {
            FloatVector v = FloatVector.fromArray(F, data, w0 + c * PANEL);
            a0 = v.fma(FloatVector.broadcast(F, x[x0 + c]), a0);
            a1 = v.fma(FloatVector.broadcast(F, x[x1 + c]), a1);
            a2 = v.fma(FloatVector.broadcast(F, x[x2 + c]), a2);
            a3 = v.fma(FloatVector.broadcast(F, x[x3 + c]), a3);
        }
        int o = panel * PANEL;
        store(a0, out, out0, o);
        store(a1, out, out0 + outStride, o);
        store(a2, out, out0 + 2 * outStride, o);
        store(a3, out, out0 + 3 * outStride, o);
    }

    private void tile1x4(float[] x, int x0, int panel, float[] out, int out0) {
        int w0 = panel * cols * PANEL;
        int stride = cols * PANEL;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        for (int c = 0; c < cols; c++) {
            FloatVector b = FloatVector.broadcast(F, x[x0 + c]);
            int w = w0 + c * PANEL;
            a0 = FloatVector.fromArray(F, data, w).fma(b, a0);
            a1 = FloatVector.fromArray(F, data, w + stride).fma(b, a1);
            a2 = FloatVector.fromArray(F, data, w + 2 * stride).fma(b, a2);
            a3 = FloatVector.fromArray(F, data, w + 3 * stride).fma(b, a3);
        }
        int o = panel * PANEL;
        store(a0, out, out0, o);
        store(a1, out, out0, o + PANEL);
        store(a2, out, out0, o + 2 * PANEL);
        store(a3, out, out0, o + 3 * PANEL);
    }

    /**
     * Multiplies one row by 8 panels in eight independent FMA chains. With an FMA latency of about 4 cycles and two
     * FMA units, the four chains of tile1x4 can fill at most half of the FMA issue slots.
     */
    private void tile1x8(float[] x, int x0, int panel, float[] out, int out0) {
        int w0 = panel * cols * PANEL;
        int stride = cols * PANEL;
        FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
        FloatVector a4 = FloatVector.zero(F), a5 = FloatVector.zero(F), a6 = FloatVector.zero(F), a7 = FloatVector.zero(F);
        for (int c = 0; c < cols; c++) {
            FloatVector b = FloatVector.broadcast(F, x[x0 + c]);
            int w = w0 + c * PANEL;
            a0 = FloatVector.fromArray(F, data, w).fma(b, a0);
            a1 = FloatVector.fromArray(F, data, w + stride).fma(b, a1);
            a2 = FloatVector.fromArray(F, data, w + 2 * stride).fma(b, a2);
            a3 = FloatVector.fromArray(F, data, w + 3 * stride).fma(b, a3);
            a4 = FloatVector.fromArray(F, data, w + 4 * stride).fma(b, a4);
            a5 = FloatVector.fromArray(F, data, w + 5 * stride).fma(b, a5);
            a6 = FloatVector.fromArray(F, data, w + 6 * stride).fma(b, a6);
            a7 = FloatVector.fromArray(F, data, w + 7 * stride).fma(b, a7);
        }
        int o = panel * PANEL;
        store(a0, out, out0, o);
        store(a1, out, out0, o + PANEL);
        store(a2, out, out0, o + 2 * PANEL);
        store(a3, out, out0, o + 3 * PANEL);
        store(a4, out, out0, o + 4 * PANEL);
        store(a5, out, out0, o + 5 * PANEL);
        store(a6, out, out0, o + 6 * PANEL);
        store(a7, out, out0, o + 7 * PANEL);
    }

    private void tile1x1(float[] x, int x0, int panel, float[] out, int out0) {
        int w0 = panel * cols * PANEL;
        // one accumulator over c in order, like every other tile, so an output's rounding never depends on which
        // tile computed it and a batched row gives bit-for-bit the result it gives alone
        FloatVector acc = FloatVector.zero(F);
        for (int c = 0; c < cols; c++) {
            acc = FloatVector.fromArray(F, data, w0 + c * PANEL).fma(FloatVector.broadcast(F, x[x0 + c]), acc);
        }
        store(acc, out, out0, panel * PANEL);
    }

    /** Writes the 8 outputs o..o+8 of one row, dropping the zero-padded rows past O. */
    private void store(FloatVector sums, float[] out, int rowOff, int o) {
        if (o + PANEL <= rows) {
            sums.intoArray(out, rowOff + o);
        } else {
            for (int i = 0; o + i < rows; i++) {
                out[rowOff + o + i] = sums.lane(i);
            }
        }
    }
}
