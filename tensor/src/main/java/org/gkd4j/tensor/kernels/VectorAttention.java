package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.VectorMath.LANES;
import static org.gkd4j.tensor.kernels.VectorMath.SPECIES;
import static org.gkd4j.tensor.kernels.VectorMath.dot;
import static org.gkd4j.tensor.kernels.VectorMath.exp;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import org.gkd4j.tensor.Tensor;

/**
 * Vector API causal grouped-query attention. Each (batch, key head) block gathers its keys transposed, [D, T]
 * padded to whole vectors, and query rows go in blocks of {@link VectorAttentionBlocks#ROWS}: the scores of a
 * block run along the key axis s = 0..t (broadcast q[j], fused multiply-add with row j of kᵀ, one chain per query
 * row), and out_r = Σ_s p_r[s]·v_s reads the value rows where they lie. In the backward pass
 * dq_r = Σ_s dscore_r[s]·k_s and the rank-one updates dkᵀ[j] += q_r[j]·dscore_r, dvᵀ[j] += dout_r[j]·p_r
 * run along the key axis too.
 * The forward pass runs in parallel over (batch, query head). The backward pass runs over (batch, key head)
 * because the query heads of a group all add into the same dk and dv rows. Each task owns its rows, so the
 * result does not depend on the number of threads.
 */
final class VectorAttention {

    private static final int ROWS = VectorAttentionBlocks.ROWS;

    private VectorAttention() {
    }

    /** q, out: [B, T, H, D]; k, v: [B, T, G, D]; logsumexp: [B, H, T]; see {@link Backend#attention}. */
    static void attention(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp) {
        int b = q.dim(0), t = q.dim(1), h = q.dim(2), d = q.dim(3), g = k.dim(2);
        int group = h / g;
        int stride = roundUp(t);
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] qd = q.data(), od = out.data(), ld = logsumexp.data(), vd = v.data();
        Parallel.forEach(b * h, task -> {
            int bi = task / h, hi = task % h, gi = hi / group;
            float[] scratch = VectorMath.scratch(d * stride + (1 + ROWS) * stride + LANES);
            int keysAt = 0, maskAt = d * stride, probabilitiesAt = maskAt + stride;
            int maxesAt = probabilitiesAt + ROWS * stride;
            gatherTransposed(k, bi, gi, scratch, keysAt, stride);
            fillMask(keyMask, bi, t, scratch, maskAt);
            // value row s of this head lies at valuesAt + s·G·D
            int valuesAt = v.offset() + (bi * t * g + gi) * d;

            for (int first = 0; first < t; first += ROWS) {
                // row r of the block is query first + r with first + r + 1 keys; missing rows repeat the last
                int count = Math.min(ROWS, t - first);
                int r1 = Math.min(1, count - 1), r2 = Math.min(2, count - 1), r3 = count - 1;
                int row0 = ((bi * t + first) * h + hi) * d;
                int q0 = q.offset() + row0, o0 = out.offset() + row0;
                int p0 = probabilitiesAt;

                // scores over keys 0..first + r and their max per row; masked keys hold -∞
                VectorAttentionBlocks.scores4(qd, q0, q0 + r1 * h * d, q0 + r2 * h * d, q0 + r3 * h * d, scale,
                        scratch, keysAt, maskAt, p0, p0 + r1 * stride, p0 + r2 * stride, p0 + r3 * stride,
                        first + 1, first + r1 + 1, first + r2 + 1, first + r3 + 1, d, stride, maxesAt);

                // probabilities p_s = exp(score_s - max) / Σ, zero up to a whole vector past the block's last key
                int padded = roundUp(first + count);
                for (int r = 0; r < count; r++) {
                    int pAt = p0 + r * stride;
                    int lseAt = logsumexp.offset() + (bi * h + hi) * t + first + r;
                    float max = scratch[maxesAt + r];
                    if (max == Float.NEGATIVE_INFINITY) {
                        // no valid key: zero weights give a zero output row
                        Arrays.fill(scratch, pAt, pAt + padded, 0f);
                        ld[lseAt] = Float.NEGATIVE_INFINITY;
                        continue;
                    }
                    int rowPadded = roundUp(first + r + 1);
                    float sum = expInPlace(scratch, pAt, rowPadded, max);
                    ld[lseAt] = max + (float) Math.log(sum);
                    scaleAndPad(scratch, pAt, rowPadded, padded, 1f / sum);
                }

                // out_r = Σ_s p_r[s]·v_s
                VectorAttentionBlocks.weightedSums4(scratch, p0, p0 + r1 * stride, p0 + r2 * stride,
                        p0 + r3 * stride, first + count, vd, valuesAt, g * d, d,
                        od, o0, o0 + r1 * h * d, o0 + r2 * h * d, o0 + r3 * h * d);
            }
        });
    }

    /** See {@link Backend#attentionBackward}: overwrites dq, dk and dv. */
    static void attentionBackward(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp,
                                  Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        int b = q.dim(0), t = q.dim(1), h = q.dim(2), d = q.dim(3), g = k.dim(2);
        int group = h / g;
        int stride = roundUp(t);
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] qd = q.data(), od = out.data(), ld = logsumexp.data(), dod = dout.data(), kd = k.data();
        float[] dqd = dq.data();
        Parallel.forEach(b * g, task -> {
            int bi = task / g, gi = task % g;
            float[] scratch = VectorMath.scratch(4 * d * stride + (1 + 2 * ROWS) * stride + LANES);
            int keysAt = 0, valuesAt = d * stride, dkAt = 2 * d * stride, dvAt = 3 * d * stride;
            int maskAt = 4 * d * stride;
            // p and dscore of the rows of a block
            int probabilitiesAt = maskAt + stride, gradsAt = probabilitiesAt + ROWS * stride;
            int maxesAt = gradsAt + ROWS * stride;
            gatherTransposed(k, bi, gi, scratch, keysAt, stride);
            gatherTransposed(v, bi, gi, scratch, valuesAt, stride);
            fillMask(keyMask, bi, t, scratch, maskAt);
            // key row s of this head lies at keyRowsAt + s·G·D
            int keyRowsAt = k.offset() + (bi * t * g + gi) * d;

            // this task owns the dk and dv rows of its key head, accumulated transposed [D, T] so that the
            // updates run along the key axis
            Arrays.fill(scratch, dkAt, maskAt, 0f);

            for (int hi = gi * group; hi < (gi + 1) * group; hi++) {
                for (int first = 0; first < t; first += ROWS) {
                    // row r of the block is query first + r; missing rows repeat the last (see VectorAttentionBlocks)
                    int count = Math.min(ROWS, t - first);
                    int r1 = Math.min(1, count - 1), r2 = Math.min(2, count - 1), r3 = count - 1;
                    int row0 = ((bi * t + first) * h + hi) * d;
                    int rowStep = h * d;
                    int q0 = q.offset() + row0, do0 = dout.offset() + row0, dq0 = dq.offset() + row0;
                    int p0 = probabilitiesAt, g0 = gradsAt;
                    int keys0 = first + 1, keys1 = first + r1 + 1, keys2 = first + r2 + 1, keys3 = first + r3 + 1;

                    // scores for p (recomputed instead of stored), and dp_s = dout·v_s
                    VectorAttentionBlocks.scores4(qd, q0, q0 + r1 * rowStep, q0 + r2 * rowStep, q0 + r3 * rowStep,
                            scale, scratch, keysAt, maskAt, p0, p0 + r1 * stride, p0 + r2 * stride,
                            p0 + r3 * stride, keys0, keys1, keys2, keys3, d, stride, maxesAt);
                    VectorAttentionBlocks.scores4(dod, do0, do0 + r1 * rowStep, do0 + r2 * rowStep,
                            do0 + r3 * rowStep, 1f, scratch, valuesAt, -1, g0, g0 + r1 * stride, g0 + r2 * stride,
                            g0 + r3 * stride, keys0, keys1, keys2, keys3, d, stride, maxesAt);

                    // p_s = exp(score_s - lse), then dscore_s = p_s·(dp_s - δ)/√D with δ = dout·out
                    int padded = roundUp(first + count);
                    for (int r = 0; r < count; r++) {
                        int pAt = p0 + r * stride, gAt = g0 + r * stride;
                        int row = row0 + r * rowStep;
                        float lse = ld[logsumexp.offset() + (bi * h + hi) * t + first + r];
                        if (lse == Float.NEGATIVE_INFINITY) {
                            // no valid key: zero p and dscore give zero dq and no dk, dv update
                            Arrays.fill(scratch, pAt, pAt + padded, 0f);
                            Arrays.fill(scratch, gAt, gAt + padded, 0f);
                            continue;
                        }
                        int rowPadded = roundUp(first + r + 1);
                        expInPlace(scratch, pAt, rowPadded, lse);
                        scaleAndPad(scratch, pAt, rowPadded, padded, 1f);
                        float delta = dot(dod, dout.offset() + row, od, out.offset() + row, d);
                        scoreGradients(scratch, pAt, gAt, rowPadded, delta, scale);
                        scaleAndPad(scratch, gAt, rowPadded, padded, 1f);
                    }

                    // dq_r = Σ_s dscore_r[s]·k_s
                    VectorAttentionBlocks.weightedSums4(scratch, g0, g0 + r1 * stride, g0 + r2 * stride,
                            g0 + r3 * stride, first + count, kd, keyRowsAt, g * d, d,
                            dqd, dq0, dq0 + r1 * rowStep, dq0 + r2 * rowStep, dq0 + r3 * rowStep);

                    // dkᵀ[j, s] += q_r[j]·dscore_r[s], dvᵀ[j, s] += dout_r[j]·p_r[s], summed over the block's rows
                    VectorAttentionBlocks.outerAdd4(qd, q0, q0 + rowStep, q0 + 2 * rowStep, q0 + 3 * rowStep,
                            scratch, g0, g0 + stride, g0 + 2 * stride, g0 + 3 * stride, count, padded,
                            scratch, dkAt, stride, d);
                    VectorAttentionBlocks.outerAdd4(dod, do0, do0 + rowStep, do0 + 2 * rowStep, do0 + 3 * rowStep,
                            scratch, p0, p0 + stride, p0 + 2 * stride, p0 + 3 * stride, count, padded,
                            scratch, dvAt, stride, d);
                }
            }

            // scatter the transposed sums back into the [B, T, G, D] rows
            scatterTransposed(scratch, dkAt, stride, dk, bi, gi);
            scatterTransposed(scratch, dvAt, stride, dv, bi, gi);
        });
    }

    /** Rounds n up to a whole number of vectors. */
    private static int roundUp(int n) {
        return (n + LANES - 1) / LANES * LANES;
    }

    /** Multiplies values[at, at + n) by factor and writes zeros to [at + n, at + padded). */
    private static void scaleAndPad(float[] values, int at, int n, int padded, float factor) {
        if (factor != 1f) {
            int s = 0;
            for (int bound = SPECIES.loopBound(n); s < bound; s += LANES) {
                FloatVector.fromArray(SPECIES, values, at + s).mul(factor).intoArray(values, at + s);
            }
            for (; s < n; s++) {
                values[at + s] *= factor;
            }
        }
        Arrays.fill(values, at + n, at + padded, 0f);
    }

    /**
     * Copies the rows of head gi in batch bi of x: [B, T, G, D] into out at {@code at} as [D, stride], with zeros
     * in the columns from T to stride.
     */
    private static void gatherTransposed(Tensor x, int bi, int gi, float[] out, int at, int stride) {
        int t = x.dim(1), g = x.dim(2), d = x.dim(3);
        float[] xd = x.data();
        // contiguous stores along s; the T·D values read fit in L1, so the strided reads stay cheap
        int first = x.offset() + (bi * t * g + gi) * d;
        int rowStride = g * d;
        for (int j = 0; j < d; j++) {
            int dst = at + j * stride;
            for (int s = 0, src = first + j; s < t; s++, src += rowStride) {
                out[dst + s] = xd[src];
            }
            Arrays.fill(out, dst + t, dst + stride, 0f);
        }
    }

    /** Writes the [D, stride] block at {@code at} of values into the rows of head gi in batch bi of x. */
    private static void scatterTransposed(float[] values, int at, int stride, Tensor x, int bi, int gi) {
        int t = x.dim(1), g = x.dim(2), d = x.dim(3);
        float[] xd = x.data();
        for (int s = 0; s < t; s++) {
            int row = x.offset() + ((bi * t + s) * g + gi) * d;
            for (int j = 0; j < d; j++) {
                xd[row + j] = values[at + j * stride + s];
            }
        }
    }

    /** Writes 0 for valid keys and -∞ for masked ones of batch bi, to add to the scores. */
    private static void fillMask(boolean[] keyMask, int bi, int t, float[] out, int at) {
        for (int s = 0; s < t; s++) {
            out[at + s] = keyMask == null || keyMask[bi * t + s] ? 0f : Float.NEGATIVE_INFINITY;
        }
    }

    /** Replaces values[at + s] by exp(values[at + s] - shift) for s in [0, n) and returns their sum. */
    private static float expInPlace(float[] values, int at, int n, float shift) {
        FloatVector acc = FloatVector.zero(SPECIES);
        int s = 0;
        for (int bound = SPECIES.loopBound(n); s < bound; s += LANES) {
            FloatVector e = exp(FloatVector.fromArray(SPECIES, values, at + s).sub(shift));
            e.intoArray(values, at + s);
            acc = acc.add(e);
        }
        float sum = VectorMath.sumLanes(acc);
        for (; s < n; s++) {
            float e = (float) Math.exp(values[at + s] - shift);
            values[at + s] = e;
            sum += e;
        }
        return sum;
    }

    /** Replaces grads[s] = dp_s by p_s·(dp_s - delta)·scale. */
    private static void scoreGradients(float[] scratch, int probabilitiesAt, int gradsAt, int n, float delta,
                                       float scale) {
        int s = 0;
        for (int bound = SPECIES.loopBound(n); s < bound; s += LANES) {
            FloatVector p = FloatVector.fromArray(SPECIES, scratch, probabilitiesAt + s);
            FloatVector.fromArray(SPECIES, scratch, gradsAt + s).sub(delta).mul(p).mul(scale)
                    .intoArray(scratch, gradsAt + s);
        }
        for (; s < n; s++) {
            scratch[gradsAt + s] = scratch[probabilitiesAt + s] * (scratch[gradsAt + s] - delta) * scale;
        }
    }
}
