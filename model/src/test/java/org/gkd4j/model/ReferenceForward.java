package org.gkd4j.model;

import java.util.Map;
import org.gkd4j.tensor.Tensor;

/**
 * A plain double-precision forward pass of the Llama architecture, written from the math for tests: no cache,
 * no batching, no vectors. logits[t][v] for one sequence of ids.
 */
final class ReferenceForward {

    private ReferenceForward() {
    }

    static double[][] logits(ModelConfig config, Map<String, Tensor> weights, int[] ids) {
        int dim = config.dim();
        int headDim = config.headDim();
        int heads = config.heads();
        int kvDim = config.kvDim();
        int group = config.heads() / config.kvHeads();
        int time = ids.length;
        double[][] x = new double[time][];
        for (int t = 0; t < time; t++) {
            x[t] = row(weights.get("tok_embeddings"), ids[t], dim);
        }
        for (int l = 0; l < config.layers(); l++) {
            String p = "layers." + l + ".";
            double[][] q = new double[time][];
            double[][] k = new double[time][];
            double[][] v = new double[time][];
            for (int t = 0; t < time; t++) {
                double[] h = rmsNorm(x[t], weights.get(p + "attention_norm"), config.normEps());
                q[t] = rope(matvec(weights.get(p + "attention.wq"), h), t, headDim, config.ropeTheta());
                k[t] = rope(matvec(weights.get(p + "attention.wk"), h), t, headDim, config.ropeTheta());
                v[t] = matvec(weights.get(p + "attention.wv"), h);
            }
            for (int t = 0; t < time; t++) {
                double[] attention = new double[dim];
                for (int head = 0; head < heads; head++) {
                    int kvHead = head / group;
                    double[] scores = new double[t + 1];
                    double max = Double.NEGATIVE_INFINITY;
                    for (int s = 0; s <= t; s++) {
                        double dot = 0;
                        for (int d = 0; d < headDim; d++) {
                            dot += q[t][head * headDim + d] * k[s][kvHead * headDim + d];
                        }
                        scores[s] = dot / Math.sqrt(headDim);
                        max = Math.max(max, scores[s]);
                    }
                    double sum = 0;
                    for (int s = 0; s <= t; s++) {
                        scores[s] = Math.exp(scores[s] - max);
                        sum += scores[s];
                    }
                    for (int s = 0; s <= t; s++) {
                        for (int d = 0; d < headDim; d++) {
                            attention[head * headDim + d] += scores[s] / sum * v[s][kvHead * headDim + d];
                        }
                    }
                }
                assert kvDim > 0;
                add(x[t], matvec(weights.get(p + "attention.wo"), attention));
            }
            for (int t = 0; t < time; t++) {
                double[] h = rmsNorm(x[t], weights.get(p + "ffn_norm"), config.normEps());
                double[] gate = matvec(weights.get(p + "feed_forward.w1"), h);
                double[] up = matvec(weights.get(p + "feed_forward.w3"), h);
                for (int i = 0; i < gate.length; i++) {
                    gate[i] = gate[i] / (1 + Math.exp(-gate[i])) * up[i];
                }
                add(x[t], matvec(weights.get(p + "feed_forward.w2"), gate));
            }
        }
        Tensor head = weights.get(config.tiedEmbeddings() ? "tok_embeddings" : "output");
        double[][] logits = new double[time][];
        for (int t = 0; t < time; t++) {
            logits[t] = matvec(head, rmsNorm(x[t], weights.get("norm"), config.normEps()));
        }
        return logits;
    }

    private static double[] row(Tensor table, int index, int width) {
        double[] out = new double[width];
        for (int i = 0; i < width; i++) {
            out[i] = table.get(index * width + i);
        }
        return out;
    }

    static double[] matvec(Tensor w, double[] x) {
        int rows = w.dim(0);
        int cols = w.dim(1);
        double[] out = new double[rows];
        for (int o = 0; o < rows; o++) {
            double sum = 0;
            for (int c = 0; c < cols; c++) {
                sum += w.get(o * cols + c) * x[c];
            }
            out[o] = sum;
        }
        return out;
    }

    private static double[] rmsNorm(double[] x, Tensor weight, double eps) {
        double sumSquares = 0;
        for (double value : x) {
            sumSquares += value * value;
        }
        double inv = 1 / Math.sqrt(sumSquares / x.length + eps);
        double[] out = new double[x.length];
        for (int i = 0; i < x.length; i++) {
            out[i] = x[i] * inv * weight.get(i);
        }
        return out;
    }

    private static double[] rope(double[] x, int position, int headDim, double theta) {
        for (int base = 0; base < x.length; base += headDim) {
            for (int i = 0; i < headDim / 2; i++) {
                double angle = position * Math.pow(theta, -2.0 * i / headDim);
                double a = x[base + 2 * i];
                double b = x[base + 2 * i + 1];
                x[base + 2 * i] = a * Math.cos(angle) - b * Math.sin(angle);
                x[base + 2 * i + 1] = a * Math.sin(angle) + b * Math.cos(angle);
            }
        }
        return x;
    }

    private static void add(double[] into, double[] from) {
        for (int i = 0; i < into.length; i++) {
            into[i] += from[i];
        }
    }

    /** log-softmax of one row. */
    static double[] logSoftmax(double[] logits) {
        double max = Double.NEGATIVE_INFINITY;
        for (double value : logits) {
            max = Math.max(max, value);
        }
        double sum = 0;
        for (double value : logits) {
            sum += Math.exp(value - max);
        }
        double[] out = new double[logits.length];
        for (int i = 0; i < logits.length; i++) {
            out[i] = logits[i] - max - Math.log(sum);
        }
        return out;
    }
}
