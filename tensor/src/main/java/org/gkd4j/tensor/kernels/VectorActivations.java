package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.VectorMath.LANES;
import static org.gkd4j.tensor.kernels.VectorMath.PARALLEL_GRAIN;
import static org.gkd4j.tensor.kernels.VectorMath.SPECIES;
import static org.gkd4j.tensor.kernels.VectorMath.sigmoid;
import static org.gkd4j.tensor.kernels.VectorMath.tanh;

import jdk.incubator.vector.FloatVector;
import org.gkd4j.tensor.Tensor;

/** Vector API SiLU, GELU (tanh form) and SwiGLU with their backward kernels, element-wise and parallel. */
final class VectorActivations {

    private static final float GELU_K = (float) ScalarBackend.GELU_K;
    private static final float GELU_C = (float) ScalarBackend.GELU_C;

    private VectorActivations() {
    }

    /** y = x·σ(x). */
    static void silu(Tensor x, Tensor y) {
        float[] xd = x.data(), yd = y.data();
        int xo = x.offset(), yo = y.offset();
        Parallel.forRange(x.size(), PARALLEL_GRAIN, (start, end) -> {
            int i = start;
            for (int bound = start + SPECIES.loopBound(end - start); i < bound; i += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, xd, xo + i);
                v.mul(sigmoid(v)).intoArray(yd, yo + i);
            }
            for (; i < end; i++) {
                float v = xd[xo + i];
                yd[yo + i] = v * ScalarBackend.sigmoid(v);
            }
        });
    }

    /** dx = dy·σ(x)·(1 + x·(1 - σ(x))). */
    static void siluBackward(Tensor x, Tensor dy, Tensor dx) {
        float[] xd = x.data(), dyd = dy.data(), dxd = dx.data();
        int xo = x.offset(), dyo = dy.offset(), dxo = dx.offset();
        Parallel.forRange(x.size(), PARALLEL_GRAIN, (start, end) -> {
            int i = start;
            for (int bound = start + SPECIES.loopBound(end - start); i < bound; i += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, xd, xo + i);
                FloatVector s = sigmoid(v);
                FloatVector derivative = s.mul(v.mul(s.neg().add(1f)).add(1f));
                FloatVector.fromArray(SPECIES, dyd, dyo + i).mul(derivative).intoArray(dxd, dxo + i);
            }
            for (; i < end; i++) {
                float v = xd[xo + i];
                float s = ScalarBackend.sigmoid(v);
                dxd[dxo + i] = dyd[dyo + i] * s * (1 + v * (1 - s));
            }
        });
    }

    /** y = 0.5·x·(1 + tanh(k·(x + c·x³))), k = √(2/π), c = 0.044715. */
    static void gelu(Tensor x, Tensor y) {
        float[] xd = x.data(), yd = y.data();
        int xo = x.offset(), yo = y.offset();
        Parallel.forRange(x.size(), PARALLEL_GRAIN, (start, end) -> {
            int i = start;
            for (int bound = start + SPECIES.loopBound(end - start); i < bound; i += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, xd, xo + i);
                FloatVector t = tanh(v.mul(v).mul(v).mul(GELU_C).add(v).mul(GELU_K));
                v.mul(0.5f).mul(t.add(1f)).intoArray(yd, yo + i);
            }
            for (; i < end; i++) {
                float v = xd[xo + i];
                float t = (float) Math.tanh(GELU_K * (v + GELU_C * v * v * v));
                yd[yo + i] = 0.5f * v * (1 + t);
            }
        });
    }

    /** dx = dy·(0.5·(1 + t) + 0.5·x·(1 - t²)·k·(1 + 3c·x²)), t = tanh(k·(x + c·x³)). */
    static void geluBackward(Tensor x, Tensor dy, Tensor dx) {
        float[] xd = x.data(), dyd = dy.data(), dxd = dx.data();
        int xo = x.offset(), dyo = dy.offset(), dxo = dx.offset();
        Parallel.forRange(x.size(), PARALLEL_GRAIN, (start, end) -> {
            int i = start;
            for (int bound = start + SPECIES.loopBound(end - start); i < bound; i += LANES) {
                FloatVector v = FloatVector.fromArray(SPECIES, xd, xo + i);
                FloatVector square = v.mul(v);
                FloatVector t = tanh(square.mul(v).mul(GELU_C).add(v).mul(GELU_K));
                FloatVector slope = square.mul(3 * GELU_C).add(1f).mul(GELU_K);
                FloatVector derivative = t.add(1f).add(v.mul(t.mul(t).neg().add(1f)).mul(slope)).mul(0.5f);
                FloatVector.fromArray(SPECIES, dyd, dyo + i).mul(derivative).intoArray(dxd, dxo + i);
            }
            for (; i < end; i++) {
                float v = xd[xo + i];
                float t = (float) Math.tanh(GELU_K * (v + GELU_C * v * v * v));
                float derivative = 0.5f * (1 + t) + 0.5f * v * (1 - t * t) * GELU_K * (1 + 3 * GELU_C * v * v);
                dxd[dxo + i] = dyd[dyo + i] * derivative;
            }
        });
    }

    /** y = silu(gate) ⊙ up. */
    static void swiglu(Tensor gate, Tensor up, Tensor y) {
        float[] gd = gate.data(), ud = up.data(), yd = y.data();
        int go = gate.offset(), uo = up.offset(), yo = y.offset();
        Parallel.forRange(gate.size(), PARALLEL_GRAIN, (start, end) -> {
            int i = start;
            for (int bound = start + SPECIES.loopBound(end - start); i < bound; i += LANES) {
                FloatVector g = FloatVector.fromArray(SPECIES, gd, go + i);
                g.mul(sigmoid(g)).mul(FloatVector.fromArray(SPECIES, ud, uo + i)).intoArray(yd, yo + i);
            }
            for (; i < end; i++) {
                float g = gd[go + i];
                yd[yo + i] = g * ScalarBackend.sigmoid(g) * ud[uo + i];
            }
        });
    }

    /** dgate = dy·up·silu'(gate), dup = dy·silu(gate). */
    static void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dgate, Tensor dup) {
        float[] gd = gate.data(), ud = up.data(), dyd = dy.data(), dgd = dgate.data(), dud = dup.data();
        int go = gate.offset(), uo = up.offset(), dyo = dy.offset(), dgo = dgate.offset(), duo = dup.offset();
        Parallel.forRange(gate.size(), PARALLEL_GRAIN, (start, end) -> {
            int i = start;
            for (int bound = start + SPECIES.loopBound(end - start); i < bound; i += LANES) {
                FloatVector g = FloatVector.fromArray(SPECIES, gd, go + i);
                FloatVector s = sigmoid(g);
                FloatVector d = FloatVector.fromArray(SPECIES, dyd, dyo + i);
                FloatVector derivative = s.mul(g.mul(s.neg().add(1f)).add(1f));
                d.mul(FloatVector.fromArray(SPECIES, ud, uo + i)).mul(derivative).intoArray(dgd, dgo + i);
                d.mul(g).mul(s).intoArray(dud, duo + i);
            }
            for (; i < end; i++) {
                float g = gd[go + i];
                float s = ScalarBackend.sigmoid(g);
                float d = dyd[dyo + i];
                dgd[dgo + i] = d * ud[uo + i] * s * (1 + g * (1 - s));
                dud[duo + i] = d * g * s;
            }
        });
    }
}
