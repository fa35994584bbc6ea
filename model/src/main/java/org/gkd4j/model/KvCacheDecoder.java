package org.gkd4j.model;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
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

    // activations [maxRows, width]
    private final float[] x;
    private final float[] xb;
    private final float[] q;
    private final float[] k;
    private final float[] v;
    private final float[] hb;
    private final float[] hb2;
    private final float[][] scores;
    private final float[][] queries;
    private final boolean pairHeads;

    // kvCache: keys transposed [L][S, G, D, contextLength] so that the scores of 8 positions are the lanes of
    // one vector; values [L][S, G, contextLength, D] so that the values of consecutive positions of a head are
    // contiguous
    private final float[][] keyCache;
    private final float[][] valueCache;

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
        for (int l = 0; l < config.layers(); l++) {
            for (int m = 0; m < names.length; m++) {
                if (pack && this.quantized[l][m] == null) {
                    packed[l][m] = new PackedMatrix(shapes[m][0], shapes[m][1]);
                }
            }
        }
        packedHead = pack && quantizedHead == null ? new PackedMatrix(config.vocabSize(), dim) : null;
        refreshWeights();

        x = new float[maxRows * dim];
        xb = new float[maxRows * dim];
        q = new float[maxRows * dim];
        k = new float[maxRows * kvDim];
        v = new float[maxRows * kvDim];
        hb = new float[maxRows * hidden];
        hb2 = new float[maxRows * hidden];
        scores = new float[threads][2 * context];
        queries = new float[threads][2 * config.headDim()];
        pairHeads = (config.heads() / config.kvHeads()) % 2 == 0 && config.headDim() % F.length() == 0;
        keyCache = new float[config.layers()][slots * context * kvDim];
        valueCache = new float[config.layers()][slots * context * kvDim];

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

            // attention: q, k, v projections of the normed rows, RoPE, cache write
            rmsNorm(x, xb, model.attentionNorm(l), start, end, dim, eps);
            matmul(xb, start * dim, n, dim, model.wq(l), q8[0], pk[0], q, start * dim, dim);
            matmul(xb, start * dim, n, dim, model.wk(l), q8[1], pk[1], k, start * kvDim, kvDim);
            matmul(xb, start * dim, n, dim, model.wv(l), q8[2], pk[2], v, start * kvDim, kvDim);
            for (int r = start; r < end; r++) {
                rope(q, r * dim, config.heads(), positions[r]);
                rope(k, r * kvDim, config.kvHeads(), positions[r]);
                int context = config.contextLength();
                int headDim = config.headDim();
                int valueRow = slotOf[r] * kvDim * context + positions[r] * headDim;
                for (int g = 0; g < config.kvHeads(); g++) {
                    System.arraycopy(v, r * kvDim + g * headDim, valueCache[l], valueRow + g * context * headDim,
                            headDim);
                }
                float[] keys = keyCache[l];
                int keyBase = slotOf[r] * kvDim * context + positions[r];
                for (int i = 0; i < kvDim; i++) {
                    keys[keyBase + i * context] = k[r * kvDim + i];
                }
            }

            // causal attention of each row over its slot's cache, into xb; then the output projection and residual
            for (int r = start; r < end; r++) {
                if (pairHeads) {
                    attentionPairs(l, r, slotOf[r], positions[r], scores[worker], queries[worker]);
                } else {
                    attention(l, r, slotOf[r], positions[r], scores[worker], queries[worker]);
                }
            }
            matmul(xb, start * dim, n, dim, model.wo(l), q8[3], pk[3], q, start * dim, dim);
            addInto(q, x, start * dim, n * dim);

            // feed-forward: w2 · (silu(w1 · h) ⊙ (w3 · h)) and residual
            rmsNorm(x, xb, model.ffnNorm(l), start, end, dim, eps);
            matmul(xb, start * dim, n, dim, model.w1(l), q8[4], pk[4], hb, start * hidden, hidden);
            matmul(xb, start * dim, n, dim, model.w3(l), q8[6], pk[6], hb2, start * hidden, hidden);
            swiglu(hb, hb2, start * hidden, n * hidden);
            matmul(hb, start * hidden, n, hidden, model.w2(l), q8[5], pk[5], xb, start * dim, dim);
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
            matmul(xb, r * dim, run, dim, head, quantizedHead, packedHead, logits, logitIndex[r] * vocab, vocab);
            r += run;
        }
    }

    /** out [rows, o] = input [rows, c] · weightᵀ, from the Q8_0 matrix, else the packed one, else the tensor. */
    private static void matmul(float[] input, int inputOff, int rows, int c, Tensor weight, Q8Tensor quantizedWeight,
                               PackedMatrix packedWeight, float[] out, int outOff, int o) {
        if (quantizedWeight != null) {
            DecoderMatmul.q8(input, inputOff, rows, c, quantizedWeight, 0, o, out, outOff, o);
        } else if (packedWeight != null) {
            packedWeight.multiply(input, inputOff, rows, out, outOff, o);
        } else {
            DecoderMatmul.dense(input, inputOff, rows, c, weight.data(), weight.offset(), 0, o, out, outOff, o);
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

    /** softmax(q·kᵀ/√D) · v over cache positions 0..position of the slot, for every head of row r, into xb. */
    private void attention(int layer, int r, int slot, int position, float[] att, float[] scaledQuery) {
        int headDim = config.headDim();
        int kvDim = config.kvDim();
        int context = config.contextLength();
        int groupSize = config.heads() / config.kvHeads();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] keys = keyCache[layer];
        float[] values = valueCache[layer];
        int length = position + 1;
        int lanes = F.length();
        int lengthVec = F.loopBound(length);
        for (int h = 0; h < config.heads(); h++) {
            int qOff = r * config.dim() + h * headDim;
            int kvHead = h / groupSize;
            int keyBase = (slot * kvDim + kvHead * headDim) * context;

            // scores q·k_t/√D, lanes over positions t, reading the transposed keys row d by row d
            for (int d = 0; d < headDim; d++) {
                scaledQuery[d] = q[qOff + d] * scale;
            }
            FloatVector maxes = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            int t = 0;
            // two blocks of positions at a time, so two FMA chains run side by side
            for (; t + lanes < lengthVec; t += 2 * lanes) {
                FloatVector acc0 = FloatVector.zero(F);
                FloatVector acc1 = FloatVector.zero(F);
                for (int d = 0; d < headDim; d++) {
                    FloatVector query = FloatVector.broadcast(F, scaledQuery[d]);
                    int row = keyBase + d * context + t;
                    acc0 = FloatVector.fromArray(F, keys, row).fma(query, acc0);
                    acc1 = FloatVector.fromArray(F, keys, row + lanes).fma(query, acc1);
                }
                acc0.intoArray(att, t);
                acc1.intoArray(att, t + lanes);
                maxes = maxes.max(acc0).max(acc1);
            }
            for (; t < lengthVec; t += lanes) {
                FloatVector acc = FloatVector.zero(F);
                for (int d = 0; d < headDim; d++) {
                    acc = FloatVector.fromArray(F, keys, keyBase + d * context + t)
                            .fma(FloatVector.broadcast(F, scaledQuery[d]), acc);
                }
                acc.intoArray(att, t);
                maxes = maxes.max(acc);
            }
            float max = maxes.reduceLanes(VectorOperators.MAX);
            for (; t < length; t++) {
                float dot = 0f;
                for (int d = 0; d < headDim; d++) {
                    dot += scaledQuery[d] * keys[keyBase + d * context + t];
                }
                att[t] = dot;
                max = Math.max(max, dot);
            }

            // softmax
            float invSum = 1f / expShifted(att, length, max);

            // weighted sum of the values
            int outOff = r * config.dim() + h * headDim;
            int valueBase = (slot * kvDim + kvHead * headDim) * context;
            if (headDim % lanes == 0) {
                for (int d = 0; d < headDim; d += lanes) {
                    // four positions at a time into four accumulators, so the FMAs do not wait on each other
                    FloatVector acc0 = FloatVector.zero(F);
                    FloatVector acc1 = FloatVector.zero(F);
                    FloatVector acc2 = FloatVector.zero(F);
                    FloatVector acc3 = FloatVector.zero(F);
                    int s = 0;
                    for (; s + 3 < length; s += 4) {
                        int row = valueBase + s * headDim + d;
                        acc0 = FloatVector.fromArray(F, values, row).fma(FloatVector.broadcast(F, att[s]), acc0);
                        acc1 = FloatVector.fromArray(F, values, row + headDim).fma(FloatVector.broadcast(F, att[s + 1]), acc1);
                        acc2 = FloatVector.fromArray(F, values, row + 2 * headDim).fma(FloatVector.broadcast(F, att[s + 2]), acc2);
                        acc3 = FloatVector.fromArray(F, values, row + 3 * headDim).fma(FloatVector.broadcast(F, att[s + 3]), acc3);
                    }
                    for (; s < length; s++) {
                        acc0 = FloatVector.fromArray(F, values, valueBase + s * headDim + d).fma(FloatVector.broadcast(F, att[s]), acc0);
                    }
                    acc0.add(acc1).add(acc2.add(acc3)).mul(invSum).intoArray(xb, outOff + d);
                }
            } else {
                for (int d = 0; d < headDim; d++) {
                    xb[outOff + d] = 0f;
                }
                for (int s = 0; s < length; s++) {
                    float p = att[s] * invSum;
                    int vOff = valueBase + s * headDim;
                    for (int d = 0; d < headDim; d++) {
                        xb[outOff + d] += p * values[vOff + d];
                    }
                }
            }
        }
    }

    /**
     * As {@link #attention}, two query heads of one key/value group at a time: each key and value vector loaded from
     * the cache serves both heads, which halves the cache reads that dominate long contexts at large batch.
     * Needs an even group size and D a multiple of the vector length. att: [2·T], scaledQuery: [2·D].
     */
    private void attentionPairs(int layer, int r, int slot, int position, float[] att, float[] scaledQuery) {
        int headDim = config.headDim();
        int kvDim = config.kvDim();
        int context = config.contextLength();
        int groupSize = config.heads() / config.kvHeads();
        float scale = (float) (1.0 / Math.sqrt(headDim));
        float[] keys = keyCache[layer];
        float[] values = valueCache[layer];
        int length = position + 1;
        int lanes = F.length();
        int lengthVec = F.loopBound(length);
        for (int h = 0; h < config.heads(); h += 2) {
            int qOff = r * config.dim() + h * headDim;
            int kvHead = h / groupSize;
            int keyBase = (slot * kvDim + kvHead * headDim) * context;
            for (int d = 0; d < 2 * headDim; d++) {
                scaledQuery[d] = q[qOff + d] * scale;
            }

            // scores of both heads: att[0..T) for head h, att[T..2T) for head h + 1
            FloatVector maxesA = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            FloatVector maxesB = maxesA;
            int t = 0;
            // two blocks of positions at a time: four independent FMA chains, and each broadcast query lane serves
            // both blocks (a lane's operations are the same in either loop, so its score does not depend on which)
            for (; t + lanes < lengthVec; t += 2 * lanes) {
                FloatVector accA0 = FloatVector.zero(F);
                FloatVector accB0 = FloatVector.zero(F);
                FloatVector accA1 = FloatVector.zero(F);
                FloatVector accB1 = FloatVector.zero(F);
                for (int d = 0; d < headDim; d++) {
                    int row = keyBase + d * context + t;
                    FloatVector queryA = FloatVector.broadcast(F, scaledQuery[d]);
                    FloatVector queryB = FloatVector.broadcast(F, scaledQuery[headDim + d]);
                    FloatVector key0 = FloatVector.fromArray(F, keys, row);
                    FloatVector key1 = FloatVector.fromArray(F, keys, row + lanes);
                    accA0 = key0.fma(queryA, accA0);
                    accB0 = key0.fma(queryB, accB0);
                    accA1 = key1.fma(queryA, accA1);
                    accB1 = key1.fma(queryB, accB1);
                }
                accA0.intoArray(att, t);
                accA1.intoArray(att, t + lanes);
                accB0.intoArray(att, context + t);
                accB1.intoArray(att, context + t + lanes);
                maxesA = maxesA.max(accA0).max(accA1);
                maxesB = maxesB.max(accB0).max(accB1);
            }
            for (; t < lengthVec; t += lanes) {
                FloatVector accA = FloatVector.zero(F);
                FloatVector accB = FloatVector.zero(F);
                for (int d = 0; d < headDim; d++) {
                    FloatVector key = FloatVector.fromArray(F, keys, keyBase + d * context + t);
                    accA = key.fma(FloatVector.broadcast(F, scaledQuery[d]), accA);
                    accB = key.fma(FloatVector.broadcast(F, scaledQuery[headDim + d]), accB);
                }
                accA.intoArray(att, t);
                accB.intoArray(att, context + t);
                maxesA = maxesA.max(accA);
                maxesB = maxesB.max(accB);
            }
            float maxA = maxesA.reduceLanes(VectorOperators.MAX);
            float maxB = maxesB.reduceLanes(VectorOperators.MAX);
            for (; t < length; t++) {
                float dotA = 0f;
                float dotB = 0f;
                for (int d = 0; d < headDim; d++) {
                    float key = keys[keyBase + d * context + t];
                    dotA += scaledQuery[d] * key;
                    dotB += scaledQuery[headDim + d] * key;
                }
                att[t] = dotA;
                att[context + t] = dotB;
                maxA = Math.max(maxA, dotA);
                maxB = Math.max(maxB, dotB);
            }

            // softmax of each head
            float invSumA = 1f / expShifted(att, 0, length, maxA);
            float invSumB = 1f / expShifted(att, context, length, maxB);

            // weighted sums of the shared values [T, D] (contiguous per head), four positions at a time into eight
            // accumulators, so that eight independent FMA chains can cover the FMA latency
            int outOff = r * config.dim() + h * headDim;
            int valueBase = (slot * kvDim + kvHead * headDim) * context;
            for (int d = 0; d < headDim; d += lanes) {
                FloatVector accA0 = FloatVector.zero(F), accA1 = FloatVector.zero(F);
                FloatVector accA2 = FloatVector.zero(F), accA3 = FloatVector.zero(F);
                FloatVector accB0 = FloatVector.zero(F), accB1 = FloatVector.zero(F);
                FloatVector accB2 = FloatVector.zero(F), accB3 = FloatVector.zero(F);
                int s = 0;
                for (; s + 3 < length; s += 4) {
                    int row = valueBase + s * headDim + d;
                    FloatVector value = FloatVector.fromArray(F, values, row);
                    accA0 = value.fma(FloatVector.broadcast(F, att[s]), accA0);
                    accB0 = value.fma(FloatVector.broadcast(F, att[context + s]), accB0);
                    value = FloatVector.fromArray(F, values, row + headDim);
                    accA1 = value.fma(FloatVector.broadcast(F, att[s + 1]), accA1);
                    accB1 = value.fma(FloatVector.broadcast(F, att[context + s + 1]), accB1);
                    value = FloatVector.fromArray(F, values, row + 2 * headDim);
                    accA2 = value.fma(FloatVector.broadcast(F, att[s + 2]), accA2);
                    accB2 = value.fma(FloatVector.broadcast(F, att[context + s + 2]), accB2);
                    value = FloatVector.fromArray(F, values, row + 3 * headDim);
                    accA3 = value.fma(FloatVector.broadcast(F, att[s + 3]), accA3);
                    accB3 = value.fma(FloatVector.broadcast(F, att[context + s + 3]), accB3);
                }
                for (; s < length; s++) {
                    FloatVector value = FloatVector.fromArray(F, values, valueBase + s * headDim + d);
                    accA0 = value.fma(FloatVector.broadcast(F, att[s]), accA0);
                    accB0 = value.fma(FloatVector.broadcast(F, att[context + s]), accB0);
                }
                accA0.add(accA1).add(accA2.add(accA3)).mul(invSumA).intoArray(xb, outOff + d);
                accB0.add(accB1).add(accB2.add(accB3)).mul(invSumB).intoArray(xb, outOff + headDim + d);
            }
        }
    }

    /** Replaces att[off..off + length) by exp(att - max) and returns their sum. */
    private static float expShifted(float[] att, int off, int length, float max) {
        int bound = F.loopBound(length);
        FloatVector sums = FloatVector.zero(F);
        int t = 0;
        for (; t < bound; t += F.length()) {
            FloatVector e = RepeatableMath.exp(FloatVector.fromArray(F, att, off + t).sub(max));
            e.intoArray(att, off + t);
            sums = sums.add(e);
        }
        float sum = RepeatableMath.sumLanes(sums);
        for (; t < length; t++) {
            float e = RepeatableMath.exp(att[off + t] - max);
            att[off + t] = e;
            sum += e;
        }
        return sum;
    }

    /** Replaces att[0..length) by exp(att - max) and returns their sum. */
    private static float expShifted(float[] att, int length, float max) {
        int bound = F.loopBound(length);
        FloatVector sums = FloatVector.zero(F);
        int t = 0;
        for (; t < bound; t += F.length()) {
            FloatVector e = RepeatableMath.exp(FloatVector.fromArray(F, att, t).sub(max));
            e.intoArray(att, t);
            sums = sums.add(e);
        }
        float sum = RepeatableMath.sumLanes(sums);
        for (; t < length; t++) {
            float e = RepeatableMath.exp(att[t] - max);
            att[t] = e;
            sum += e;
        }
        return sum;
    }

    private static void addInto(float[] from, float[] into, int off, int count) {
        for (int i = off; i < off + count; i++) {
            into[i] += from[i];
        }
    }

    /** gate = silu(gate) ⊙ up, with silu(g) = g·σ(g) = g / (1 + exp(-g)). */
    private static void swiglu(float[] gate, float[] up, int off, int count) {
        int end = off + count;
        int i = off;
        for (; i + F.length() <= end; i += F.length()) {
            FloatVector g = FloatVector.fromArray(F, gate, i);
            FloatVector sigmoidInverse = RepeatableMath.exp(g.neg()).add(1f);
            g.div(sigmoidInverse).mul(FloatVector.fromArray(F, up, i)).intoArray(gate, i);
        }
        for (; i < end; i++) {
            float g = gate[i];
            gate[i] = g / (1f + RepeatableMath.exp(-g)) * up[i];
        }
    }

    @Override
    public void close() {
        if (pool != null) {
            pool.shutdownNow();
        }
    }
}
