package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.VectorElementwise.rowMax;
import static org.gkd4j.tensor.kernels.VectorElementwise.rowSum;
import static org.gkd4j.tensor.kernels.VectorMath.LANES;
import static org.gkd4j.tensor.kernels.VectorMath.SPECIES;
import static org.gkd4j.tensor.kernels.VectorMath.exp;
import static org.gkd4j.tensor.kernels.VectorMath.rowGrain;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.gkd4j.tensor.Tensor;

/** Vector API softmax, log-softmax and cross-entropy along the last axis, parallel over rows. */
final class VectorSoftmax {

    private VectorSoftmax() {
    }

    /** x, y: [N, C]; y = exp(x - max) / Σ exp(x - max); y may alias x. */
    static void softmax(Tensor x, Tensor y) {
        int c = x.dim(-1);
        float[] xd = x.data(), yd = y.data();
        Parallel.forRange(x.rows(), rowGrain(c), (start, end) -> {
            for (int n = start; n < end; n++) {
                int xr = x.offset() + n * c, yr = y.offset() + n * c;
                float max = rowMax(xd, xr, c);

                // exponentials into y and their sum
                FloatVector acc = FloatVector.zero(SPECIES);
                int i = 0;
                for (int bound = SPECIES.loopBound(c); i < bound; i += LANES) {
                    FloatVector e = exp(FloatVector.fromArray(SPECIES, xd, xr + i).sub(max));
                    e.intoArray(yd, yr + i);
                    acc = acc.add(e);
                }
                float sum = VectorMath.sumLanes(acc);
                for (; i < c; i++) {
                    float e = (float) Math.exp(xd[xr + i] - max);
                    yd[yr + i] = e;
                    sum += e;
                }

                // normalize
                scaleRow(yd, yr, c, 1f / sum);
            }
        });
    }

    /** x, y: [N, C]; y = (x - max) - log Σ exp(x - max); y may alias x. */
    static void logSoftmax(Tensor x, Tensor y) {
        int c = x.dim(-1);
        float[] xd = x.data(), yd = y.data();
        Parallel.forRange(x.rows(), rowGrain(c), (start, end) -> {
            for (int n = start; n < end; n++) {
                int xr = x.offset() + n * c, yr = y.offset() + n * c;
                float max = rowMax(xd, xr, c);
                float logSum = (float) Math.log(sumExp(xd, xr, c, max));
                int i = 0;
                for (int bound = SPECIES.loopBound(c); i < bound; i += LANES) {
                    FloatVector.fromArray(SPECIES, xd, xr + i).sub(max).sub(logSum).intoArray(yd, yr + i);
                }
                for (; i < c; i++) {
                    yd[yr + i] = (xd[xr + i] - max) - logSum;
                }
            }
        });
    }

    /** y, dy, dx: [N, C]; dx = y ⊙ (dy - Σ dy ⊙ y). */
    static void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        int c = y.dim(-1);
        float[] yd = y.data(), dyd = dy.data(), dxd = dx.data();
        Parallel.forRange(y.rows(), rowGrain(c), (start, end) -> {
            for (int n = start; n < end; n++) {
                int yr = y.offset() + n * c, dyr = dy.offset() + n * c, dxr = dx.offset() + n * c;
                float dot = VectorMath.dot(dyd, dyr, yd, yr, c);
                int i = 0;
                for (int bound = SPECIES.loopBound(c); i < bound; i += LANES) {
                    FloatVector.fromArray(SPECIES, dyd, dyr + i).sub(dot)
                            .mul(FloatVector.fromArray(SPECIES, yd, yr + i)).intoArray(dxd, dxr + i);
                }
                for (; i < c; i++) {
                    dxd[dxr + i] = yd[yr + i] * (dyd[dyr + i] - dot);
                }
            }
        });
    }

    /** y, dy, dx: [N, C]; dx = dy - exp(y)·Σ dy. */
    static void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        int c = y.dim(-1);
        float[] yd = y.data(), dyd = dy.data(), dxd = dx.data();
        Parallel.forRange(y.rows(), rowGrain(c), (start, end) -> {
            for (int n = start; n < end; n++) {
                int yr = y.offset() + n * c, dyr = dy.offset() + n * c, dxr = dx.offset() + n * c;
                float sum = rowSum(dyd, dyr, c);
                int i = 0;
                for (int bound = SPECIES.loopBound(c); i < bound; i += LANES) {
                    FloatVector e = exp(FloatVector.fromArray(SPECIES, yd, yr + i));
                    FloatVector.fromArray(SPECIES, dyd, dyr + i).sub(e.mul(sum)).intoArray(dxd, dxr + i);
                }
                for (; i < c; i++) {
                    dxd[dxr + i] = dyd[dyr + i] - (float) Math.exp(yd[yr + i]) * sum;
                }
            }
        });
    }

    /** logits: [N, V], targets: [N], losses: [N]; losses[n] = logsumexp(logits[n]) - logits[n, target]. */
    static void crossEntropy(Tensor logits, int[] targets, int ignoreIndex, Tensor losses) {
        int v = logits.dim(-1);
        float[] ld = logits.data(), od = losses.data();
        Parallel.forRange(targets.length, rowGrain(v), (start, end) -> {
            for (int n = start; n < end; n++) {
                float loss = 0;
                if (targets[n] != ignoreIndex) {
                    int row = logits.offset() + n * v;
                    loss = logSumExp(ld, row, v) - ld[row + targets[n]];
                }
                od[losses.offset() + n] = loss;
            }
        });
    }

    /** logits, dlogits: [N, V]; dlogits = scale·(softmax(logits) - onehot(target)), 0 for ignored rows. */
    static void crossEntropyBackward(Tensor logits, int[] targets, int ignoreIndex, float scale, Tensor dlogits) {
        int v = logits.dim(-1);
        float[] ld = logits.data(), dd = dlogits.data();
        Parallel.forRange(targets.length, rowGrain(v), (start, end) -> {
            for (int n = start; n < end; n++) {
                int row = logits.offset() + n * v, dRow = dlogits.offset() + n * v;
                if (targets[n] == ignoreIndex) {
                    java.util.Arrays.fill(dd, dRow, dRow + v, 0f);
                    continue;
                }
                float lse = logSumExp(ld, row, v);
                int i = 0;
                for (int bound = SPECIES.loopBound(v); i < bound; i += LANES) {
                    exp(FloatVector.fromArray(SPECIES, ld, row + i).sub(lse)).mul(scale).intoArray(dd, dRow + i);
                }
                for (; i < v; i++) {
                    dd[dRow + i] = scale * (float) Math.exp(ld[row + i] - lse);
                }
                dd[dRow + targets[n]] -= scale;
            }
        });
    }

    /** Returns log Σ exp(x[from .. from + length)) as max + log Σ exp(x - max). */
    static float logSumExp(float[] x, int from, int length) {
        float max = rowMax(x, from, length);
        return max + (float) Math.log(sumExp(x, from, length, max));
    }

    /** Returns Σ exp(x[from + i] - max), one lane reduction at the end. */
    static float sumExp(float[] x, int from, int length, float max) {
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        for (int bound = SPECIES.loopBound(length); i < bound; i += LANES) {
            acc = acc.add(exp(FloatVector.fromArray(SPECIES, x, from + i).sub(max)));
        }
        float sum = VectorMath.sumLanes(acc);
        for (; i < length; i++) {
            sum += (float) Math.exp(x[from + i] - max);
        }
        return sum;
    }

    static void scaleRow(float[] x, int from, int length, float s) {
        int i = 0;
        for (int bound = SPECIES.loopBound(length); i < bound; i += LANES) {
            FloatVector.fromArray(SPECIES, x, from + i).mul(s).intoArray(x, from + i);
        }
        for (; i < length; i++) {
            x[from + i] *= s;
        }
    }
}
