package org.gkd4j.model;

import jdk.incubator.vector.ByteVector;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;
import org.gkd4j.tensor.quant.Q8Tensor;

/**
 * The x·Wᵀ products of KV-cache decoding: a few rows of activations times a weight matrix stored [O, C], dense
 * float32 or Q8_0. out[n, o] = Σ_c x[n, c]·w[o, c]; x: [N, C], w: [O, C], out: [N, O].
 *
 * <p>Decoding multiplies N = 1..64 rows, where a general GEMM spends its time packing. These loops instead keep
 * a tile of 4 weight rows × 2 activation rows in 8 independent accumulators, so the FMA latency is hidden even at
 * N = 1 and each weight vector loaded from memory serves two activation rows.
 */
final class DecoderMatmul {

    private static final VectorSpecies<Float> F = RepeatableMath.species();
    private static final VectorSpecies<Byte> B8 = ByteVector.SPECIES_64;
    private static final int LANES = F.length();

    private DecoderMatmul() {
    }

    /** Dense: out[n, o] for n in [0, rows), o in [oStart, oEnd). x rows at xOff + n·c, out rows at outOff + n·outStride. */
    static void dense(float[] x, int xOff, int rows, int c, float[] w, int wOff, int oStart, int oEnd,
                      float[] out, int outOff, int outStride) {
        int cVec = LANES == 8 ? c & ~7 : F.loopBound(c);
        int n = 0;
        for (; n + 1 < rows; n += 2) {
            int x0 = xOff + n * c;
            int x1 = x0 + c;
            int o = oStart;
            for (; o + 3 < oEnd; o += 4) {
                int w0 = wOff + o * c;
                int w1 = w0 + c;
                int w2 = w1 + c;
                int w3 = w2 + c;
                FloatVector a00 = FloatVector.zero(F), a01 = FloatVector.zero(F), a02 = FloatVector.zero(F), a03 = FloatVector.zero(F);
                FloatVector a10 = FloatVector.zero(F), a11 = FloatVector.zero(F), a12 = FloatVector.zero(F), a13 = FloatVector.zero(F);
                for (int k = 0; k < cVec; k += LANES) {
                    FloatVector xv0 = FloatVector.fromArray(F, x, x0 + k);
                    FloatVector xv1 = FloatVector.fromArray(F, x, x1 + k);
                    FloatVector wv = FloatVector.fromArray(F, w, w0 + k);
                    a00 = xv0.fma(wv, a00);
                    a10 = xv1.fma(wv, a10);
                    wv = FloatVector.fromArray(F, w, w1 + k);
                    a01 = xv0.fma(wv, a01);
                    a11 = xv1.fma(wv, a11);
                    wv = FloatVector.fromArray(F, w, w2 + k);
                    a02 = xv0.fma(wv, a02);
                    a12 = xv1.fma(wv, a12);
                    wv = FloatVector.fromArray(F, w, w3 + k);
                    a03 = xv0.fma(wv, a03);
                    a13 = xv1.fma(wv, a13);
                }
                float s00 = RepeatableMath.sumLanes(a00), s01 = RepeatableMath.sumLanes(a01);
                float s02 = RepeatableMath.sumLanes(a02), s03 = RepeatableMath.sumLanes(a03);
                float s10 = RepeatableMath.sumLanes(a10), s11 = RepeatableMath.sumLanes(a11);
                float s12 = RepeatableMath.sumLanes(a12), s13 = RepeatableMath.sumLanes(a13);
                for (int k = cVec; k < c; k++) {
                    float xa = x[x0 + k];
                    float xb = x[x1 + k];
                    s00 += xa * w[w0 + k];
                    s01 += xa * w[w1 + k];
                    s02 += xa * w[w2 + k];
                    s03 += xa * w[w3 + k];
                    s10 += xb * w[w0 + k];
                    s11 += xb * w[w1 + k];
                    s12 += xb * w[w2 + k];
                    s13 += xb * w[w3 + k];
                }
                int out0 = outOff + n * outStride + o;
                int out1 = out0 + outStride;
                out[out0] = s00;
                out[out0 + 1] = s01;
                out[out0 + 2] = s02;
                out[out0 + 3] = s03;
                out[out1] = s10;
                out[out1 + 1] = s11;
                out[out1 + 2] = s12;
                out[out1 + 3] = s13;
            }
            for (; o < oEnd; o++) {
                out[outOff + n * outStride + o] = dot(x, x0, w, wOff + o * c, c, cVec);
                out[outOff + (n + 1) * outStride + o] = dot(x, x1, w, wOff + o * c, c, cVec);
            }
        }
        if (n < rows) {
            denseOneRow(x, xOff + n * c, c, cVec, w, wOff, oStart, oEnd, out, outOff + n * outStride);
        }
    }

    private static void denseOneRow(float[] x, int x0, int c, int cVec, float[] w, int wOff, int oStart, int oEnd,
                                    float[] out, int outRow) {
        int o = oStart;
        for (; o + 3 < oEnd; o += 4) {
            int w0 = wOff + o * c;
            int w1 = w0 + c;
            int w2 = w1 + c;
            int w3 = w2 + c;
            FloatVector a0 = FloatVector.zero(F), a1 = FloatVector.zero(F), a2 = FloatVector.zero(F), a3 = FloatVector.zero(F);
            for (int k = 0; k < cVec; k += LANES) {
                FloatVector xv = FloatVector.fromArray(F, x, x0 + k);
                a0 = xv.fma(FloatVector.fromArray(F, w, w0 + k), a0);
                a1 = xv.fma(FloatVector.fromArray(F, w, w1 + k), a1);
                a2 = xv.fma(FloatVector.fromArray(F, w, w2 + k), a2);
                a3 = xv.fma(FloatVector.fromArray(F, w, w3 + k), a3);
            }
            float s0 = RepeatableMath.sumLanes(a0), s1 = RepeatableMath.sumLanes(a1);
            float s2 = RepeatableMath.sumLanes(a2), s3 = RepeatableMath.sumLanes(a3);
            for (int k = cVec; k < c; k++) {
                float xa = x[x0 + k];
                s0 += xa * w[w0 + k];
                s1 += xa * w[w1 + k];
                s2 += xa * w[w2 + k];
                s3 += xa * w[w3 + k];
            }
            out[outRow + o] = s0;
            out[outRow + o + 1] = s1;
            out[outRow + o + 2] = s2;
            out[outRow + o + 3] = s3;
        }
        for (; o < oEnd; o++) {
            out[outRow + o] = dot(x, x0, w, wOff + o * c, c, cVec);
        }
    }

    private static float dot(float[] x, int xOff, float[] w, int wOff, int c, int cVec) {
        FloatVector acc = FloatVector.zero(F);
        for (int k = 0; k < cVec; k += LANES) {
            acc = FloatVector.fromArray(F, x, xOff + k).fma(FloatVector.fromArray(F, w, wOff + k), acc);
        }
        float sum = RepeatableMath.sumLanes(acc);
        for (int k = cVec; k < c; k++) {
            sum += x[xOff + k] * w[wOff + k];
        }
        return sum;
    }

    /**
     * Q8_0: as {@link #dense} with w[o, c] = scale[(o·C + c) / groupSize] · q[o, c], dequantized on the fly (the
     * activations stay float32). Needs C to be a multiple of the group size and the group size a multiple of 8.
     */
    static void q8(float[] x, int xOff, int rows, int c, Q8Tensor w, int oStart, int oEnd,
                   float[] out, int outOff, int outStride) {
        byte[] q = w.values();
        float[] scales = w.scales();
        int groupSize = w.groupSize();
        int groupsPerRow = c / groupSize;
        for (int n = 0; n < rows; n++) {
            int x0 = xOff + n * c;
            int outRow = outOff + n * outStride;
            int o = oStart;
            for (; o + 1 < oEnd; o += 2) {
                int q0 = o * c;
                int q1 = q0 + c;
                FloatVector acc0 = FloatVector.zero(F);
                FloatVector acc1 = FloatVector.zero(F);
                for (int g = 0; g < groupsPerRow; g++) {
                    FloatVector group0 = FloatVector.zero(F);
                    FloatVector group1 = FloatVector.zero(F);
                    int base = g * groupSize;
                    for (int k = 0; k < groupSize; k += 8) {
                        FloatVector xv = FloatVector.fromArray(F, x, x0 + base + k);
                        FloatVector w0 = (FloatVector) ByteVector.fromArray(B8, q, q0 + base + k)
                                .convertShape(VectorOperators.B2F, F, 0);
                        FloatVector w1 = (FloatVector) ByteVector.fromArray(B8, q, q1 + base + k)
                                .convertShape(VectorOperators.B2F, F, 0);
                        group0 = xv.fma(w0, group0);
                        group1 = xv.fma(w1, group1);
                    }
                    acc0 = group0.fma(FloatVector.broadcast(F, scales[(q0 + base) / groupSize]), acc0);
                    acc1 = group1.fma(FloatVector.broadcast(F, scales[(q1 + base) / groupSize]), acc1);
                }
                out[outRow + o] = RepeatableMath.sumLanes(acc0);
                out[outRow + o + 1] = RepeatableMath.sumLanes(acc1);
            }
            for (; o < oEnd; o++) {
                int q0 = o * c;
                float sum = 0f;
                for (int k = 0; k < c; k++) {
                    sum += x[x0 + k] * q[q0 + k] * scales[(q0 + k) / groupSize];
                }
                out[outRow + o] = sum;
            }
        }
    }

    /** Returns true when {@link #q8} can use {@code w} as an [o, c] matrix. */
    static boolean q8Supports(Q8Tensor w, int o, int c) {
        return w.rows() == o && w.cols() == c && c % w.groupSize() == 0 && w.groupSize() % 8 == 0 && LANES == 8;
    }
}
