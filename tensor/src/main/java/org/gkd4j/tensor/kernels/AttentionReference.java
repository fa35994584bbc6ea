package org.gkd4j.tensor.kernels;

import org.gkd4j.tensor.Tensor;

/**
 * The scalar reference attention that defines {@link Backend#attention} and {@link Backend#attentionBackward}:
 * causal softmax(q·kᵀ/√D)·v per head, each of the H query heads reading key/value head h / (H / G), with masked keys
 * skipped. The forward pass stores log Σ exp of each query's scores, so the backward pass recomputes the
 * probabilities instead of storing them.
 */
public final class AttentionReference {

    private AttentionReference() {
    }

    public static void attention(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp) {
        // q, out: [B, T, H, D]; k, v: [B, T, G, D]; logsumexp: [B, H, T]
        int b = q.dim(0), t = q.dim(1), h = q.dim(2), d = q.dim(3), g = k.dim(2);
        int group = h / g;
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] qd = q.data(), kd = k.data(), vd = v.data(), od = out.data(), ld = logsumexp.data();
        float[] scores = new float[t];
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                int gi = hi / group;
                for (int ti = 0; ti < t; ti++) {
                    int qRow = q.offset() + ((bi * t + ti) * h + hi) * d;
                    int oRow = out.offset() + ((bi * t + ti) * h + hi) * d;

                    // scores of the valid keys s ≤ t, and their max
                    float max = Float.NEGATIVE_INFINITY;
                    for (int s = 0; s <= ti; s++) {
                        if (keyMask != null && !keyMask[bi * t + s]) {
                            scores[s] = Float.NEGATIVE_INFINITY;
                            continue;
                        }
                        int kRow = k.offset() + ((bi * t + s) * g + gi) * d;
                        float dot = 0;
                        for (int j = 0; j < d; j++) {
                            dot += qd[qRow + j] * kd[kRow + j];
                        }
                        scores[s] = dot * scale;
                        max = Math.max(max, scores[s]);
                    }
                    int lseAt = logsumexp.offset() + (bi * h + hi) * t + ti;
                    if (max == Float.NEGATIVE_INFINITY) {
                        // no valid key: the output is zero and the backward pass skips this query
                        for (int j = 0; j < d; j++) {
                            od[oRow + j] = 0;
                        }
                        ld[lseAt] = Float.NEGATIVE_INFINITY;
                        continue;
                    }

                    // probabilities p_s = exp(score_s - max) / Σ, then out = Σ_s p_s·v_s
                    double sum = 0;
                    for (int s = 0; s <= ti; s++) {
                        float p = scores[s] == Float.NEGATIVE_INFINITY ? 0 : (float) Math.exp(scores[s] - max);
                        scores[s] = p;
                        sum += p;
                    }
                    ld[lseAt] = max + (float) Math.log(sum);
                    float inv = (float) (1.0 / sum);
                    for (int j = 0; j < d; j++) {
                        od[oRow + j] = 0;
                    }
                    for (int s = 0; s <= ti; s++) {
                        float p = scores[s] * inv;
                        if (p == 0) {
                            continue;
                        }
                        int vRow = v.offset() + ((bi * t + s) * g + gi) * d;
                        for (int j = 0; j < d; j++) {
                            od[oRow + j] += p * vd[vRow + j];
                        }
                    }
                }
            }
        }
    }

    public static void attentionBackward(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out,
                                         Tensor logsumexp, Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        // q, out, dout, dq: [B, T, H, D]; k, v, dk, dv: [B, T, G, D]; logsumexp: [B, H, T]
        // with p_s = exp(score_s - lse), dp_s = dout·v_s and δ = dout·out:
        // dscore_s = p_s·(dp_s - δ), dq += dscore_s·k_s/√D, dk_s += dscore_s·q/√D, dv_s += p_s·dout
        int b = q.dim(0), t = q.dim(1), h = q.dim(2), d = q.dim(3), g = k.dim(2);
        int group = h / g;
        float scale = (float) (1.0 / Math.sqrt(d));
        float[] qd = q.data(), kd = k.data(), vd = v.data(), od = out.data(), ld = logsumexp.data();
        float[] dod = dout.data(), dqd = dq.data(), dkd = dk.data(), dvd = dv.data();
        dq.fill(0);
        dk.fill(0);
        dv.fill(0);
        for (int bi = 0; bi < b; bi++) {
            for (int hi = 0; hi < h; hi++) {
                int gi = hi / group;
                for (int ti = 0; ti < t; ti++) {
                    float lse = ld[logsumexp.offset() + (bi * h + hi) * t + ti];
                    if (lse == Float.NEGATIVE_INFINITY) {
                        continue;
                    }
                    int qRow = ((bi * t + ti) * h + hi) * d;
                    float delta = 0;
                    for (int j = 0; j < d; j++) {
                        delta += dod[dout.offset() + qRow + j] * od[out.offset() + qRow + j];
                    }
                    for (int s = 0; s <= ti; s++) {
                        if (keyMask != null && !keyMask[bi * t + s]) {
                            continue;
                        }
                        int kRow = ((bi * t + s) * g + gi) * d;
                        float dot = 0, dp = 0;
                        for (int j = 0; j < d; j++) {
                            dot += qd[q.offset() + qRow + j] * kd[k.offset() + kRow + j];
                            dp += dod[dout.offset() + qRow + j] * vd[v.offset() + kRow + j];
                        }
                        float p = (float) Math.exp(dot * scale - lse);
                        float dscore = p * (dp - delta) * scale;
                        for (int j = 0; j < d; j++) {
                            dqd[dq.offset() + qRow + j] += dscore * kd[k.offset() + kRow + j];
                            dkd[dk.offset() + kRow + j] += dscore * qd[q.offset() + qRow + j];
                            dvd[dv.offset() + kRow + j] += p * dod[dout.offset() + qRow + j];
                        }
                    }
                }
            }
        }
    }
}
