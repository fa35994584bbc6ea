package org.gkd4j.tensor.autograd;

import static org.gkd4j.tensor.autograd.Ops.accumulator;
import static org.gkd4j.tensor.autograd.Ops.finishGrad;
import static org.gkd4j.tensor.autograd.Ops.gradTarget;
import static org.gkd4j.tensor.autograd.Ops.output;
import static org.gkd4j.tensor.autograd.Ops.overwrittenGradTarget;
import static org.gkd4j.tensor.autograd.Ops.overwrittenOutput;
import static org.gkd4j.tensor.autograd.Ops.requireNonNull;

import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Kernels;

/** RMSNorm and LayerNorm as fused nodes that save their per-row statistics for the backward kernels. */
final class NormOps {

    private NormOps() {
    }

    /** x: [N, C] (any leading axes), weight: [C]; saves invRms [N]. */
    static Var rmsNorm(Var x, Var weight, float eps) {
        requireNonNull("rmsNorm", "x", x);
        requireNonNull("rmsNorm", "weight", weight);
        // the kernel writes every element of y and invRms
        Tensor y = overwrittenOutput(x.value().shape());
        Tensor invRms = overwrittenOutput(x.value().rows());
        Kernels.rmsNorm(x.value(), weight.value(), eps, y, invRms);
        Var out = Var.result(y, Tape.needsGrad(x, weight));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                Tensor dx = overwrittenGradTarget(x);
                Kernels.rmsNormBackward(x.value(), weight.value(), invRms, out.grad(), dx, accumulator(weight));
                finishGrad(x, dx);
            });
        }
        return out;
    }

    /** x: [N, C] (any leading axes), weight, bias: [C]; saves mean and invStd [N]. */
    static Var layerNorm(Var x, Var weight, Var bias, float eps) {
        requireNonNull("layerNorm", "x", x);
        requireNonNull("layerNorm", "weight", weight);
        requireNonNull("layerNorm", "bias", bias);
        Tensor y = output(x.value().shape());
        Tensor mean = output(x.value().rows());
        Tensor invStd = output(x.value().rows());
        Kernels.layerNorm(x.value(), weight.value(), bias.value(), eps, y, mean, invStd);
        Var out = Var.result(y, Tape.needsGrad(x, weight, bias));
        if (out.requiresGrad()) {
            Tape.record(out, () -> {
                Tensor dx = gradTarget(x);
                Kernels.layerNormBackward(x.value(), weight.value(), mean, invStd, out.grad(), dx,
                        accumulator(weight), accumulator(bias));
                finishGrad(x, dx);
            });
        }
        return out;
    }
}
