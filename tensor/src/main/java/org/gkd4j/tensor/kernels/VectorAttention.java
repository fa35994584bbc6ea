package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.VectorMath.LANES;
import static org.gkd4j.tensor.kernels.VectorMath.SPECIES;
import static org.gkd4j.tensor.kernels.VectorMath.axpy;
import static org.gkd4j.tensor.kernels.VectorMath.dot;
import static org.gkd4j.tensor.kernels.VectorMath.exp;

import java.util.Arrays;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.gkd4j.tensor.Tensor;

/**
 * Vector API causal grouped-query attention. Each (batch, key head) block gathers its keys and values transposed,
 * [D, T], so the scores of one query against keys s = 0..t are a small matrix product vectorized over s
 * (broadcast q[j], fused multiply-add with row j of kᵀ) with no lane reduction in the inner loop.
 * The forward pass runs in parallel over (batch, query head). The backward pass runs over (batch, key head)
 * because the query heads of a group all add into the same dk and dv rows.
 */
final class VectorAttention {

    private VectorAttention() {
    }

    /** q, out: [B, T, H, D]; k, v: [B, T, G, D]; logsumexp: [B, H, T]; see {@link Backend#attention}. */
    static void attention(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp) {
        int b = q.dim(0), t = q.dim(1), h = q.dim(2), d = q.dim(3), g = k.dim(2);
        int group = h / g;
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] qd = q.data(), vd = v.data(), od = out.data(), ld = logsumexp.data();
        Parallel.forEach(b * h, task -> {
            int bi = task / h, hi = task % h, gi = hi / group;
            float[] scratch = VectorMath.scratch(d * t + 2 * t);
            int keysAt = 0, maskAt = d * t, scoresAt = d * t + t;
            gatherTransposed(k, bi, gi, scratch, keysAt);
            fillMask(keyMask, bi, t, scratch, maskAt);

            for (int ti = 0; ti < t; ti++) {
                int qRow = q.offset() + ((bi * t + ti) * h + hi) * d;
                int oRow = out.offset() + ((bi * t + ti) * h + hi) * d;
                int lseAt = logsumexp.offset() + (bi * h + hi) * t + ti;
                int keys = ti + 1;

                // scores over keys 0..t and their max; masked keys hold -∞
                float max = scores(qd, qRow, scale, scratch, keysAt, maskAt, scoresAt, keys, d, t);
                Arrays.fill(od, oRow, oRow + d, 0f);
                if (max == Float.NEGATIVE_INFINITY) {
                    ld[lseAt] = Float.NEGATIVE_INFINITY;
                    continue;
                }

                // probabilities p_s = exp(score_s - max) / Σ
                float sum = expInPlace(scratch, scoresAt, keys, max);
                ld[lseAt] = max + (float) Math.log(sum);
                float inverse = 1f / sum;

                // out = Σ_s p_s·v_s
                for (int s = 0; s < keys; s++) {
                    float p = scratch[scoresAt + s] * inverse;
                    if (p != 0f) {
                        axpy(p, vd, v.offset() + ((bi * t + s) * g + gi) * d, od, oRow, d);
                    }
                }
            }
        });
    }

    /** See {@link Backend#attentionBackward}: overwrites dq, dk and dv. */
    static void attentionBackward(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp,
                                  Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        int b = q.dim(0), t = q.dim(1), h = q.dim(2), d = q.dim(3), g = k.dim(2);
        int group = h / g;
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] qd = q.data(), kd = k.data(), od = out.data(), ld = logsumexp.data(), dod = dout.data();
        float[] dqd = dq.data(), dkd = dk.data(), dvd = dv.data();
        Parallel.forEach(b * g, task -> {
            int bi = task / g, gi = task % g;
            float[] scratch = VectorMath.scratch(2 * d * t + 3 * t);
            int keysAt = 0, valuesAt = d * t, maskAt = 2 * d * t, probabilitiesAt = maskAt + t, gradsAt = maskAt + 2 * t;
            gatherTransposed(k, bi, gi, scratch, keysAt);
            gatherTransposed(v, bi, gi, scratch, valuesAt);
            fillMask(keyMask, bi, t, scratch, maskAt);

            // this task owns the dk and dv rows of its key head
            for (int s = 0; s < t; s++) {
                int kvRow = ((bi * t + s) * g + gi) * d;
                Arrays.fill(dkd, dk.offset() + kvRow, dk.offset() + kvRow + d, 0f);
                Arrays.fill(dvd, dv.offset() + kvRow, dv.offset() + kvRow + d, 0f);
            }

            for (int hi = gi * group; hi < (gi + 1) * group; hi++) {
                for (int ti = 0; ti < t; ti++) {
                    int row = ((bi * t + ti) * h + hi) * d;
                    int qRow = q.offset() + row, dqRow = dq.offset() + row, doRow = dout.offset() + row;
                    float lse = ld[logsumexp.offset() + (bi * h + hi) * t + ti];
                    Arrays.fill(dqd, dqRow, dqRow + d, 0f);
                    if (lse == Float.NEGATIVE_INFINITY) {
                        continue;
                    }
                    int keys = ti + 1;

                    // p_s = exp(score_s - lse), recomputed instead of stored
                    scores(qd, qRow, scale, scratch, keysAt, maskAt, probabilitiesAt, keys, d, t);
                    expInPlace(scratch, probabilitiesAt, keys, lse);

                    // dp_s = dout·v_s, then dscore_s = p_s·(dp_s - δ)/√D with δ = dout·out
                    float delta = dot(dod, doRow, od, out.offset() + row, d);
                    scores(dod, doRow, 1f, scratch, valuesAt, -1, gradsAt, keys, d, t);
                    scoreGradients(scratch, probabilitiesAt, gradsAt, keys, delta, scale);

                    // dq = Σ_s dscore_s·k_s, read from kᵀ row by row
                    for (int j = 0; j < d; j++) {
                        dqd[dqRow + j] = dot(scratch, gradsAt, scratch, keysAt + j * t, keys);
                    }

                    // dk_s += dscore_s·q, dv_s += p_s·dout
                    for (int s = 0; s < keys; s++) {
                        float p = scratch[probabilitiesAt + s];
                        if (p == 0f) {
                            continue;
                        }
                        int kvRow = ((bi * t + s) * g + gi) * d;
                        axpy(scratch[gradsAt + s], qd, qRow, dkd, dk.offset() + kvRow, d);
                        axpy(p, dod, doRow, dvd, dv.offset() + kvRow, d);
                    }
                }
            }
        });
    }

    /** Copies the rows of head gi in batch bi of x: [B, T, G, D] into out at {@code at} as [D, T]. */
    private static void gatherTransposed(Tensor x, int bi, int gi, float[] out, int at) {
        int t = x.dim(1), g = x.dim(2), d = x.dim(3);
        float[] xd = x.data();
        for (int s = 0; s < t; s++) {
            int row = x.offset() + ((bi * t + s) * g + gi) * d;
            for (int j = 0; j < d; j++) {
                out[at + j * t + s] = xd[row + j];
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
     * Writes scale·(x_row · columns_s) + mask_s for s in [0, keys) at {@code outAt}, with columns stored [D, T]
     * at {@code columnsAt}; maskAt < 0 means no mask. Returns the max of the written values.
     */
    private static float scores(float[] x, int xRow, float scale, float[] scratch, int columnsAt, int maskAt,
                                int outAt, int keys, int d, int t) {
        FloatVector maxes = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        int s = 0;
        for (int bound = SPECIES.loopBound(keys); s < bound; s += LANES) {
            FloatVector acc = FloatVector.zero(SPECIES);
            for (int j = 0; j < d; j++) {
                acc = FloatVector.fromArray(SPECIES, scratch, columnsAt + j * t + s)
                        .fma(FloatVector.broadcast(SPECIES, x[xRow + j]), acc);
            }
            acc = acc.mul(scale);
            if (maskAt >= 0) {
                acc = acc.add(FloatVector.fromArray(SPECIES, scratch, maskAt + s));
            }
            acc.intoArray(scratch, outAt + s);
            maxes = maxes.max(acc);
        }
        float max = maxes.reduceLanes(VectorOperators.MAX);
        for (; s < keys; s++) {
            float sum = 0f;
            for (int j = 0; j < d; j++) {
                sum += scratch[columnsAt + j * t + s] * x[xRow + j];
            }
            float score = sum * scale + (maskAt >= 0 ? scratch[maskAt + s] : 0f);
            scratch[outAt + s] = score;
            max = Math.max(max, score);
        }
        return max;
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
