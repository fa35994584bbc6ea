package org.gkd4j.tensor.kernels;

import org.gkd4j.tensor.Tensor;

/**
 * The scalar reference backend: plain loops in float (double where a sum needs it) that define each kernel.
 * Every method assumes the input was validated by {@link Kernels}; see {@link Backend} for the contracts.
 */
public class ScalarBackend implements Backend {

    /** √(2/π), the constant in the tanh form of GELU. */
    static final double GELU_K = Math.sqrt(2.0 / Math.PI);
    /** The cubic coefficient in the tanh form of GELU. */
    static final double GELU_C = 0.044715;

    @Override
    public String name() {
        return "scalar";
    }

    // ---------------------------------------------------------------- matrix multiply

    @Override
    public void matmul(Tensor a, Tensor b, Tensor c, boolean transA, boolean transB, boolean accumulate) {
        MatmulReference.matmul(a, b, c, transA, transB, accumulate);
    }

    // ---------------------------------------------------------------- element-wise

    @Override
    public void add(Tensor a, Tensor b, Tensor out) {
        float[] ad = a.data(), bd = b.data(), od = out.data();
        int ao = a.offset(), bo = b.offset(), oo = out.offset();
        for (int i = 0; i < out.size(); i++) {
            od[oo + i] = ad[ao + i] + bd[bo + i];
        }
    }

    @Override
    public void mul(Tensor a, Tensor b, Tensor out) {
        float[] ad = a.data(), bd = b.data(), od = out.data();
        int ao = a.offset(), bo = b.offset(), oo = out.offset();
        for (int i = 0; i < out.size(); i++) {
            od[oo + i] = ad[ao + i] * bd[bo + i];
        }
    }

    @Override
    public void scale(Tensor a, float s, Tensor out) {
        float[] ad = a.data(), od = out.data();
        int ao = a.offset(), oo = out.offset();
        for (int i = 0; i < out.size(); i++) {
            od[oo + i] = s * ad[ao + i];
        }
    }

    @Override
    public void axpy(float alpha, Tensor x, Tensor y) {
        float[] xd = x.data(), yd = y.data();
        int xo = x.offset(), yo = y.offset();
        for (int i = 0; i < y.size(); i++) {
            yd[yo + i] += alpha * xd[xo + i];
        }
    }

    @Override
    public void sumLastAxis(Tensor x, Tensor out) {
        // x: [N, C], out: [N]
        int c = x.dim(-1);
        float[] xd = x.data();
        for (int n = 0; n < x.rows(); n++) {
            int row = x.offset() + n * c;
            double sum = 0;
            for (int i = 0; i < c; i++) {
                sum += xd[row + i];
            }
            out.data()[out.offset() + n] = (float) sum;
        }
    }

    @Override
    public void maxLastAxis(Tensor x, Tensor out) {
        // x: [N, C], out: [N]
        int c = x.dim(-1);
        float[] xd = x.data();
        for (int n = 0; n < x.rows(); n++) {
            out.data()[out.offset() + n] = rowMax(xd, x.offset() + n * c, c);
        }
    }

    // ---------------------------------------------------------------- softmax

    @Override
    public void softmax(Tensor x, Tensor y) {
        // x, y: [N, C]; y = exp(x - max) / Σ exp(x - max), the max subtraction keeps exp from overflowing
        int c = x.dim(-1);
        float[] xd = x.data(), yd = y.data();
        for (int n = 0; n < x.rows(); n++) {
            int xr = x.offset() + n * c, yr = y.offset() + n * c;
            float max = rowMax(xd, xr, c);
            double sum = 0;
            for (int i = 0; i < c; i++) {
                float e = (float) Math.exp(xd[xr + i] - max);
                yd[yr + i] = e;
                sum += e;
            }
            float inv = (float) (1.0 / sum);
            for (int i = 0; i < c; i++) {
                yd[yr + i] *= inv;
            }
        }
    }

    @Override
    public void logSoftmax(Tensor x, Tensor y) {
        // x, y: [N, C]; y = x - max - log Σ exp(x - max)
        int c = x.dim(-1);
        float[] xd = x.data(), yd = y.data();
        for (int n = 0; n < x.rows(); n++) {
            int xr = x.offset() + n * c, yr = y.offset() + n * c;
            float max = rowMax(xd, xr, c);
            double sum = 0;
            for (int i = 0; i < c; i++) {
                sum += Math.exp(xd[xr + i] - max);
            }
            // subtract max and log-sum separately: their float sum would round away digits of the result
            float logSum = (float) Math.log(sum);
            for (int i = 0; i < c; i++) {
                yd[yr + i] = (xd[xr + i] - max) - logSum;
            }
        }
    }

    @Override
    public void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        // y, dy, dx: [N, C]; dx = y ⊙ (dy - Σ_c dy ⊙ y)
        int c = y.dim(-1);
        float[] yd = y.data(), dyd = dy.data(), dxd = dx.data();
        for (int n = 0; n < y.rows(); n++) {
            int yr = y.offset() + n * c, dyr = dy.offset() + n * c, dxr = dx.offset() + n * c;
            double dot = 0;
            for (int i = 0; i < c; i++) {
                dot += (double) dyd[dyr + i] * yd[yr + i];
            }
            for (int i = 0; i < c; i++) {
                dxd[dxr + i] = yd[yr + i] * (dyd[dyr + i] - (float) dot);
            }
        }
    }

    @Override
    public void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        // y, dy, dx: [N, C]; dx = dy - softmax(x)·Σ_c dy, and softmax(x) = exp(y)
        int c = y.dim(-1);
        float[] yd = y.data(), dyd = dy.data(), dxd = dx.data();
        for (int n = 0; n < y.rows(); n++) {
            int yr = y.offset() + n * c, dyr = dy.offset() + n * c, dxr = dx.offset() + n * c;
            double sum = 0;
            for (int i = 0; i < c; i++) {
                sum += dyd[dyr + i];
            }
            for (int i = 0; i < c; i++) {
                dxd[dxr + i] = dyd[dyr + i] - (float) Math.exp(yd[yr + i]) * (float) sum;
            }
        }
    }

    // ---------------------------------------------------------------- normalization

    @Override
    public void rmsNorm(Tensor x, Tensor weight, float eps, Tensor y, Tensor invRms) {
        // x, y: [N, C]; weight: [C]; invRms: [N]
        int c = x.dim(-1);
        float[] xd = x.data(), wd = weight.data(), yd = y.data();
        int wo = weight.offset();
        for (int n = 0; n < x.rows(); n++) {
            int xr = x.offset() + n * c, yr = y.offset() + n * c;
            double sumSquares = 0;
            for (int i = 0; i < c; i++) {
                sumSquares += (double) xd[xr + i] * xd[xr + i];
            }
            float r = (float) (1.0 / Math.sqrt(sumSquares / c + eps));
            invRms.data()[invRms.offset() + n] = r;
            for (int i = 0; i < c; i++) {
                yd[yr + i] = xd[xr + i] * r * wd[wo + i];
            }
        }
    }

    @Override
    public void rmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor dy, Tensor dx, Tensor dweight) {
        // x, dy, dx: [N, C]; weight, dweight: [C]; invRms: [N]
        // with r = invRms: dx_i = r·w_i·dy_i - r³·x_i/C · Σ_j dy_j·w_j·x_j, dweight_i += dy_i·x_i·r
        int c = x.dim(-1);
        float[] xd = x.data(), wd = weight.data(), dyd = dy.data(), dxd = dx.data(), dwd = dweight.data();
        int wo = weight.offset(), dwo = dweight.offset();
        for (int n = 0; n < x.rows(); n++) {
            int xr = x.offset() + n * c, dyr = dy.offset() + n * c, dxr = dx.offset() + n * c;
            float r = invRms.data()[invRms.offset() + n];
            double dot = 0;
            for (int i = 0; i < c; i++) {
                dot += (double) dyd[dyr + i] * wd[wo + i] * xd[xr + i];
            }
            float coefficient = (float) (dot * r * r * r / c);
            for (int i = 0; i < c; i++) {
                dxd[dxr + i] = r * wd[wo + i] * dyd[dyr + i] - coefficient * xd[xr + i];
                dwd[dwo + i] += dyd[dyr + i] * xd[xr + i] * r;
            }
        }
    }

    @Override
    public void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y, Tensor mean, Tensor invStd) {
        // x, y: [N, C]; weight, bias: [C]; mean, invStd: [N]
        int c = x.dim(-1);
        float[] xd = x.data(), wd = weight.data(), bd = bias.data(), yd = y.data();
        int wo = weight.offset(), bo = bias.offset();
        for (int n = 0; n < x.rows(); n++) {
            int xr = x.offset() + n * c, yr = y.offset() + n * c;
            double sum = 0;
            for (int i = 0; i < c; i++) {
                sum += xd[xr + i];
            }
            float mu = (float) (sum / c);
            double sumSquares = 0;
            for (int i = 0; i < c; i++) {
                double centered = xd[xr + i] - mu;
                sumSquares += centered * centered;
            }
            float s = (float) (1.0 / Math.sqrt(sumSquares / c + eps));
            mean.data()[mean.offset() + n] = mu;
            invStd.data()[invStd.offset() + n] = s;
            for (int i = 0; i < c; i++) {
                yd[yr + i] = (xd[xr + i] - mu) * s * wd[wo + i] + bd[bo + i];
            }
        }
    }

    @Override
    public void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor dy,
                                  Tensor dx, Tensor dweight, Tensor dbias) {
        // x, dy, dx: [N, C]; weight, dweight, dbias: [C]; mean, invStd: [N]
        // with x̂ = (x - mean)·s and g = dy ⊙ w: dx = s·(g - mean(g) - x̂·mean(g ⊙ x̂))
        int c = x.dim(-1);
        float[] xd = x.data(), wd = weight.data(), dyd = dy.data(), dxd = dx.data();
        float[] dwd = dweight.data(), dbd = dbias.data();
        int wo = weight.offset(), dwo = dweight.offset(), dbo = dbias.offset();
        for (int n = 0; n < x.rows(); n++) {
            int xr = x.offset() + n * c, dyr = dy.offset() + n * c, dxr = dx.offset() + n * c;
            float mu = mean.data()[mean.offset() + n];
            float s = invStd.data()[invStd.offset() + n];
            double sumG = 0, sumGxHat = 0;
            for (int i = 0; i < c; i++) {
                float xHat = (xd[xr + i] - mu) * s;
                float g = dyd[dyr + i] * wd[wo + i];
                sumG += g;
                sumGxHat += (double) g * xHat;
                dwd[dwo + i] += dyd[dyr + i] * xHat;
                dbd[dbo + i] += dyd[dyr + i];
            }
            float meanG = (float) (sumG / c), meanGxHat = (float) (sumGxHat / c);
            for (int i = 0; i < c; i++) {
                float xHat = (xd[xr + i] - mu) * s;
                float g = dyd[dyr + i] * wd[wo + i];
                dxd[dxr + i] = s * (g - meanG - xHat * meanGxHat);
            }
        }
    }

    // ---------------------------------------------------------------- activations

    @Override
    public void silu(Tensor x, Tensor y) {
        float[] xd = x.data(), yd = y.data();
        for (int i = 0; i < x.size(); i++) {
            float v = xd[x.offset() + i];
            yd[y.offset() + i] = v * sigmoid(v);
        }
    }

    @Override
    public void siluBackward(Tensor x, Tensor dy, Tensor dx) {
        float[] xd = x.data(), dyd = dy.data(), dxd = dx.data();
        for (int i = 0; i < x.size(); i++) {
            float v = xd[x.offset() + i];
            float s = sigmoid(v);
            dxd[dx.offset() + i] = dyd[dy.offset() + i] * s * (1 + v * (1 - s));
        }
    }

    @Override
    public void gelu(Tensor x, Tensor y) {
        float[] xd = x.data(), yd = y.data();
        for (int i = 0; i < x.size(); i++) {
            double v = xd[x.offset() + i];
            double t = Math.tanh(GELU_K * (v + GELU_C * v * v * v));
            yd[y.offset() + i] = (float) (0.5 * v * (1 + t));
        }
    }

    @Override
    public void geluBackward(Tensor x, Tensor dy, Tensor dx) {
        // d gelu/dx = 0.5·(1 + t) + 0.5·x·(1 - t²)·k·(1 + 3c·x²), t = tanh(k·(x + c·x³))
        float[] xd = x.data(), dyd = dy.data(), dxd = dx.data();
        for (int i = 0; i < x.size(); i++) {
            double v = xd[x.offset() + i];
            double t = Math.tanh(GELU_K * (v + GELU_C * v * v * v));
            double derivative = 0.5 * (1 + t) + 0.5 * v * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * v * v);
            dxd[dx.offset() + i] = (float) (dyd[dy.offset() + i] * derivative);
        }
    }

    @Override
    public void swiglu(Tensor gate, Tensor up, Tensor y) {
        float[] gd = gate.data(), ud = up.data(), yd = y.data();
        for (int i = 0; i < gate.size(); i++) {
            float g = gd[gate.offset() + i];
            yd[y.offset() + i] = g * sigmoid(g) * ud[up.offset() + i];
        }
    }

    @Override
    public void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dgate, Tensor dup) {
        // dgate = dy·up·silu'(gate), dup = dy·silu(gate)
        float[] gd = gate.data(), ud = up.data(), dyd = dy.data(), dgd = dgate.data(), dud = dup.data();
        for (int i = 0; i < gate.size(); i++) {
            float g = gd[gate.offset() + i];
            float s = sigmoid(g);
            float d = dyd[dy.offset() + i];
            dgd[dgate.offset() + i] = d * ud[up.offset() + i] * s * (1 + g * (1 - s));
            dud[dup.offset() + i] = d * g * s;
        }
    }

    // ---------------------------------------------------------------- rotary position embedding

    @Override
    public void rope(Tensor x, int[] positions, float theta, boolean inverse) {
        // x: [N, H, D], positions: [N]; pair i of a head turns by positions[n]·theta^(-2i/D)
        int n = x.dim(0), h = x.dim(1), d = x.dim(2);
        float[] xd = x.data();
        for (int row = 0; row < n; row++) {
            for (int i = 0; i < d / 2; i++) {
                double angle = positions[row] * Math.pow(theta, -2.0 * i / d);
                float cos = (float) Math.cos(angle);
                float sin = (float) (inverse ? -Math.sin(angle) : Math.sin(angle));
                for (int head = 0; head < h; head++) {
                    int at = x.offset() + (row * h + head) * d + 2 * i;
                    float x0 = xd[at], x1 = xd[at + 1];
                    xd[at] = x0 * cos - x1 * sin;
                    xd[at + 1] = x0 * sin + x1 * cos;
                }
            }
        }
    }

    // ---------------------------------------------------------------- attention

    @Override
    public void attention(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp) {
        AttentionReference.attention(q, k, v, keyMask, out, logsumexp);
    }

    @Override
    public void attentionBackward(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp,
                                  Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        AttentionReference.attentionBackward(q, k, v, keyMask, out, logsumexp, dout, dq, dk, dv);
    }

    // ---------------------------------------------------------------- embedding and loss

    @Override
    public void embedding(Tensor table, int[] ids, Tensor out) {
        // table: [V, C], ids: [N], out: [N, C]
        int c = table.dim(-1);
        for (int n = 0; n < ids.length; n++) {
            System.arraycopy(table.data(), table.offset() + ids[n] * c, out.data(), out.offset() + n * c, c);
        }
    }

    @Override
    public void embeddingBackward(Tensor dout, int[] ids, Tensor dtable) {
        // dout: [N, C], ids: [N], dtable: [V, C]
        int c = dtable.dim(-1);
        float[] dod = dout.data(), dtd = dtable.data();
        for (int n = 0; n < ids.length; n++) {
            int from = dout.offset() + n * c, to = dtable.offset() + ids[n] * c;
            for (int i = 0; i < c; i++) {
                dtd[to + i] += dod[from + i];
            }
        }
    }

    @Override
    public void crossEntropy(Tensor logits, int[] targets, int ignoreIndex, Tensor losses) {
        // logits: [N, V], targets: [N], losses: [N]
        int v = logits.dim(-1);
        float[] ld = logits.data();
        for (int n = 0; n < targets.length; n++) {
            float loss = 0;
            if (targets[n] != ignoreIndex) {
                int row = logits.offset() + n * v;
                loss = (float) (logSumExp(ld, row, v) - ld[row + targets[n]]);
            }
            losses.data()[losses.offset() + n] = loss;
        }
    }

    @Override
    public void crossEntropyBackward(Tensor logits, int[] targets, int ignoreIndex, float scale, Tensor dlogits) {
        // logits, dlogits: [N, V], targets: [N]; dlogits = scale·(softmax(logits) - onehot(target))
        int v = logits.dim(-1);
        float[] ld = logits.data(), dd = dlogits.data();
        for (int n = 0; n < targets.length; n++) {
            int row = logits.offset() + n * v, dRow = dlogits.offset() + n * v;
            if (targets[n] == ignoreIndex) {
                for (int i = 0; i < v; i++) {
                    dd[dRow + i] = 0;
                }
                continue;
            }
            double lse = logSumExp(ld, row, v);
            for (int i = 0; i < v; i++) {
                dd[dRow + i] = scale * (float) Math.exp(ld[row + i] - lse);
            }
            dd[dRow + targets[n]] -= scale;
        }
    }

    // ---------------------------------------------------------------- helpers

    static float sigmoid(float x) {
        return (float) (1.0 / (1.0 + Math.exp(-x)));
    }

    static float rowMax(float[] data, int from, int length) {
        float max = Float.NEGATIVE_INFINITY;
        for (int i = 0; i < length; i++) {
            max = Math.max(max, data[from + i]);
        }
        return max;
    }

    /** Returns log Σ exp(data[from .. from + length)) computed as max + log Σ exp(x - max). */
    static double logSumExp(float[] data, int from, int length) {
        float max = rowMax(data, from, length);
        double sum = 0;
        for (int i = 0; i < length; i++) {
            sum += Math.exp(data[from + i] - max);
        }
        return max + Math.log(sum);
    }
}
