package org.gkd4j.tensor.autograd;

import static org.gkd4j.tensor.autograd.Ops.output;
import static org.gkd4j.tensor.autograd.Ops.overwrittenOutput;
import static org.gkd4j.tensor.autograd.Ops.requireNonNull;
import static org.gkd4j.tensor.autograd.Ops.requireRank;
import static org.gkd4j.tensor.autograd.Ops.withLastDim;

import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Kernels;

/** Matrix multiply, linear layers and embedding lookup with their backward steps. */
final class LinearOps {

    private LinearOps() {
    }

    /** a: [M, K], b: [K, N] → [M, N]; da += dc·bᵀ, db += aᵀ·dc. */
    static Var matmul(Var a, Var b) {
        requireRank("matmul", "a", a, 2, "[M, K]");
        requireRank("matmul", "b", b, 2, "[K, N]");
        Tensor c = output(a.value().dim(0), b.value().dim(1));
        Kernels.matmul(a.value(), b.value(), c, false, false, false);
        Var out = Var.result(c, Tape.needsGrad(a, b));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                Tensor dc = out.grad();
                if (a.requiresGrad()) {
                    Kernels.matmul(dc, b.value(), a.gradOrZeros(), false, true, true);
                }
                if (b.requiresGrad()) {
                    Kernels.matmul(a.value(), dc, b.gradOrZeros(), true, false, true);
                }
            });
        }
        return out;
    }

    /** x: [N, C] or [B, T, C], weight: [O, C] → [.., O]; dx += dy·W, dW += dyᵀ·x over the N = B·T rows. */
    static Var linear(Var x, Var weight) {
        requireNonNull("linear", "x", x);
        requireRank("linear", "weight", weight, 2, "[O, C]");
        int c = weight.value().dim(1), o = weight.value().dim(0);
        if (x.value().rank() < 2 || x.value().dim(-1) != c) {
            throw new IllegalArgumentException("linear: x " + x.value().shapeString() + " must be [N, C] or [B, T, C]"
                    + " with C = " + c + " from weight " + weight.value().shapeString() + " [O, C]");
        }
        int rows = x.value().rows();
        Tensor x2 = x.value().reshape(rows, c);
        // the matmul overwrites every element of y
        Tensor y = overwrittenOutput(withLastDim(x.value().shape(), o));
        Kernels.matmul(x2, weight.value(), y.reshape(rows, o), false, true, false);
        Var out = Var.result(y, Tape.needsGrad(x, weight));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                Tensor dy = out.grad().reshape(rows, o);
                if (x.requiresGrad()) {
                    // a first gradient is written, not accumulated into zeros
                    boolean first = x.grad() == null;
                    Tensor dx = first ? x.gradForOverwrite() : x.grad();
                    Kernels.matmul(dy, weight.value(), dx.reshape(rows, c), false, false, !first);
                }
                if (weight.requiresGrad()) {
                    Kernels.matmul(dy, x2, weight.gradOrZeros(), true, false, true);
                }
            });
        }
        return out;
    }

    /**
     * x: [N, C], rows: [R] (each in [0, N)) → [R, C], row r a copy of x[rows[r]]; backward scatter-adds dy rows into
     * the gradient of x, whose other rows get zero gradient. Used to carry on with only the rows a loss reads.
     */
    static Var gatherRows(Var x, int[] rows) {
        requireRank("gatherRows", "x", x, 2, "[N, C]");
        if (rows == null) {
            throw new IllegalArgumentException("gatherRows: rows is null");
        }
        int n = x.value().dim(0);
        for (int r = 0; r < rows.length; r++) {
            if (rows[r] < 0 || rows[r] >= n) {
                throw new IllegalArgumentException("gatherRows: rows[" + r + "] = " + rows[r] + " is outside x "
                        + x.value().shapeString() + "; row indices must be in [0, " + n + ")");
            }
        }
        return embedding(x, rows);
    }

    /** table: [V, C], ids: [N] → [N, C]; backward scatter-adds into the table's gradient rows. */
    static Var embedding(Var table, int[] ids) {
        requireRank("embedding", "table", table, 2, "[V, C]");
        if (ids == null) {
            throw new IllegalArgumentException("embedding: ids is null");
        }
        int[] saved = ids.clone();
        // every row is copied from the table
        Tensor y = overwrittenOutput(saved.length, table.value().dim(1));
        Kernels.embedding(table.value(), saved, y);
        Var out = Var.result(y, Tape.needsGrad(table));
        if (out.requiresGrad()) {
            Tape.record(out, () -> Kernels.embeddingBackward(out.grad(), saved, table.gradOrZeros()));
        }
        return out;
    }
}
