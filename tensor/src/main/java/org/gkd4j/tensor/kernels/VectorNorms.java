package org.gkd4j.tensor.kernels;

import static org.gkd4j.tensor.kernels.VectorElementwise.rowSum;
import static org.gkd4j.tensor.kernels.VectorMath.LANES;
import static org.gkd4j.tensor.kernels.VectorMath.PARALLEL_GRAIN;
import static org.gkd4j.tensor.kernels.VectorMath.SPECIES;
import static org.gkd4j.tensor.kernels.VectorMath.dot;
import static org.gkd4j.tensor.kernels.VectorMath.rowGrain;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import org.gkd4j.tensor.Tensor;

/**
 * Vector API RMSNorm and LayerNorm. Forward and dx run in parallel over rows. The weight and bias gradients sum
 * over rows, so they run in parallel over column ranges and no two threads write the same element.
 */
final class VectorNorms {

    private VectorNorms() {
    }

    /** x, y: [N, C]; weight: [C]; invRms: [N]. */
    static void rmsNorm(Tensor x, Tensor weight, float eps, Tensor y, Tensor invRms) {
        int c = x.dim(-1);
        float[] xd = x.data(), wd = weight.data(), yd = y.data();
        int wo = weight.offset();
        Parallel.forRange(x.rows(), rowGrain(c), (start, end) -> {
            for (int n = start; n < end; n++) {
                int xr = x.offset() + n * c, yr = y.offset() + n * c;
                float r = (float) (1.0 / Math.sqrt(dot(xd, xr, xd, xr, c) / c + eps));
                invRms.data()[invRms.offset() + n] = r;
                int i = 0;
                for (int bound = SPECIES.loopBound(c); i < bound; i += LANES) {
                    FloatVector.fromArray(SPECIES, xd, xr + i).mul(r).mul(FloatVector.fromArray(SPECIES, wd, wo + i))
                            .intoArray(yd, yr + i);
                }
                for (; i < c; i++) {
                    yd[yr + i] = xd[xr + i] * r * wd[wo + i];
                }
            }
        });
    }

    /** dx_i = r·w_i·dy_i - r³·x_i/C · Σ_j dy_j·w_j·x_j; dweight_i += Σ_n dy_i·x_i·r. */
    static void rmsNormBackward(Tensor x, Tensor weight, Tensor invRms, Tensor dy, Tensor dx, Tensor dweight) {
        int c = x.dim(-1), rows = x.rows();
        float[] xd = x.data(), wd = weight.data(), dyd = dy.data(), dxd = dx.data(), rd = invRms.data();
        int wo = weight.offset();

        // dx, row by row
        Parallel.forRange(rows, rowGrain(c), (start, end) -> {
            for (int n = start; n < end; n++) {
                int xr = x.offset() + n * c, dyr = dy.offset() + n * c, dxr = dx.offset() + n * c;
                float r = rd[invRms.offset() + n];
                FloatVector acc = FloatVector.zero(SPECIES);
                int i = 0;
                int bound = SPECIES.loopBound(c);
                for (; i < bound; i += LANES) {
                    acc = FloatVector.fromArray(SPECIES, dyd, dyr + i).mul(FloatVector.fromArray(SPECIES, wd, wo + i))
                            .fma(FloatVector.fromArray(SPECIES, xd, xr + i), acc);
                }
                float sum = VectorMath.sumLanes(acc);
                for (; i < c; i++) {
                    sum += dyd[dyr + i] * wd[wo + i] * xd[xr + i];
                }
                float coefficient = sum * r * r * r / c;
                for (i = 0; i < bound; i += LANES) {
                    FloatVector g = FloatVector.fromArray(SPECIES, dyd, dyr + i)
                            .mul(FloatVector.fromArray(SPECIES, wd, wo + i)).mul(r);
                    g.sub(FloatVector.fromArray(SPECIES, xd, xr + i).mul(coefficient)).intoArray(dxd, dxr + i);
                }
                for (; i < c; i++) {
                    dxd[dxr + i] = r * wd[wo + i] * dyd[dyr + i] - coefficient * xd[xr + i];
                }
            }
        });

        // dweight, column range by column range
        float[] dwd = dweight.data();
        Parallel.forRange(c, columnGrain(rows), (start, end) -> {
            for (int n = 0; n < rows; n++) {
                float r = rd[invRms.offset() + n];
                int xr = x.offset() + n * c, dyr = dy.offset() + n * c, dwo = dweight.offset();
                int i = start;
                for (int bound = start + SPECIES.loopBound(end - start); i < bound; i += LANES) {
                    FloatVector.fromArray(SPECIES, dyd, dyr + i).mul(FloatVector.fromArray(SPECIES, xd, xr + i))
                            .mul(r).add(FloatVector.fromArray(SPECIES, dwd, dwo + i)).intoArray(dwd, dwo + i);
                }
                for (; i < end; i++) {
                    dwd[dwo + i] += dyd[dyr + i] * xd[xr + i] * r;
                }
            }
        });
    }

    /** x, y: [N, C]; weight, bias: [C]; mean, invStd: [N]. */
    static void layerNorm(Tensor x, Tensor weight, Tensor bias, float eps, Tensor y, Tensor mean, Tensor invStd) {
        int c = x.dim(-1);
        float[] xd = x.data(), wd = weight.data(), bd = bias.data(), yd = y.data();
        int wo = weight.offset(), bo = bias.offset();
        Parallel.forRange(x.rows(), rowGrain(c), (start, end) -> {
            for (int n = start; n < end; n++) {
                int xr = x.offset() + n * c, yr = y.offset() + n * c;

                // mean, then the variance of the centered values (two passes are stabler than E[x²] - E[x]²)
                float mu = rowSum(xd, xr, c) / c;
                FloatVector acc = FloatVector.zero(SPECIES);
                int i = 0;
                int bound = SPECIES.loopBound(c);
                for (; i < bound; i += LANES) {
                    FloatVector centered = FloatVector.fromArray(SPECIES, xd, xr + i).sub(mu);
                    acc = centered.fma(centered, acc);
                }
                float sumSquares = VectorMath.sumLanes(acc);
                for (; i < c; i++) {
                    float centered = xd[xr + i] - mu;
                    sumSquares += centered * centered;
                }
                float s = (float) (1.0 / Math.sqrt(sumSquares / c + eps));
                mean.data()[mean.offset() + n] = mu;
                invStd.data()[invStd.offset() + n] = s;

                // y = (x - mean)·s ⊙ weight + bias
                for (i = 0; i < bound; i += LANES) {
                    FloatVector.fromArray(SPECIES, xd, xr + i).sub(mu).mul(s)
                            .fma(FloatVector.fromArray(SPECIES, wd, wo + i), FloatVector.fromArray(SPECIES, bd, bo + i))
                            .intoArray(yd, yr + i);
                }
                for (; i < c; i++) {
                    yd[yr + i] = (xd[xr + i] - mu) * s * wd[wo + i] + bd[bo + i];
                }
            }
        });
    }

    /** With x̂ = (x - mean)·s and g = dy ⊙ w: dx = s·(g - mean(g) - x̂·mean(g ⊙ x̂)); dweight += dy·x̂, dbias += dy. */
    static void layerNormBackward(Tensor x, Tensor weight, Tensor mean, Tensor invStd, Tensor dy,
                                  Tensor dx, Tensor dweight, Tensor dbias) {
        int c = x.dim(-1), rows = x.rows();
        float[] xd = x.data(), wd = weight.data(), dyd = dy.data(), dxd = dx.data();
        float[] md = mean.data(), sd = invStd.data();
        int wo = weight.offset();

        // dx, row by row
        Parallel.forRange(rows, rowGrain(c), (start, end) -> {
            for (int n = start; n < end; n++) {
                int xr = x.offset() + n * c, dyr = dy.offset() + n * c, dxr = dx.offset() + n * c;
                float mu = md[mean.offset() + n], s = sd[invStd.offset() + n];
                FloatVector sumG = FloatVector.zero(SPECIES), sumGxHat = FloatVector.zero(SPECIES);
                int i = 0;
                int bound = SPECIES.loopBound(c);
                for (; i < bound; i += LANES) {
                    FloatVector xHat = FloatVector.fromArray(SPECIES, xd, xr + i).sub(mu).mul(s);
                    FloatVector g = FloatVector.fromArray(SPECIES, dyd, dyr + i)
                            .mul(FloatVector.fromArray(SPECIES, wd, wo + i));
                    sumG = sumG.add(g);
                    sumGxHat = g.fma(xHat, sumGxHat);
                }
                float totalG = VectorMath.sumLanes(sumG);
                float totalGxHat = VectorMath.sumLanes(sumGxHat);
                for (; i < c; i++) {
                    float xHat = (xd[xr + i] - mu) * s;
                    float g = dyd[dyr + i] * wd[wo + i];
                    totalG += g;
                    totalGxHat += g * xHat;
                }
                float meanG = totalG / c, meanGxHat = totalGxHat / c;
                for (i = 0; i < bound; i += LANES) {
                    FloatVector xHat = FloatVector.fromArray(SPECIES, xd, xr + i).sub(mu).mul(s);
                    FloatVector g = FloatVector.fromArray(SPECIES, dyd, dyr + i)
                            .mul(FloatVector.fromArray(SPECIES, wd, wo + i));
                    g.sub(meanG).sub(xHat.mul(meanGxHat)).mul(s).intoArray(dxd, dxr + i);
                }
                for (; i < c; i++) {
                    float xHat = (xd[xr + i] - mu) * s;
                    float g = dyd[dyr + i] * wd[wo + i];
                    dxd[dxr + i] = s * (g - meanG - xHat * meanGxHat);
                }
            }
        });

        // dweight and dbias, column range by column range
        float[] dwd = dweight.data(), dbd = dbias.data();
        Parallel.forRange(c, columnGrain(rows), (start, end) -> {
            int dwo = dweight.offset(), dbo = dbias.offset();
            for (int n = 0; n < rows; n++) {
                int xr = x.offset() + n * c, dyr = dy.offset() + n * c;
                float mu = md[mean.offset() + n], s = sd[invStd.offset() + n];
                int i = start;
                for (int bound = start + SPECIES.loopBound(end - start); i < bound; i += LANES) {
                    FloatVector d = FloatVector.fromArray(SPECIES, dyd, dyr + i);
                    FloatVector xHat = FloatVector.fromArray(SPECIES, xd, xr + i).sub(mu).mul(s);
                    d.fma(xHat, FloatVector.fromArray(SPECIES, dwd, dwo + i)).intoArray(dwd, dwo + i);
                    d.add(FloatVector.fromArray(SPECIES, dbd, dbo + i)).intoArray(dbd, dbo + i);
                }
                for (; i < end; i++) {
                    float xHat = (xd[xr + i] - mu) * s;
                    dwd[dwo + i] += dyd[dyr + i] * xHat;
                    dbd[dbo + i] += dyd[dyr + i];
                }
            }
        });
    }

    /** Returns the columns per parallel part when each column costs one pass over {@code rows} rows. */
    private static int columnGrain(int rows) {
        return Math.max(LANES, PARALLEL_GRAIN / Math.max(1, rows));
    }
}
