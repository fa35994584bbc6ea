package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.KernelChecks.finiteNonNegative;
import static org.gkd4j.tensor.kernels.KernelChecks.ids;
import static org.gkd4j.tensor.kernels.KernelChecks.notNull;
import static org.gkd4j.tensor.kernels.KernelChecks.rank;
import static org.gkd4j.tensor.kernels.KernelChecks.sameRows;
import static org.gkd4j.tensor.kernels.KernelChecks.sameSize;
import static org.gkd4j.tensor.kernels.KernelChecks.shape;
import static org.gkd4j.tensor.kernels.KernelChecks.size;

import org.gkd4j.tensor.Tensor;

/**
 * The entry point to the kernels: validates shapes, indices and ids, then dispatches to the selected
 * {@link Backend}. See {@link Backend} for each kernel's definition and the shape letters.
 */
public final class Kernels {

    private Kernels() {
    }

    /** Returns the backend selected at start-up (see {@link Backends}). */
    public static Backend backend() {
        return Backends.current();
    }

    // ---------------------------------------------------------------- matrix multiply

    public static void matmul(Tensor a, Tensor b, Tensor c, boolean transA, boolean transB, boolean accumulate) {
        checkMatmul(a, b, c, transA, transB);
        backend().matmul(a, b, c, transA, transB, accumulate);
    }

    private static void checkMatmul(Tensor a, Tensor b, Tensor c, boolean transA, boolean transB) {
        notNull("matmul", "a", a);
        notNull("matmul", "b", b);
        notNull("matmul", "c", c);
        MatmulShapes.check(a, b, c, transA, transB);
    }

    // ---------------------------------------------------------------- element-wise

    public static void add(Tensor a, Tensor b, Tensor out) {
        sameSize("add", "a", a, "b", b);
        sameSize("add", "a", a, "out", out);
        backend().add(a, b, out);
    }

    public static void mul(Tensor a, Tensor b, Tensor out) {
        sameSize("mul", "a", a, "b", b);
        sameSize("mul", "a", a, "out", out);
        backend().mul(a, b, out);
    }

    public static void scale(Tensor a, float s, Tensor out) {
        sameSize("scale", "a", a, "out", out);
        backend().scale(a, s, out);
    }

    public static void axpy(float alpha, Tensor x, Tensor y) {
        sameSize("axpy", "x", x, "y", y);
        backend().axpy(alpha, x, y);
    }

    public static void sumLastAxis(Tensor x, Tensor out) {
        notNull("sumLastAxis", "x", x);
        size("sumLastAxis", "out", out, x.rows(), "one per row of x " + x.shapeString());
        backend().sumLastAxis(x, out);
    }

    public static void maxLastAxis(Tensor x, Tensor out) {
        notNull("maxLastAxis", "x", x);
        size("maxLastAxis", "out", out, x.rows(), "one per row of x " + x.shapeString());
        backend().maxLastAxis(x, out);
    }

    // ---------------------------------------------------------------- softmax

    public static void softmax(Tensor x, Tensor y) {
        sameRows("softmax", "x", x, "y", y);
        backend().softmax(x, y);
    }

    public static void logSoftmax(Tensor x, Tensor y) {
        sameRows("logSoftmax", "x", x, "y", y);
        backend().logSoftmax(x, y);
    }

    public static void softmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        sameRows("softmaxBackward", "y", y, "dy", dy);
        sameRows("softmaxBackward", "y", y, "dx", dx);
        backend().softmaxBackward(y, dy, dx);
    }

    public static void logSoftmaxBackward(Tensor y, Tensor dy, Tensor dx) {
        sameRows("logSoftmaxBackward", "y", y, "dy", dy);
        sameRows("logSoftmaxBackward", "y", y, "dx", dx);
        backend().logSoftmaxBackward(y, dy, dx);
    }

    // ---------------------------------------------------------------- normalization

    public static void rmsNorm(Tensor x, Tensor weight, float eps, Tensor y, Tensor invRms) {
        checkNorm("rmsNorm", x, weight, y);
        size("rmsNorm", "invRms", invRms, x.rows(), "one per row of x " + x.shapeString());
        finiteNonNegative("rmsNorm", "eps", eps);
        backend().rmsNorm(x, weight, eps, y, invRms);
    }

    public static void rmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor dy, Tensor dx, Tensor dweight) {
        checkNorm("rmsNormBackward", x, weight, dy);
        sameRows("rmsNormBackward", "x", x, "dx", dx);
        size("rmsNormBackward", "invRms", invRms, x.rows(), "one per row of x " + x.shapeString());
        size("rmsNormBackward", "dweight", dweight, x.dim(-1), "C of x " + x.shapeString());
        backend().rmsNormBackward(x, weight, invRms, dy, dx, dweight);
    }

    public static void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y, Tensor mean, Tensor invStd) {
        checkNorm("layerNorm", x, weight, y);
        size("layerNorm", "bias", bias, x.dim(-1), "C of x " + x.shapeString());
        size("layerNorm", "mean", mean, x.rows(), "one per row of x " + x.shapeString());
        size("layerNorm", "invStd", invStd, x.rows(), "one per row of x " + x.shapeString());
        finiteNonNegative("layerNorm", "eps", eps);
        backend().layerNorm(x, weight, bias, eps, y, mean, invStd);
    }

    public static void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor dy, Tensor dx,
                                         Tensor dweight, Tensor dbias) {
        checkNorm("layerNormBackward", x, weight, dy);
        sameRows("layerNormBackward", "x", x, "dx", dx);
        size("layerNormBackward", "mean", mean, x.rows(), "one per row of x " + x.shapeString());
        size("layerNormBackward", "invStd", invStd, x.rows(), "one per row of x " + x.shapeString());
        size("layerNormBackward", "dweight", dweight, x.dim(-1), "C of x " + x.shapeString());
        size("layerNormBackward", "dbias", dbias, x.dim(-1), "C of x " + x.shapeString());
        backend().layerNormBackward(x, weight, mean, invStd, dy, dx, dweight, dbias);
    }

    private static void checkNorm(String op, Tensor x, Tensor weight, Tensor y) {
        notNull(op, "x", x);
        size(op, "weight", weight, x.dim(-1), "C of x " + x.shapeString());
        sameRows(op, "x", x, y == null ? "y" : "y/dy", y);
    }

    // ---------------------------------------------------------------- activations

    public static void silu(Tensor x, Tensor y) {
        sameSize("silu", "x", x, "y", y);
        backend().silu(x, y);
    }

    public static void siluBackward(Tensor x, Tensor dy, Tensor dx) {
        sameSize("siluBackward", "x", x, "dy", dy);
        sameSize("siluBackward", "x", x, "dx", dx);
        backend().siluBackward(x, dy, dx);
    }

    public static void gelu(Tensor x, Tensor y) {
        sameSize("gelu", "x", x, "y", y);
        backend().gelu(x, y);
    }

    public static void geluBackward(Tensor x, Tensor dy, Tensor dx) {
        sameSize("geluBackward", "x", x, "dy", dy);
        sameSize("geluBackward", "x", x, "dx", dx);
        backend().geluBackward(x, dy, dx);
    }

    public static void swiglu(Tensor gate, Tensor up, Tensor y) {
        sameSize("swiglu", "gate", gate, "up", up);
        sameSize("swiglu", "gate", gate, "y", y);
        backend().swiglu(gate, up, y);
    }

    public static void swigluBackward(Tensor gate, Tensor up, Tensor dy, Tensor dgate, Tensor dup) {
        sameSize("swigluBackward", "gate", gate, "up", up);
        sameSize("swigluBackward", "gate", gate, "dy", dy);
        sameSize("swigluBackward", "gate", gate, "dgate", dgate);
        sameSize("swigluBackward", "gate", gate, "dup", dup);
        backend().swigluBackward(gate, up, dy, dgate, dup);
    }

    // ---------------------------------------------------------------- rotary position embedding

    public static void rope(Tensor x, int[] positions, float theta, boolean inverse) {
        rank("rope", "x", x, 3, "[N, H, D]");
        if (x.dim(2) % 2 != 0) {
            throw new IllegalArgumentException("rope: head size D = " + x.dim(2) + " of x " + x.shapeString()
                    + " is odd; RoPE rotates pairs, so D must be even");
        }
        if (!(theta > 0) || Float.isInfinite(theta)) {
            throw new IllegalArgumentException("rope: theta is " + theta + " but must be finite and > 0 (often 10000)");
        }
        notNull("rope", "positions", positions);
        if (positions.length != x.dim(0)) {
            throw new IllegalArgumentException("rope: positions has " + positions.length + " entries but x "
                    + x.shapeString() + " has N = " + x.dim(0) + " rows");
        }
        for (int n = 0; n < positions.length; n++) {
            if (positions[n] < 0) {
                throw new IllegalArgumentException("rope: position " + positions[n] + " at row " + n
                        + " is negative; positions count from 0");
            }
        }
        backend().rope(x, positions, theta, inverse);
    }

    // ---------------------------------------------------------------- attention

    public static void attention(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out, Tensor logsumexp) {
        checkAttention("attention", q, k, v, keyMask, out, logsumexp);
        backend().attention(q, k, v, keyMask, out, logsumexp);
    }

    public static void attentionBackward(Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out,
                                         Tensor logsumexp, Tensor dout, Tensor dq, Tensor dk, Tensor dv) {
        String op = "attentionBackward";
        checkAttention(op, q, k, v, keyMask, out, logsumexp);
        shape(op, "dout", dout, q.shape(), "the shape of q");
        shape(op, "dq", dq, q.shape(), "the shape of q");
        shape(op, "dk", dk, k.shape(), "the shape of k");
        shape(op, "dv", dv, k.shape(), "the shape of k");
        backend().attentionBackward(q, k, v, keyMask, out, logsumexp, dout, dq, dk, dv);
    }

    private static void checkAttention(String op, Tensor q, Tensor k, Tensor v, boolean[] keyMask, Tensor out,
                                       Tensor logsumexp) {
        rank(op, "q", q, 4, "[B, T, H, D]");
        rank(op, "k", k, 4, "[B, T, G, D]");
        int b = q.dim(0), t = q.dim(1), h = q.dim(2), d = q.dim(3), g = k.dim(2);
        if (k.dim(0) != b || k.dim(1) != t || k.dim(3) != d) {
            throw new IllegalArgumentException(op + ": k " + k.shapeString() + " must be [B, T, G, D] with B, T, D of q "
                    + q.shapeString());
        }
        if (h % g != 0) {
            throw new IllegalArgumentException(op + ": H = " + h + " query heads is not a multiple of G = " + g
                    + " key/value heads (q " + q.shapeString() + ", k " + k.shapeString() + ")");
        }
        shape(op, "v", v, k.shape(), "the shape of k [B, T, G, D]");
        shape(op, "out", out, q.shape(), "the shape of q [B, T, H, D]");
        size(op, "logsumexp", logsumexp, b * h * t, "[B, H, T]");
        if (keyMask != null && keyMask.length != b * t) {
            throw new IllegalArgumentException(op + ": keyMask has " + keyMask.length + " entries but must have B·T = "
                    + b * t + " (one per key), or be null");
        }
    }

    // ---------------------------------------------------------------- embedding and loss

    public static void embedding(Tensor table, int[] ids, Tensor out) {
        rank("embedding", "table", table, 2, "[V, C]");
        notNull("embedding", "ids", ids);
        size("embedding", "out", out, ids.length * table.dim(1), "[N, C] with N = " + ids.length + " ids and C = "
                + table.dim(1));
        ids("embedding", "ids", "id", ids, ids.length, table.dim(0), false, 0);
        backend().embedding(table, ids, out);
    }

    public static void embeddingBackward(Tensor dout, int[] ids, Tensor dtable) {
        rank("embeddingBackward", "dtable", dtable, 2, "[V, C]");
        notNull("embeddingBackward", "ids", ids);
        size("embeddingBackward", "dout", dout, ids.length * dtable.dim(1), "[N, C] with N = " + ids.length
                + " ids and C = " + dtable.dim(1));
        ids("embeddingBackward", "ids", "id", ids, ids.length, dtable.dim(0), false, 0);
        backend().embeddingBackward(dout, ids, dtable);
    }

    public static void crossEntropy(Tensor logits, int[] targets, int ignoreIndex, Tensor losses) {
        notNull("crossEntropy", "logits", logits);
        ids("crossEntropy", "targets", "target", targets, logits.rows(), logits.dim(-1), true, ignoreIndex);
        size("crossEntropy", "losses", losses, logits.rows(), "one per row of logits " + logits.shapeString());
        backend().crossEntropy(logits, targets, ignoreIndex, losses);
    }

    public static void crossEntropyBackward(Tensor logits, int[] targets, int ignoreIndex, float scale, Tensor dlogits) {
        notNull("crossEntropyBackward", "logits", logits);
        ids("crossEntropyBackward", "targets", "target", targets, logits.rows(), logits.dim(-1), true, ignoreIndex);
        sameRows("crossEntropyBackward", "logits", logits, "dlogits", dlogits);
        backend().crossEntropyBackward(logits, targets, ignoreIndex, scale, dlogits);
    }
}
