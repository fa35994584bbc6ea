package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.VectorMath.LANES;
import static org.gkd4j.tensor.kernels.VectorMath.PARALLEL_GRAIN;
import static org.gkd4j.tensor.kernels.VectorMath.SPECIES;
import static org.gkd4j.tensor.kernels.VectorMath.rowGrain;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.gkd4j.tensor.Tensor;

/** Vector API element-wise arithmetic, row reductions and embedding lookup. */
final class VectorElementwise {

    private VectorElementwise() {
    }

    static void add(Tensor a, Tensor b, Tensor out) {
        float[] ad = a.data(), bd = b.data(), od = out.data();
        int ao = a.offset(), bo = b.offset(), oo = out.offset();
        Parallel.forRange(out.size(), PARALLEL_GRAIN, (start, end) -> {
            int i = start;
            for (int bound = start + SPECIES.loopBound(end - start); i < bound; i += LANES) {
                FloatVector.fromArray(SPECIES, ad, ao + i).add(FloatVector.fromArray(SPECIES, bd, bo + i))
                        .intoArray(od, oo + i);
            }
            for (; i < end; i++) {
                od[oo + i] = ad[ao + i] + bd[bo + i];
            }
        });
    }

    static void mul(Tensor a, Tensor b, Tensor out) {
        float[] ad = a.data(), bd = b.data(), od = out.data();
        int ao = a.offset(), bo = b.offset(), oo = out.offset();
        Parallel.forRange(out.size(), PARALLEL_GRAIN, (start, end) -> {
            int i = start;
            for (int bound = start + SPECIES.loopBound(end - start); i < bound; i += LANES) {
                FloatVector.fromArray(SPECIES, ad, ao + i).mul(FloatVector.fromArray(SPECIES, bd, bo + i))
                        .intoArray(od, oo + i);
            }
            for (; i < end; i++) {
                od[oo + i] = ad[ao + i] * bd[bo + i];
            }
        });
    }

    static void scale(Tensor a, float s, Tensor out) {
        float[] ad = a.data(), od = out.data();
        int ao = a.offset(), oo = out.offset();
        Parallel.forRange(out.size(), PARALLEL_GRAIN, (start, end) -> {
            int i = start;
            for (int bound = start + SPECIES.loopBound(end - start); i < bound; i += LANES) {
                FloatVector.fromArray(SPECIES, ad, ao + i).mul(s).intoArray(od, oo + i);
            }
            for (; i < end; i++) {
                od[oo + i] = s * ad[ao + i];
            }
        });
    }

    static void axpy(float alpha, Tensor x, Tensor y) {
        float[] xd = x.data(), yd = y.data();
        int xo = x.offset(), yo = y.offset();
        Parallel.forRange(y.size(), PARALLEL_GRAIN,
                (start, end) -> VectorMath.axpy(alpha, xd, xo + start, yd, yo + start, end - start));
    }

    /** x: [N, C], out: [N]. */
    static void sumLastAxis(Tensor x, Tensor out) {
        int c = x.dim(-1);
        float[] xd = x.data(), od = out.data();
        Parallel.forRange(x.rows(), rowGrain(c), (start, end) -> {
            for (int n = start; n < end; n++) {
                od[out.offset() + n] = rowSum(xd, x.offset() + n * c, c);
            }
        });
    }

    /** x: [N, C], out: [N]. */
    static void maxLastAxis(Tensor x, Tensor out) {
        int c = x.dim(-1);
        float[] xd = x.data(), od = out.data();
        Parallel.forRange(x.rows(), rowGrain(c),
                (start, end) -> {
                    for (int n = start; n < end; n++) {
                        od[out.offset() + n] = rowMax(xd, x.offset() + n * c, c);
                    }
                });
    }

    /** Returns max x[from .. from + length), one lane reduction at the end. */
    static float rowMax(float[] x, int from, int length) {
        FloatVector acc = FloatVector.broadcast(SPECIES, Float.NEGATIVE_INFINITY);
        int i = 0;
        for (int bound = SPECIES.loopBound(length); i < bound; i += LANES) {
            acc = acc.max(FloatVector.fromArray(SPECIES, x, from + i));
        }
        float max = acc.reduceLanes(VectorOperators.MAX);
        for (; i < length; i++) {
            max = Math.max(max, x[from + i]);
        }
        return max;
    }

    /** Returns Σ x[from .. from + length), one lane reduction at the end. */
    static float rowSum(float[] x, int from, int length) {
        FloatVector acc = FloatVector.zero(SPECIES);
        int i = 0;
        for (int bound = SPECIES.loopBound(length); i < bound; i += LANES) {
            acc = acc.add(FloatVector.fromArray(SPECIES, x, from + i));
        }
        float sum = VectorMath.sumLanes(acc);
        for (; i < length; i++) {
            sum += x[from + i];
        }
        return sum;
    }

    /** table: [V, C], ids: [N], out: [N, C]; rows are copied, which is already as fast as memory allows. */
    static void embedding(Tensor table, int[] ids, Tensor out) {
        int c = table.dim(-1);
        Parallel.forRange(ids.length, rowGrain(c), (start, end) -> {
            for (int n = start; n < end; n++) {
                System.arraycopy(table.data(), table.offset() + ids[n] * c, out.data(), out.offset() + n * c, c);
            }
        });
    }

    /** dout: [N, C], ids: [N], dtable: [V, C]; sequential because ids may repeat. */
    static void embeddingBackward(Tensor dout, int[] ids, Tensor dtable) {
        int c = dtable.dim(-1);
        for (int n = 0; n < ids.length; n++) {
            VectorMath.axpy(1f, dout.data(), dout.offset() + n * c, dtable.data(), dtable.offset() + ids[n] * c, c);
        }
    }
}
