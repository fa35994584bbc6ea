package org.gkd4j.gkd.divergence;

import java.util.Arrays;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Kernels;

/**
 * Logits of one model for a chunk of rows at a time. Hidden rows [N, C] are gathered by index into a chunk
 * [R, C] and multiplied by the output head [V, C]. Only [R, V] logits exist at once, never [N, V].
 */
final class LogitChunks {

    private final Tensor hidden;
    private final Tensor head;
    private final int channels;
    private final int vocabulary;
    private final float[] hiddenChunk;
    private final float[] logitsChunk;

    LogitChunks(Tensor hidden, Tensor head, int chunkRows) {
        this.hidden = hidden;
        this.head = head;
        this.channels = head.dim(1);
        this.vocabulary = head.dim(0);
        this.hiddenChunk = new float[chunkRows * channels];
        this.logitsChunk = new float[chunkRows * vocabulary];
    }

    /** Gathers hidden rows rows[from .. from + count) into the chunk and computes their logits [count, V]. */
    Tensor logits(int[] rows, int from, int count) {
        float[] source = hidden.data();
        int offset = hidden.offset();
        for (int r = 0; r < count; r++) {
            System.arraycopy(source, offset + rows[from + r] * channels, hiddenChunk, r * channels, channels);
        }
        Tensor logits = logitsView(count);
        Kernels.matmul(hiddenChunk(count), head, logits, false, true, false);
        return logits;
    }

    /** Returns the gathered hidden rows of the last {@link #logits} call. [count, C]. */
    Tensor hiddenChunk(int count) {
        return Tensor.view(hiddenChunk, 0, count, channels);
    }

    Tensor logitsView(int count) {
        return Tensor.view(logitsChunk, 0, count, vocabulary);
    }

    int vocabulary() {
        return vocabulary;
    }

    /** Returns the row indices n with weights[n] ≠ 0, in order. */
    static int[] keptRows(float[] weights) {
        int[] rows = new int[weights.length];
        int count = 0;
        for (int n = 0; n < weights.length; n++) {
            if (weights[n] != 0f) {
                rows[count++] = n;
            }
        }
        return Arrays.copyOf(rows, count);
    }

    /** Checks hidden [N, C] against head [V, C] and returns N. */
    static int checkRows(String op, String name, Tensor hidden, Tensor head) {
        if (hidden.rank() != 2 || head.rank() != 2 || hidden.dim(1) != head.dim(1)) {
            throw new IllegalArgumentException(op + ": " + name + " hidden " + hidden.shapeString() + " and head "
                    + head.shapeString() + " must be [N, C] and [V, C] with the same C");
        }
        return hidden.dim(0);
    }

    static void checkWeights(String op, float[] weights, int rows) {
        if (weights.length != rows) {
            throw new IllegalArgumentException(op + ": " + weights.length + " position weights for " + rows
                    + " hidden rows; give one weight per row (0 for rows outside the loss)");
        }
        for (int n = 0; n < rows; n++) {
            if (!Float.isFinite(weights[n])) {
                throw new IllegalArgumentException(op + ": position weight " + n + " is " + weights[n]
                        + "; weights must be finite");
            }
        }
    }

    static void checkChunkRows(String op, int chunkRows) {
        if (chunkRows < 1) {
            throw new IllegalArgumentException(op + ": chunkRows is " + chunkRows + "; need at least 1");
        }
    }
}
