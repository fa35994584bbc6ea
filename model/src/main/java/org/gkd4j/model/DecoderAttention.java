package org.gkd4j.model;

import jdk.incubator.vector.FloatVector;
import jdk.incubator.vector.VectorOperators;
import jdk.incubator.vector.VectorSpecies;

/**
 * The KV cache of a {@link KvCacheDecoder} and the causal attention of one row over it: for each query head h,
 * out[h] = softmax(q[h]·kᵀ/√D) · v over the cache positions 0..position of the row's slot, with the keys and values
 * of key/value head h / (H/G). q, out: [H·D] per row.
 *
 * <p>Scratch arrays are kept per worker thread, so threads that run disjoint slots may attend at the same time.
 */
final class DecoderAttention {

    private static final VectorSpecies<Float> F = RepeatableMath.species();
    private static final int LANES = F.length();

    private final ModelConfig config;
    private final boolean pairHeads;
    private final int paddedContext;

    // kvCache keys in blocks of LANES positions: [L][S, G, T'/LANES, D, LANES], where T' is the context length
    // rounded up to LANES. The scores of LANES positions are then the lanes of one vector, and a head's keys are
    // read front to back. Values are [L][S, G, contextLength, D], so consecutive positions of a head are contiguous.
    private final float[][] keyCache;
    private final float[][] valueCache;

    // per worker: scores [2·contextLength] and scaled queries [2·D]
    private final float[][] scores;
    private final float[][] queries;

    DecoderAttention(ModelConfig config, int slots, int threads) {
        this.config = config;
        int context = config.contextLength();
        int kvDim = config.kvDim();
        scores = new float[threads][2 * context];
        queries = new float[threads][2 * config.headDim()];
        pairHeads = (config.heads() / config.kvHeads()) % 2 == 0 && config.headDim() % F.length() == 0;
        paddedContext = (context + LANES - 1) / LANES * LANES;
        keyCache = new float[config.layers()][slots * paddedContext * kvDim];
        valueCache = new float[config.layers()][slots * context * kvDim];
    }

    /** Writes the key and value of one row (k, v: [G·D] from kOff and vOff) into the slot's cache at position. */
    void store(int layer, int slot, int position, float[] k, int kOff, float[] v, int vOff) {
        int context = config.contextLength();
        int headDim = config.headDim();
        int kvDim = config.kvDim();
        int valueRow = slot * kvDim * context + position * headDim;
        for (int g = 0; g < config.kvHeads(); g++) {
            System.arraycopy(v, vOff + g * headDim, valueCache[layer], valueRow + g * context * headDim, headDim);
        }
        float[] keys = keyCache[layer];
        for (int g = 0; g < config.kvHeads(); g++) {
            int keyBase = keyIndex(slot, g, position, 0);
            for (int d = 0; d < headDim; d++) {
                keys[keyBase + d * LANES] = k[kOff + g * headDim + d];
            }
        }
    }

    /** Returns the index of key component d of position t in a layer's key cache. */
    private int keyIndex(int slot, int kvHead, int t, int d) {
        int headDim = config.headDim();
        int headBase = (slot * config.kvHeads() + kvHead) * paddedContext * headDim;
        return headBase + (t / LANES) * headDim * LANES + d * LANES + t % LANES;
    }

    /**
     * Attends one row: q [H·D] from qRow, output [H·D] into out from outRow. worker picks the scratch arrays, so
     * concurrent calls need different workers.
     */
    void attend(int layer, int slot, int position, float[] q, int qRow, float[] out, int outRow, int worker) {
        if (pairHeads && config.headDim() == 8 && LANES == 8) {
            attentionPairsOneVector(layer, slot, position, q, qRow, out, outRow, scores[worker], queries[worker]);
        } else if (pairHeads) {
            attentionPairs(layer, slot, position, q, qRow, out, outRow, scores[worker], queries[worker]);
        } else {
            attention(layer, slot, position, q, qRow, out, outRow, scores[worker], queries[worker]);
        }
    }

    /** softmax(q·kᵀ/√D) · v over cache positions 0..position of the slot, for every head of one row, into out. */
    private void attention(int layer, int slot, int position, float[] q, int qRow, float[] out, int outRow,
                           float[] att, float[] scaledQuery) {
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
            int qOff = qRow + h * headDim;
            int kvHead = h / groupSize;
            int keyBase = keyIndex(slot, kvHead, 0, 0);

            // scores q·k_t/√D, lanes over positions t, reading one key vector per d from each block of positions
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
                    int row = keyBase + t * headDim + d * lanes;
                    acc0 = FloatVector.fromArray(F, keys, row).fma(query, acc0);
                    acc1 = FloatVector.fromArray(F, keys, row + headDim * lanes).fma(query, acc1);
                }
                acc0.intoArray(att, t);
                acc1.intoArray(att, t + lanes);
                maxes = maxes.max(acc0).max(acc1);
            }
            for (; t < lengthVec; t += lanes) {
                FloatVector acc = FloatVector.zero(F);
                for (int d = 0; d < headDim; d++) {
                    acc = FloatVector.fromArray(F, keys, keyBase + t * headDim + d * lanes)
                            .fma(FloatVector.broadcast(F, scaledQuery[d]), acc);
                }
                acc.intoArray(att, t);
                maxes = maxes.max(acc);
            }
            float max = maxes.reduceLanes(VectorOperators.MAX);
            for (; t < length; t++) {
                float dot = 0f;
                for (int d = 0; d < headDim; d++) {
                    dot += scaledQuery[d] * keys[keyIndex(slot, kvHead, t, d)];
                }
                att[t] = dot;
                max = Math.max(max, dot);
            }

            // softmax
            float invSum = 1f / expShifted(att, length, max);

            // weighted sum of the values
            int outOff = outRow + h * headDim;
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
                    acc0.add(acc1).add(acc2.add(acc3)).mul(invSum).intoArray(out, outOff + d);
                }
            } else {
                for (int d = 0; d < headDim; d++) {
                    out[outOff + d] = 0f;
                }
                for (int s = 0; s < length; s++) {
                    float p = att[s] * invSum;
                    int vOff = valueBase + s * headDim;
                    for (int d = 0; d < headDim; d++) {
                        out[outOff + d] += p * values[vOff + d];
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
    private void attentionPairs(int layer, int slot, int position, float[] q, int qRow, float[] out, int outRow,
                                float[] att, float[] scaledQuery) {
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
            int qOff = qRow + h * headDim;
            int kvHead = h / groupSize;
            int keyBase = keyIndex(slot, kvHead, 0, 0);
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
                    int row = keyBase + t * headDim + d * lanes;
                    FloatVector queryA = FloatVector.broadcast(F, scaledQuery[d]);
                    FloatVector queryB = FloatVector.broadcast(F, scaledQuery[headDim + d]);
                    FloatVector key0 = FloatVector.fromArray(F, keys, row);
                    FloatVector key1 = FloatVector.fromArray(F, keys, row + headDim * lanes);
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
                    FloatVector key = FloatVector.fromArray(F, keys, keyBase + t * headDim + d * lanes);
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
                    float key = keys[keyIndex(slot, kvHead, t, d)];
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
            int outOff = outRow + h * headDim;
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
                accA0.add(accA1).add(accA2.add(accA3)).mul(invSumA).intoArray(out, outOff + d);
                accB0.add(accB1).add(accB2.add(accB3)).mul(invSumB).intoArray(out, outOff + headDim + d);
            }
        }
    }

    /**
     * As {@link #attentionPairs} for D = 8 on vectors of 8 lanes, so that a head's query, one position's value
     * and one key component of a block of positions are each one vector. The loops over d have the constant trip
     * count 8, so C2 can unroll them. The FMAs run in the same order as in attentionPairs, so both give the same
     * bits. att: [2·T], scaledQuery: [2·D].
     */
    private void attentionPairsOneVector(int layer, int slot, int position, float[] q, int qRow, float[] out,
                                         int outRow, float[] att, float[] scaledQuery) {
        int kvDim = config.kvDim();
        int context = config.contextLength();
        int groupSize = config.heads() / config.kvHeads();
        float scale = (float) (1.0 / Math.sqrt(LANES));
        float[] keys = keyCache[layer];
        float[] values = valueCache[layer];
        int length = position + 1;
        int lengthVec = F.loopBound(length);
        for (int h = 0; h < config.heads(); h += 2) {
            int qOff = qRow + h * LANES;
            int kvHead = h / groupSize;
            int keyBase = keyIndex(slot, kvHead, 0, 0);

            for (int d = 0; d < 2 * LANES; d++) {
                scaledQuery[d] = q[qOff + d] * scale;
            }

            // scores of both heads, att[0..T) for head h and att[T..2T) for head h + 1
            FloatVector maxesA = FloatVector.broadcast(F, Float.NEGATIVE_INFINITY);
            FloatVector maxesB = maxesA;
            int t = 0;
            for (; t + LANES < lengthVec; t += 2 * LANES) {
                FloatVector accA0 = FloatVector.zero(F);
                FloatVector accB0 = FloatVector.zero(F);
                FloatVector accA1 = FloatVector.zero(F);
                FloatVector accB1 = FloatVector.zero(F);
                for (int d = 0; d < 8; d++) {
                    int row = keyBase + t * LANES + d * LANES;
                    FloatVector queryA = FloatVector.broadcast(F, scaledQuery[d]);
                    FloatVector queryB = FloatVector.broadcast(F, scaledQuery[LANES + d]);
                    FloatVector key0 = FloatVector.fromArray(F, keys, row);
                    FloatVector key1 = FloatVector.fromArray(F, keys, row + LANES * LANES);
                    accA0 = key0.fma(queryA, accA0);
                    accB0 = key0.fma(queryB, accB0);
                    accA1 = key1.fma(queryA, accA1);
                    accB1 = key1.fma(queryB, accB1);
                }
                accA0.intoArray(att, t);
                accA1.intoArray(att, t + LANES);
                accB0.intoArray(att, context + t);
                accB1.intoArray(att, context + t + LANES);
                maxesA = maxesA.max(accA0).max(accA1);
                maxesB = maxesB.max(accB0).max(accB1);
            }
            for (; t < lengthVec; t += LANES) {
                FloatVector accA = FloatVector.zero(F);
                FloatVector accB = FloatVector.zero(F);
                for (int d = 0; d < 8; d++) {
                    FloatVector key = FloatVector.fromArray(F, keys, keyBase + t * LANES + d * LANES);
                    accA = key.fma(FloatVector.broadcast(F, scaledQuery[d]), accA);
                    accB = key.fma(FloatVector.broadcast(F, scaledQuery[LANES + d]), accB);
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
                for (int d = 0; d < 8; d++) {
                    float key = keys[keyIndex(slot, kvHead, t, d)];
                    dotA += scaledQuery[d] * key;
                    dotB += scaledQuery[LANES + d] * key;
                }
                att[t] = dotA;
                att[context + t] = dotB;
                maxA = Math.max(maxA, dotA);
                maxB = Math.max(maxB, dotB);
            }

            // softmax of each head
            float invSumA = 1f / expShifted(att, 0, length, maxA);
            float invSumB = 1f / expShifted(att, context, length, maxB);

            // weighted sums of the shared values [T, D], four positions at a time into eight accumulators
            int valueBase = (slot * kvDim + kvHead * LANES) * context;
            FloatVector accA0 = FloatVector.zero(F), accA1 = FloatVector.zero(F);
            FloatVector accA2 = FloatVector.zero(F), accA3 = FloatVector.zero(F);
            FloatVector accB0 = FloatVector.zero(F), accB1 = FloatVector.zero(F);
            FloatVector accB2 = FloatVector.zero(F), accB3 = FloatVector.zero(F);
            int s = 0;
            for (; s + 3 < length; s += 4) {
                int row = valueBase + s * LANES;
                FloatVector value = FloatVector.fromArray(F, values, row);
                accA0 = value.fma(FloatVector.broadcast(F, att[s]), accA0);
                accB0 = value.fma(FloatVector.broadcast(F, att[context + s]), accB0);
                value = FloatVector.fromArray(F, values, row + LANES);
                accA1 = value.fma(FloatVector.broadcast(F, att[s + 1]), accA1);
                accB1 = value.fma(FloatVector.broadcast(F, att[context + s + 1]), accB1);
                value = FloatVector.fromArray(F, values, row + 2 * LANES);
                accA2 = value.fma(FloatVector.broadcast(F, att[s + 2]), accA2);
                accB2 = value.fma(FloatVector.broadcast(F, att[context + s + 2]), accB2);
                value = FloatVector.fromArray(F, values, row + 3 * LANES);
                accA3 = value.fma(FloatVector.broadcast(F, att[s + 3]), accA3);
                accB3 = value.fma(FloatVector.broadcast(F, att[context + s + 3]), accB3);
            }
            for (; s < length; s++) {
                FloatVector value = FloatVector.fromArray(F, values, valueBase + s * LANES);
                accA0 = value.fma(FloatVector.broadcast(F, att[s]), accA0);
                accB0 = value.fma(FloatVector.broadcast(F, att[context + s]), accB0);
            }
            accA0.add(accA1).add(accA2.add(accA3)).mul(invSumA).intoArray(out, outRow + h * LANES);
            accB0.add(accB1).add(accB2.add(accB3)).mul(invSumB).intoArray(out, outRow + (h + 1) * LANES);
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
}
