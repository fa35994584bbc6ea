package org.gkd4j.tensor.quant;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.Random;
import org.gkd4j.tensor.Tensor;
import org.gkd4j.tensor.kernels.Parallel;
import org.junit.jupiter.api.Test;

class Q8TensorTest {

    @Test
    void quantizeMatchesHandExample() {
        // group 0: s = 3/127, 1/s = 42.33 -> 42, -3/s = -127; group 1: s = 0.6/127, 0.2/s = 42.33 -> 42, 0.6/s = 127
        Q8Tensor q = Q8Tensor.quantize(Tensor.of(new float[] {1f, -3f, 0.2f, 0.6f}, 1, 4), 2);
        assertArrayEquals(new byte[] {42, -127, 42, 127}, q.values());
        assertEquals(3f / 127f, q.scales()[0], 1e-9f);
        assertEquals(0.6f / 127f, q.scales()[1], 1e-9f);
        float[] back = q.dequantize().toArray();
        assertEquals(42 * 3.0 / 127, back[0], 1e-6);
        assertEquals(-3.0, back[1], 1e-6);
        assertEquals(42 * 0.6 / 127, back[2], 1e-6);
        assertEquals(0.6, back[3], 1e-6);
    }

    @Test
    void quantizeZeroGroupGivesZeroScale() {
        Q8Tensor q = Q8Tensor.quantize(Tensor.of(new float[] {0f, 0f, 5f, -1f}, 2, 2), 2);
        assertEquals(0f, q.scales()[0]);
        assertArrayEquals(new byte[] {0, 0, 127, -25}, q.values());
        // -1 / (5/127) = -25.4 rounds to -25, which dequantizes to -25·5/127
        assertEquals(-25 * 5.0 / 127, q.dequantize().get(3), 1e-6);
        assertEquals(0f, q.dequantize().get(0));
        assertEquals(-25, q.values()[3]);
    }

    @Test
    void quantizeErrorIsAtMostHalfAStep() {
        // |w - s·round(w/s)| <= s/2 with s = max|w|/127 of the group
        Random random = new Random(7);
        float[] w = new float[12 * 40];
        for (int i = 0; i < w.length; i++) {
            w[i] = (float) (random.nextGaussian() * (1 + i % 5));
        }
        Q8Tensor q = Q8Tensor.quantize(Tensor.of(w, 12, 40), 32);
        float[] back = q.dequantize().toArray();
        for (int g = 0; g < w.length / 32; g++) {
            float maxAbs = 0;
            for (int i = g * 32; i < g * 32 + 32; i++) {
                maxAbs = Math.max(maxAbs, Math.abs(w[i]));
            }
            float step = maxAbs / 127;
            for (int i = g * 32; i < g * 32 + 32; i++) {
                assertTrue(Math.abs(w[i] - back[i]) <= step / 2 * 1.0001f, "element " + i);
            }
        }
    }

    @Test
    void matmulMatchesHandExample() {
        // dequantized w = [[0.5, 1, 6, 8], [-1, 0, 0.25, 0.5]]
        Q8Tensor w = new Q8Tensor(new byte[] {1, 2, 3, 4, -1, 0, 1, 2}, new float[] {0.5f, 2f, 1f, 0.25f}, 2, 4, 2);
        Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 1, 4);
        Tensor out = Tensor.zeros(1, 2);
        Q8Tensor.matmulTransB(x, w, out);
        assertEquals(52.5f, out.get(0), 1e-5f);
        assertEquals(1.75f, out.get(1), 1e-6f);
        Q8MatmulReference.matmulTransB(x, w, out);
        assertEquals(52.5f, out.get(0), 1e-5f);
        assertEquals(1.75f, out.get(1), 1e-6f);
    }

    @Test
    void matmulMatchesReferenceOnOddShapes() {
        Random random = new Random(11);
        int[][] cases = {{1, 1, 4, 2}, {3, 7, 36, 4}, {5, 24, 172, 32}, {2, 70, 64, 32}, {4, 19, 100, 20},
            {1, 3, 9, 3}, {6, 40, 172, 4}};
        for (int[] shape : cases) {
            int n = shape[0];
            int o = shape[1];
            int c = shape[2];
            int groupSize = shape[3];
            Q8Tensor w = Q8Tensor.quantize(randomTensor(random, o, c), groupSize);

            // x is a view at a non-zero offset to check the offsets are honoured
            Tensor padded = randomTensor(random, n + 1, c);
            Tensor x = padded.rows(1, n);
            Tensor expected = Tensor.zeros(n, o);
            Tensor actual = Tensor.zeros(n, o);
            Q8MatmulReference.matmulTransB(x, w, expected);
            Q8Tensor.matmulTransB(x, w, actual);
            for (int i = 0; i < n * o; i++) {
                float tolerance = 1e-5f * (1 + Math.abs(expected.get(i))) * (float) Math.sqrt(c);
                assertEquals(expected.get(i), actual.get(i), tolerance,
                        "N=" + n + " O=" + o + " C=" + c + " group=" + groupSize + " element " + i);
            }
        }
    }

    @Test
    void referenceMatchesDequantizedDotProducts() {
        // independent check of the reference: float dot products with the dequantized matrix, in double
        Random random = new Random(3);
        Q8Tensor w = Q8Tensor.quantize(randomTensor(random, 8, 172), 32);
        Tensor x = randomTensor(random, 2, 172);
        Tensor out = Tensor.zeros(2, 8);
        Q8MatmulReference.matmulTransB(x, w, out);
        Tensor dense = w.dequantize();
        for (int i = 0; i < 2; i++) {
            for (int r = 0; r < 8; r++) {
                double sum = 0;
                for (int k = 0; k < 172; k++) {
                    sum += (double) x.at(i, k) * dense.at(r, k);
                }
                assertEquals(sum, out.at(i, r), 1e-4);
            }
        }
    }

    @Test
    void dequantizeRowMatchesFullDequantize() {
        Q8Tensor w = Q8Tensor.quantize(randomTensor(new Random(5), 4, 12), 8);
        float[] row = new float[14];
        w.dequantizeRow(2, row, 1);
        for (int c = 0; c < 12; c++) {
            assertEquals(w.dequantize().at(2, c), row[1 + c]);
        }
    }

    @Test
    void matmulRejectsMismatchedShapes() {
        Q8Tensor w = Q8Tensor.quantize(Tensor.zeros(4, 8), 4);
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Q8Tensor.matmulTransB(Tensor.zeros(2, 6), w, Tensor.zeros(2, 4)));
        assertTrue(e.getMessage().contains("[O, C]"), e.getMessage());
    }

    @Test
    void quantizeRejectsGroupSizeThatDoesNotDivide() {
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                () -> Q8Tensor.quantize(Tensor.zeros(3, 5), 4));
        assertTrue(e.getMessage().contains("group size 4"), e.getMessage());
    }

    @Test
    void matmulIsSameForAnyThreadCount() {
        // each output element is computed by one thread in a fixed order, so the result must be bitwise equal
        Random random = new Random(13);
        Q8Tensor w = Q8Tensor.quantize(randomTensor(random, 101, 64), 32);
        Tensor x = randomTensor(random, 3, 64);
        Tensor single = Tensor.zeros(3, 101);
        Tensor multi = Tensor.zeros(3, 101);
        int saved = Parallel.threads();
        try {
            Parallel.setThreads(1);
            Q8Tensor.matmulTransB(x, w, single);
            Parallel.setThreads(4);
            Q8Tensor.matmulTransB(x, w, multi);
        } finally {
            Parallel.setThreads(saved);
        }
        assertArrayEquals(single.toArray(), multi.toArray());
    }

    private static Tensor randomTensor(Random random, int rows, int cols) {
        float[] data = new float[rows * cols];
        for (int i = 0; i < data.length; i++) {
            data[i] = (float) random.nextGaussian();
        }
        return Tensor.of(data, rows, cols);
    }
}
