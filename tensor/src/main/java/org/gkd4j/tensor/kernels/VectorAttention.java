package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.VectorMath.LANES;
import static org.gkd4j.tensor.kernels.VectorMath.SPECIES;
import static org.gkd4j.tensor.kernels.VectorMath.dot;
import static org.gkd4j.tensor.kernels.VectorMath.exp;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.gkd4j.tensor.Tensor;

/**
 * Vector API causal grouped-query attention. Each (batch, key head) block gathers its keys and values transposed,
 * [D, T] padded to whole vectors, so every step of a query row runs along the key axis s = 0..t: the scores
 * (broadcast q[j], fused multiply-add with row j of kᵀ), out_j = p·vᵀ[j] and, in the backward pass,
 * dq_j = dscore·kᵀ[j] and the rank-one updates dkᵀ[j] += q_j·dscore, dvᵀ[j] += dout_j·p. With D = 8..48 this
 * takes D calls per query row where one call per key took T.
 * The forward pass runs in parallel over (batch, query head). The backward pass runs over (batch, key head)
 * because the query heads of a group all add into the same dk and dv rows. Each task owns its rows, so the
 * result does not depend on the number of threads.
 */
final class VectorAttention {

    private VectorAttention() {
    }

    /** q, out: [B, T, H, D]; k, v: [B, T, G, D]; logsumexp: [B, H, T]; see {@link Backend#attention}. */
    static void attention(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp) {
        int b = q.dim(0), t = q.dim(1), h = q.dim(2), d = q.dim(3), g = k.dim(2);
        int group = h / g;
        int stride = roundUp(t);
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] qd = q.data(), od = out.data(), ld = logsumexp.data();
        Parallel.forEach(b * h, task -> {
            int bi = task / h, hi = task % h, gi = hi / group;
            float[] scratch = VectorMath.scratch(2 * d * stride + 2 * stride);
            int keysAt = 0, valuesAt = d * stride, maskAt = 2 * d * stride, scoresAt = maskAt + stride;
            gatherTransposed(k, bi, gi, scratch, keysAt, stride);
            gatherTransposed(v, bi, gi, scratch, valuesAt, stride);
            fillMask(keyMask, bi, t, scratch, maskAt);

            for (int ti = 0; ti < t; ti++) {
                int qRow = q.offset() + ((bi * t + ti) * h + hi) * d;
                int oRow = out.offset() + ((bi * t + ti) * h + hi) * d;
                int lseAt = logsumexp.offset() + (bi * h + hi) * t + ti;
                int keys = ti + 1;

                // scores over keys 0..t and their max; masked keys hold -∞
                float max = scores(qd, qRow, scale, scratch, keysAt, maskAt, scoresAt, keys, d, stride);
                if (max == Float.NEGATIVE_INFINITY) {
                    Arrays.fill(od, oRow, oRow + d, 0f);
                    ld[lseAt] = Float.NEGATIVE_INFINITY;
                    continue;
                }

                // probabilities p_s = exp(score_s - max) / Σ, zero up to a whole vector past the last key (-∞ there)
                int padded = roundUp(keys);
                float sum = expInPlace(scratch, scoresAt, padded, max);
                ld[lseAt] = max + (float) Math.log(sum);
                scaleAndPad(scratch, scoresAt, padded, padded, 1f / sum);

                // out_j = Σ_s p_s·vᵀ[j, s]: D dot products over the key axis instead of one axpy per key
                VectorAttentionBlocks.rowDots(scratch, scoresAt, padded, scratch, valuesAt, stride, d, od, oRow);
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
        float[] qd = q.data(), od = out.data(), ld = logsumexp.data(), dod = dout.data();
        float[] dqd = dq.data();
        Parallel.forEach(b * g, task -> {
            int bi = task / g, gi = task % g;
            float[] scratch = VectorMath.scratch(4 * d * stride + 5 * stride);
            int keysAt = 0, valuesAt = d * stride, dkAt = 2 * d * stride, dvAt = 3 * d * stride;
            int maskAt = 4 * d * stride;
            // p and dscore of the two query rows of a pair
            int[] probabilitiesAt = {maskAt + stride, maskAt + 3 * stride};
            int[] gradsAt = {maskAt + 2 * stride, maskAt + 4 * stride};
            gatherTransposed(k, bi, gi, scratch, keysAt, stride);
            gatherTransposed(v, bi, gi, scratch, valuesAt, stride);
            fillMask(keyMask, bi, t, scratch, maskAt);

            // this task owns the dk and dv rows of its key head, accumulated transposed [D, T] so that the
            // updates run along the key axis
            Arrays.fill(scratch, dkAt, maskAt, 0f);

            for (int hi = gi * group; hi < (gi + 1) * group; hi++) {
                // query rows go in pairs so that each dkᵀ and dvᵀ vector is loaded and stored once per pair
                for (int first = 0; first < t; first += 2) {
                    int pair = Math.min(2, t - first);
                    int padded = roundUp(first + pair);
                    for (int r = 0; r < pair; r++) {
                        int ti = first + r;
                        int row = ((bi * t + ti) * h + hi) * d;
                        int qRow = q.offset() + row, dqRow = dq.offset() + row, doRow = dout.offset() + row;
                        int pAt = probabilitiesAt[r], gAt = gradsAt[r];
                        float lse = ld[logsumexp.offset() + (bi * h + hi) * t + ti];
                        if (lse == Float.NEGATIVE_INFINITY) {
                            // no valid key: zero gradients, and zeros for the pair's dk and dv update
                            Arrays.fill(dqd, dqRow, dqRow + d, 0f);
                            Arrays.fill(scratch, pAt, pAt + padded, 0f);
                            Arrays.fill(scratch, gAt, gAt + padded, 0f);
                            continue;
                        }
                        int keys = ti + 1;

                        // p_s = exp(score_s - lse), recomputed instead of stored
                        scores(qd, qRow, scale, scratch, keysAt, maskAt, pAt, keys, d, stride);
                        int rowPadded = roundUp(keys);
                        expInPlace(scratch, pAt, rowPadded, lse);
                        scaleAndPad(scratch, pAt, rowPadded, padded, 1f);

                        // dp_s = dout·v_s, then dscore_s = p_s·(dp_s - δ)/√D with δ = dout·out
                        float delta = dot(dod, doRow, od, out.offset() + row, d);
                        scores(dod, doRow, 1f, scratch, valuesAt, -1, gAt, keys, d, stride);
                        scoreGradients(scratch, pAt, gAt, rowPadded, delta, scale);
                        scaleAndPad(scratch, gAt, rowPadded, padded, 1f);

                        // dq_j = Σ_s dscore_s·kᵀ[j, s]
                        VectorAttentionBlocks.rowDots(scratch, gAt, padded, scratch, keysAt, stride, d, dqd, dqRow);
                    }

                    // dkᵀ[j, s] += q_j·dscore_s, dvᵀ[j, s] += dout_j·p_s, summed over the rows of the pair
                    int row0 = ((bi * t + first) * h + hi) * d;
                    if (pair == 2) {
                        int row1 = row0 + h * d;
                        VectorAttentionBlocks.outerAdd2(qd, q.offset() + row0, q.offset() + row1, scratch,
                                gradsAt[0], gradsAt[1], padded, scratch, dkAt, stride, d);
                        VectorAttentionBlocks.outerAdd2(dod, dout.offset() + row0, dout.offset() + row1, scratch,
                                probabilitiesAt[0], probabilitiesAt[1], padded, scratch, dvAt, stride, d);
                    } else {
                        VectorAttentionBlocks.outerAdd(qd, q.offset() + row0, scratch, gradsAt[0], padded, scratch,
                                dkAt, stride, d);
                        VectorAttentionBlocks.outerAdd(dod, dout.offset() + row0, scratch, probabilitiesAt[0],
                                padded, scratch, dvAt, stride, d);
                    }
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
        for (int s = 0; s < t; s++) {
            int row = x.offset() + ((bi * t + s) * g + gi) * d;
            for (int j = 0; j < d; j++) {
                out[at + j * stride + s] = xd[row + j];
            }
        }
        for (int j = 0; j < d; j++) {
            Arrays.fill(out, at + j * stride + t, at + (j + 1) * stride, 0f);
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

    /**
     * Writes scale·(x_row · columns_s) + mask_s for s in [0, keys) at {@code outAt}, with columns stored
     * [D, stride] at {@code columnsAt}; maskAt < 0 means no mask. The last vector is computed whole and its lanes
     * from keys on are set to -∞ (with a mask, so that exp gives 0) or 0 (without). Returns the max of the
     * written values.
     */
    private static float scores(float[] x, int xRow, float scale, float[] scratch, int columnsAt, int maskAt,
                                int outAt, int keys, int d, int stride) {
        float beyond = maskAt >= 0 ? Float.NEGATIVE_INFINITY : 0f;
        FloatVector maxes = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        for (int s = 0; s < keys; s += LANES) {
            FloatVector acc = FloatVector.zero(SPECIES);
            for (int j = 0; j < d; j++) {
                acc = FloatVector.fromArray(SPECIES, scratch, columnsAt + j * stride + s)
                        .fma(FloatVector.broadcast(SPECIES, x[xRow + j]), acc);
            }
            acc = acc.mul(scale);
            if (maskAt >= 0) {
                acc = acc.add(FloatVector.fromArray(SPECIES, scratch, maskAt + s));
            }
            if (s + LANES > keys) {
                acc = acc.blend(beyond, SPECIES.indexInRange(s, keys).not());
            }
            acc.intoArray(scratch, outAt + s);
            maxes = maxes.max(acc);
        }
        return maxes.reduceLanes(VectorOperators.MAX);
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
