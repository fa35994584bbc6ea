package org.gkd4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorSpecies;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.quant.Q8Tensor;

/**
 * Tape-free inference of a {@link Transformer} with a KV cache for up to S sequences ("slots") at once.
 *
 * <p>One call of {@link #forward} runs N rows, each a (slot, position, token) triple, through every layer: the
 * keys and values of each row are written into its slot's cache at its position, then each row attends to its
 * slot's cache positions 0..position. A prompt is prefilled by passing all its tokens as rows, and the rows of one
 * slot must come in increasing position order. A decoding step passes one row per live sequence.
 * Rows that share a call are multiplied together, so the matrix-vector products of batch-1 decoding become small
 * matrix products.
 *
 * <p>Every buffer is allocated once, in the constructor, for at most {@code maxRows} rows per call. Dense matrices
 * are copied into a panel layout ({@link PackedMatrix}) that multiplies several rows without horizontal sums, so
 * after the model's weights change, {@link #refreshWeights} must run before the next call. Matrices given in
 * {@code quantized} are used as Q8_0 without being dequantized.
 *
 * <p>With more than one thread, the rows of a call are split between threads at slot boundaries, and each
 * thread runs all the layers for its rows: threads only meet once per call, not once per matrix product.
 */
public final class KvCacheDecoder implements AutoCloseable {

    private static final VectorSpecies<Float> F = RepeatableMath.species();

    private final Transformer model;
    private final ModelConfig config;
    private final int slots;
    private final int maxRows;
    private final int threads;
    private final Q8Tensor[][] quantized;
    private final Q8Tensor quantizedHead;
    private final PackedMatrix[][] packed;
    private final PackedMatrix packedHead;
    // per layer, [wq; wk; wv] and [w1; w3] as one panel matrix each when all their parts are dense (else null)
    private final PackedMatrix[] packedQkv;
    private final PackedMatrix[] packedGateUp;

    // activations [maxRows, width]. A row of qkv is q [H·D], k [G·D] and v [G·D] side by side, and a row of
    // gateUp is w1·x [hidden] followed by w3·x [hidden].
    private final int qkvDim;
    private final float[] x;
    private final float[] xb;
    private final float[] qkv;
    private final float[] projection;
    private final float[] gateUp;
    private final float[] hb;
    private final DecoderAttention attention;

    // RoPE tables [contextLength, D/2]
    private final float[] ropeCos;
    private final float[] ropeSin;

    private final int[] rangeStarts;
    private final ExecutorService pool;

    /**
     * Creates a decoder for up to {@code slots} sequences and {@code maxRows} rows per {@link #forward} call.
     * quantized: Q8_0 matrices by canonical name (null or empty: all dense); a matrix whose shape the Q8 kernel
     * cannot use is read dense from the model instead.
     */
    public KvCacheDecoder(Transformer model, Map<String, Q8Tensor> quantized, int slots, int maxRows, int threads) {
        if (slots <= 0 || maxRows <= 0 || threads <= 0) {
            throw new IllegalArgumentException("KvCacheDecoder: slots " + slots + ", maxRows " + maxRows
                    + " and threads " + threads + " must all be positive");
        }
        this.model = model;
        this.config = model.config();
        this.slots = slots;
        this.maxRows = maxRows;
        this.threads = threads;
        int dim = config.dim();
        int kvDim = config.kvDim();
        int hidden = config.hiddenDim();
        int context = config.contextLength();

        // quantized matrices in the order wq, wk, wv, wo, w1, w2, w3
        String[] names = {"attention.wq", "attention.wk", "attention.wv", "attention.wo",
                "feed_forward.w1", "feed_forward.w2", "feed_forward.w3"};
        int[][] shapes = {{dim, dim}, {kvDim, dim}, {kvDim, dim}, {dim, dim}, {hidden, dim}, {dim, hidden}, {hidden, dim}};
        this.quantized = new Q8Tensor[config.layers()][names.length];
        for (int l = 0; l < config.layers(); l++) {
            for (int m = 0; m < names.length; m++) {
                Q8Tensor matrix = quantized == null ? null : quantized.get("layers." + l + "." + names[m]);
                if (matrix != null && DecoderMatmul.q8Supports(matrix, shapes[m][0], shapes[m][1])) {
                    this.quantized[l][m] = matrix;
                }
            }
        }
        Q8Tensor head = quantized == null ? null
                : quantized.get(config.tiedEmbeddings() ? "tok_embeddings" : "output");
        quantizedHead = head != null && DecoderMatmul.q8Supports(head, config.vocabSize(), dim) ? head : null;

        // dense matrices in the panel layout, packed by refreshWeights()
        boolean pack = PackedMatrix.supported();
        packed = new PackedMatrix[config.layers()][names.length];
        packedQkv = new PackedMatrix[config.layers()];
        packedGateUp = new PackedMatrix[config.layers()];
        qkvDim = dim + 2 * kvDim;
        for (int l = 0; l < config.layers(); l++) {
            Q8Tensor[] q8 = this.quantized[l];
            boolean fuseQkv = pack && q8[0] == null && q8[1] == null && q8[2] == null;
            boolean fuseGateUp = pack && q8[4] == null && q8[6] == null;
            packedQkv[l] = fuseQkv ? new PackedMatrix(qkvDim, dim) : null;
            packedGateUp[l] = fuseGateUp ? new PackedMatrix(2 * hidden, dim) : null;
            for (int m = 0; m < names.length; m++) {
                boolean fused = (fuseQkv && m <= 2) || (fuseGateUp && (m == 4 || m == 6));
                if (pack && q8[m] == null && !fused) {
                    packed[l][m] = new PackedMatrix(shapes[m][0], shapes[m][1]);
                }
            }
        }
        packedHead = pack && quantizedHead == null ? new PackedMatrix(config.vocabSize(), dim) : null;
        refreshWeights();

        x = new float[maxRows * dim];
        xb = new float[maxRows * dim];
        qkv = new float[maxRows * qkvDim];
        projection = new float[maxRows * dim];
        gateUp = new float[maxRows * 2 * hidden];
        hb = new float[maxRows * hidden];
        attention = new DecoderAttention(config, slots, threads);

        // θ_i = pos · theta^(-2i/D), computed in float like llama2.c so greedy decoding matches it token for token
        int half = config.headDim() / 2;
        ropeCos = new float[context * half];
        ropeSin = new float[context * half];
        for (int pos = 0; pos < context; pos++) {
            for (int i = 0; i < half; i++) {
                float frequency = (float) (1.0 / StrictMath.pow(config.ropeTheta(), (2.0 * i) / config.headDim()));
                float angle = pos * frequency;
                ropeCos[pos * half + i] = (float) StrictMath.cos(angle);
                ropeSin[pos * half + i] = (float) StrictMath.sin(angle);
            }
        }

        rangeStarts = new int[threads + 1];
        pool = threads > 1 ? Executors.newFixedThreadPool(threads - 1, runnable -> {
            Thread thread = new Thread(runnable, "gkd4j-decoder");
            thread.setDaemon(true);
            return thread;
        }) : null;
    }

    public ModelConfig config() {
        return config;
    }

    /**
     * Copies the model's current dense weights into the decoder's panel layout. Call it after the weights change
     * (an optimizer step); the generator calls it at the start of every generate call.
     */
    public void refreshWeights() {
        for (int l = 0; l < config.layers(); l++) {
            Tensor[] dense = {model.wq(l), model.wk(l), model.wv(l), model.wo(l), model.w1(l), model.w2(l), model.w3(l)};
            for (int m = 0; m < dense.length; m++) {
                if (packed[l][m] != null) {
                    packed[l][m].pack(dense[m]);
                }
            }
            if (packedQkv[l] != null) {
                packedQkv[l].pack(dense[0], 0);
                packedQkv[l].pack(dense[1], config.dim());
                packedQkv[l].pack(dense[2], config.dim() + config.kvDim());
            }
            if (packedGateUp[l] != null) {
                packedGateUp[l].pack(dense[4], 0);
                packedGateUp[l].pack(dense[6], config.hiddenDim());
            }
        }
        if (packedHead != null) {
            packedHead.pack(model.headWeight().value());
        }
    }

    public int slots() {
        return slots;
    }

    public int maxRows() {
        return maxRows;
    }

    /**
     * Runs {@code rows} rows and writes the logits of row r into {@code logits[logitIndex[r]·V ..]} when
     * logitIndex[r] ≥ 0 (rows whose logits no caller needs, such as the inside of a prompt, skip the head).
     * tokens, slots, positions, logitIndex: [rows]; logits: [?, V].
     */
    public void forward(int rows, int[] tokens, int[] slotOf, int[] positions, int[] logitIndex, float[] logits) {
        checkRows(rows, tokens, slotOf, positions, logitIndex, logits);
        int parts = partition(rows, slotOf);
        if (parts == 1) {
            forwardRange(0, rows, 0, tokens, slotOf, positions, logitIndex, logits);
            return;
        }
        List<Future<?>> futures = new ArrayList<>(parts - 1);
        for (int part = 1; part < parts; part++) {
            int start = rangeStarts[part];
            int end = rangeStarts[part + 1];
            int worker = part;
            futures.add(pool.submit(() -> forwardRange(start, end, worker, tokens, slotOf, positions, logitIndex, logits)));
        }
        forwardRange(rangeStarts[0], rangeStarts[1], 0, tokens, slotOf, positions, logitIndex, logits);
        for (Future<?> future : futures) {
            try {
                future.get();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("KvCacheDecoder: interrupted while waiting for a worker thread", e);
            } catch (ExecutionException e) {
                throw new IllegalStateException("KvCacheDecoder: a worker thread failed: " + e.getCause(), e.getCause());
            }
        }
    }

    /** Splits [0, rows) into at most {@code threads} ranges that never cut a slot's rows apart. */
    private int partition(int rows, int[] slotOf) {
        int parts = 0;
        rangeStarts[0] = 0;
        int target = (rows + threads - 1) / threads;
        int start = 0;
        for (int r = 1; r <= rows && parts < threads - 1; r++) {
            boolean boundary = r == rows || slotOf[r] != slotOf[r - 1];
            if (boundary && r - start >= target && r < rows) {
                parts++;
                rangeStarts[parts] = r;
                start = r;
            }
        }
        parts++;
        rangeStarts[parts] = rows;
        return parts;
    }

    private void checkRows(int rows, int[] tokens, int[] slotOf, int[] positions, int[] logitIndex, float[] logits) {
        if (rows <= 0 || rows > maxRows) {
            throw new IllegalArgumentException("KvCacheDecoder.forward: rows " + rows + " must lie in [1, "
                    + maxRows + "]; split the call");
        }
        if (tokens.length < rows || slotOf.length < rows || positions.length < rows || logitIndex.length < rows) {
            throw new IllegalArgumentException("KvCacheDecoder.forward: tokens, slots, positions and logitIndex"
                    + " need at least " + rows + " entries each");
        }
        int vocab = config.vocabSize();
        for (int r = 0; r < rows; r++) {
            if (tokens[r] < 0 || tokens[r] >= vocab) {
                throw new IllegalArgumentException("KvCacheDecoder.forward: token id " + tokens[r] + " at row " + r
                        + " is outside the vocabulary [0, " + vocab + ")");
            }
            if (slotOf[r] < 0 || slotOf[r] >= slots) {
                throw new IllegalArgumentException("KvCacheDecoder.forward: slot " + slotOf[r] + " at row " + r
                        + " is outside [0, " + slots + ")");
            }
            if (positions[r] < 0 || positions[r] >= config.contextLength()) {
                throw new IllegalArgumentException("KvCacheDecoder.forward: position " + positions[r] + " at row "
                        + r + " is outside the context [0, " + config.contextLength() + ")");
            }
            if (logitIndex[r] >= 0 && (long) (logitIndex[r] + 1) * vocab > logits.length) {
                throw new IllegalArgumentException("KvCacheDecoder.forward: logit index " + logitIndex[r] + " at row "
                        + r + " needs " + (long) (logitIndex[r] + 1) * vocab + " logits but the array has "
                        + logits.length);
            }
        }
    }

    // ---------------------------------------------------------------- the forward pass over rows [start, end)

    private void forwardRange(int start, int end, int worker, int[] tokens, int[] slotOf, int[] positions,
                              int[] logitIndex, float[] logits) {
        int dim = config.dim();
        int kvDim = config.kvDim();
        int hidden = config.hiddenDim();
        int n = end - start;
        float eps = config.normEps();

        // token embedding
        Tensor embeddings = model.tokEmbeddingsValue();
        for (int r = start; r < end; r++) {
            System.arraycopy(embeddings.data(), embeddings.offset() + tokens[r] * dim, x, r * dim, dim);
        }

        for (int l = 0; l < config.layers(); l++) {
            Q8Tensor[] q8 = quantized[l];
            PackedMatrix[] pk = packed[l];

            // attention: q, k, v projections of the normed rows side by side in qkv, RoPE, cache write
            rmsNorm(x, xb, model.attentionNorm(l), start, end, dim, eps);
            int qkvStart = start * qkvDim;
            if (packedQkv[l] != null) {
                packedQkv[l].multiply(xb, start * dim, n, qkv, qkvStart, qkvDim);
            } else {
                matmul(xb, start * dim, n, dim, model.wq(l), q8[0], pk[0], qkv, qkvStart, qkvDim, dim);
                matmul(xb, start * dim, n, dim, model.wk(l), q8[1], pk[1], qkv, qkvStart + dim, qkvDim, kvDim);
                matmul(xb, start * dim, n, dim, model.wv(l), q8[2], pk[2], qkv, qkvStart + dim + kvDim, qkvDim,
                        kvDim);
            }
            for (int r = start; r < end; r++) {
                int row = r * qkvDim;
                rope(qkv, row, config.heads(), positions[r]);
                rope(qkv, row + dim, config.kvHeads(), positions[r]);
                attention.store(l, slotOf[r], positions[r], qkv, row + dim, qkv, row + dim + kvDim);
            }

            // causal attention of each row over its slot's cache, into xb; then the output projection and residual
            for (int r = start; r < end; r++) {
                attention.attend(l, slotOf[r], positions[r], qkv, r * qkvDim, xb, r * dim, worker);
            }
            matmul(xb, start * dim, n, dim, model.wo(l), q8[3], pk[3], projection, start * dim, dim, dim);
            addInto(projection, x, start * dim, n * dim);

            // feed-forward: w2 · (silu(w1 · h) ⊙ (w3 · h)) and residual
            rmsNorm(x, xb, model.ffnNorm(l), start, end, dim, eps);
            int gateUpStart = start * 2 * hidden;
            if (packedGateUp[l] != null) {
                packedGateUp[l].multiply(xb, start * dim, n, gateUp, gateUpStart, 2 * hidden);
            } else {
                matmul(xb, start * dim, n, dim, model.w1(l), q8[4], pk[4], gateUp, gateUpStart, 2 * hidden, hidden);
                matmul(xb, start * dim, n, dim, model.w3(l), q8[6], pk[6], gateUp, gateUpStart + hidden, 2 * hidden,
                        hidden);
            }
            for (int r = start; r < end; r++) {
                swiglu(gateUp, r * 2 * hidden, hb, r * hidden, hidden);
            }
            matmul(hb, start * hidden, n, hidden, model.w2(l), q8[5], pk[5], xb, start * dim, dim, dim);
            addInto(xb, x, start * dim, n * dim);
        }

        // final norm and head, for runs of consecutive rows that want logits
        rmsNorm(x, xb, model.normValue(), start, end, dim, eps);
        Tensor head = model.headWeight().value();
        int vocab = config.vocabSize();
        int r = start;
        while (r < end) {
            if (logitIndex[r] < 0) {
                r++;
                continue;
            }
            int run = 1;
            while (r + run < end && logitIndex[r + run] == logitIndex[r] + run) {
                run++;
            }
            matmul(xb, r * dim, run, dim, head, quantizedHead, packedHead, logits, logitIndex[r] * vocab, vocab,
                    vocab);
            r += run;
        }
    }

    /**
     * out [rows, o] = input [rows, c] · weightᵀ, from the Q8_0 matrix, else the packed one, else the tensor. Row r of
     * out starts at outOff + r·outStride.
     */
    private static void matmul(float[] input, int inputOff, int rows, int c, Tensor weight, Q8Tensor quantizedWeight,
                               PackedMatrix packedWeight, float[] out, int outOff, int outStride, int o) {
        if (quantizedWeight != null) {
            DecoderMatmul.q8(input, inputOff, rows, c, quantizedWeight, 0, o, out, outOff, outStride);
        } else if (packedWeight != null) {
            packedWeight.multiply(input, inputOff, rows, out, outOff, outStride);
        } else {
            DecoderMatmul.dense(input, inputOff, rows, c, weight.data(), weight.offset(), 0, o, out, outOff,
                    outStride);
        }
    }

    /** y = x / sqrt(mean(x²) + eps) ⊙ weight for rows [start, end) of width c. */
    private static void rmsNorm(float[] in, float[] out, Tensor weight, int start, int end, int c, float eps) {
        float[] w = weight.data();
        int wOff = weight.offset();
        for (int r = start; r < end; r++) {
            int off = r * c;
            float sumSquares = 0f;
            for (int i = 0; i < c; i++) {
                sumSquares += in[off + i] * in[off + i];
            }
            float invRms = (float) (1.0 / Math.sqrt(sumSquares / c + eps));
            for (int i = 0; i < c; i++) {
                out[off + i] = in[off + i] * invRms * w[wOff + i];
            }
        }
    }

    /** Rotates each interleaved pair (x[2i], x[2i+1]) of every head by pos · theta^(-2i/D). */
    private void rope(float[] vec, int off, int heads, int position) {
        int headDim = config.headDim();
        int half = headDim / 2;
        int table = position * half;
        for (int h = 0; h < heads; h++) {
            int base = off + h * headDim;
            for (int i = 0; i < half; i++) {
                float cos = ropeCos[table + i];
                float sin = ropeSin[table + i];
                float a = vec[base + 2 * i];
                float b = vec[base + 2 * i + 1];
                vec[base + 2 * i] = a * cos - b * sin;
                vec[base + 2 * i + 1] = a * sin + b * cos;
            }
        }
    }

    private static void addInto(float[] from, float[] into, int off, int count) {
        for (int i = off; i < off + count; i++) {
            into[i] += from[i];
        }
    }

    /**
     * out = silu(gate) ⊙ up for one row, with silu(g) = g·σ(g) = g / (1 + exp(-g)). gate [hidden] starts at gateOff
     * and up [hidden] follows it.
     */
    private static void swiglu(float[] gateUp, int gateOff, float[] out, int outOff, int hidden) {
        int upOff = gateOff + hidden;
        int bound = F.loopBound(hidden);
        int i = 0;
        for (; i < bound; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gateUp, gateOff + i);
            FloatVector sigmoidInverse = RepeatableMath.exp(g.neg()).add(1f);
            g.div(sigmoidInverse).mul(FloatVector.fromArray(F, gateUp, upOff + i)).intoArray(out, outOff + i);
        }
        for (; i < hidden; i++) {
            float g = gateUp[gateOff + i];
            out[outOff + i] = g / (1f + RepeatableMath.exp(-g)) * gateUp[upOff + i];
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
