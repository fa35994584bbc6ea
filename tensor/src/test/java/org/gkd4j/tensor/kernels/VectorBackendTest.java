package org.gkd4j.tensor.kernels;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.fail;

import java.util.Random;

import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

/**
 * Compares every Vector API kernel with the scalar reference on random inputs whose sizes are not multiples of
 * the vector length (1, 3, 17, 33, ...) and on sizes large enough to split across threads.
 */
class VectorBackendTest {

    /** Last-axis sizes: below, at and around common vector lengths (4, 8, 16 floats). */
    private static final int[] WIDTHS = {1, 3, 8, 17, 33, 64, 100};
    /** Row counts; 300 rows of 100 channels is above the parallel grain. */
    private static final int[] ROWS = {1, 5, 300};
    private static final float TOLERANCE = 2e-5f;

    private final ScalarBackend scalar = new ScalarBackend();
    private final VectorBackend vector = new VectorBackend();
    private final Random random = new Random(7);

    private Tensor random(int... shape) {
        Tensor t = Tensor.zeros(shape);
        for (int i = 0; i < t.size(); i++) {
            t.set(i, (float) (random.nextGaussian() * 2));
        }
        return t;
    }

    /** Asserts |expected - actual| <= tolerance·max(1, |expected|) element by element. */
    private static void assertClose(String what, Tensor expected, Tensor actual, float tolerance) {
        assertEquals(expected.size(), actual.size(), what + ": size");
        for (int i = 0; i < expected.size(); i++) {
            float e = expected.get(i), a = actual.get(i);
            if (Float.isInfinite(e) && e == a) {
                continue;
            }
            if (!(Math.abs(e - a) <= tolerance * Math.max(1f, Math.abs(e)))) {
                fail(what + ": element " + i + " of " + expected.shapeString() + " is " + a + " but the scalar"
                        + " reference gives " + e);
            }
        }
    }

    private static void assertClose(String what, Tensor expected, Tensor actual) {
        assertClose(what, expected, actual, TOLERANCE);
    }

    @Test
    void elementWiseMatchesScalar() {
        for (int size : new int[] {1, 3, 17, 33, 40_001}) {
            Tensor a = random(size), b = random(size);
            Tensor expected = Tensor.zeros(size), actual = Tensor.zeros(size);
            scalar.add(a, b, expected);
            vector.add(a, b, actual);
            assertClose("add " + size, expected, actual);
            scalar.mul(a, b, expected);
            vector.mul(a, b, actual);
            assertClose("mul " + size, expected, actual);
            scalar.scale(a, -0.7f, expected);
            vector.scale(a, -0.7f, actual);
            assertClose("scale " + size, expected, actual);
            scalar.axpy(1.3f, b, expected);
            vector.axpy(1.3f, b, actual);
            assertClose("axpy " + size, expected, actual);
        }
    }

    @Test
    void reductionsMatchScalar() {
        for (int rows : ROWS) {
            for (int width : WIDTHS) {
                Tensor x = random(rows, width);
                Tensor expected = Tensor.zeros(rows), actual = Tensor.zeros(rows);
                scalar.sumLastAxis(x, expected);
                vector.sumLastAxis(x, actual);
                assertClose("sumLastAxis " + rows + "x" + width, expected, actual, 1e-4f);
                scalar.maxLastAxis(x, expected);
                vector.maxLastAxis(x, actual);
                assertClose("maxLastAxis " + rows + "x" + width, expected, actual);
            }
        }
    }

    @Test
    void softmaxFamilyMatchesScalar() {
        for (int rows : ROWS) {
            for (int width : WIDTHS) {
                String shape = rows + "x" + width;
                Tensor x = random(rows, width), dy = random(rows, width);
                Tensor expected = Tensor.zeros(rows, width), actual = Tensor.zeros(rows, width);
                scalar.softmax(x, expected);
                vector.softmax(x, actual);
                assertClose("softmax " + shape, expected, actual);

                Tensor y = expected.copy();
                scalar.softmaxBackward(y, dy, expected);
                vector.softmaxBackward(y, dy, actual);
                assertClose("softmaxBackward " + shape, expected, actual);

                scalar.logSoftmax(x, expected);
                vector.logSoftmax(x, actual);
                assertClose("logSoftmax " + shape, expected, actual);

                Tensor logY = expected.copy();
                scalar.logSoftmaxBackward(logY, dy, expected);
                vector.logSoftmaxBackward(logY, dy, actual);
                assertClose("logSoftmaxBackward " + shape, expected, actual, 1e-4f);
            }
        }
    }

    @Test
    void softmaxInPlaceMatchesScalar() {
        Tensor x = random(5, 33);
        Tensor expected = Tensor.zeros(5, 33);
        scalar.softmax(x, expected);
        vector.softmax(x, x);
        assertClose("softmax in place", expected, x);
    }

    @Test
    void crossEntropyMatchesScalar() {
        for (int rows : ROWS) {
            for (int width : WIDTHS) {
                String shape = rows + "x" + width;
                Tensor logits = random(rows, width);
                int[] targets = new int[rows];
                for (int n = 0; n < rows; n++) {
                    targets[n] = n % 4 == 1 ? -100 : random.nextInt(width);
                }
                Tensor expected = Tensor.zeros(rows), actual = Tensor.zeros(rows);
                scalar.crossEntropy(logits, targets, -100, expected);
                vector.crossEntropy(logits, targets, -100, actual);
                assertClose("crossEntropy " + shape, expected, actual);

                Tensor expectedGrad = Tensor.zeros(rows, width), actualGrad = Tensor.zeros(rows, width).fill(9f);
                scalar.crossEntropyBackward(logits, targets, -100, 0.25f, expectedGrad);
                vector.crossEntropyBackward(logits, targets, -100, 0.25f, actualGrad);
                assertClose("crossEntropyBackward " + shape, expectedGrad, actualGrad);
            }
        }
    }

    @Test
    void normsMatchScalar() {
        for (int rows : ROWS) {
            for (int width : WIDTHS) {
                String shape = rows + "x" + width;
                Tensor x = random(rows, width), weight = random(width), bias = random(width), dy = random(rows, width);

                Tensor expectedY = Tensor.zeros(rows, width), actualY = Tensor.zeros(rows, width);
                Tensor expectedR = Tensor.zeros(rows), actualR = Tensor.zeros(rows);
                scalar.rmsNorm(x, weight, 1e-5f, expectedY, expectedR);
                vector.rmsNorm(x, weight, 1e-5f, actualY, actualR);
                assertClose("rmsNorm " + shape, expectedY, actualY);
                assertClose("rmsNorm invRms " + shape, expectedR, actualR);

                Tensor expectedDx = Tensor.zeros(rows, width), actualDx = Tensor.zeros(rows, width);
                Tensor expectedDw = random(width), actualDw = expectedDw.copy();
                scalar.rmsNormBackward(x, weight, expectedR, dy, expectedDx, expectedDw);
                vector.rmsNormBackward(x, weight, expectedR, dy, actualDx, actualDw);
                assertClose("rmsNormBackward dx " + shape, expectedDx, actualDx, 1e-4f);
                assertClose("rmsNormBackward dweight " + shape, expectedDw, actualDw, 1e-4f);

                Tensor expectedMean = Tensor.zeros(rows), actualMean = Tensor.zeros(rows);
                scalar.layerNorm(x, weight, bias, 1e-5f, expectedY, expectedMean, expectedR);
                vector.layerNorm(x, weight, bias, 1e-5f, actualY, actualMean, actualR);
                assertClose("layerNorm " + shape, expectedY, actualY, 1e-4f);
                assertClose("layerNorm mean " + shape, expectedMean, actualMean);
                assertClose("layerNorm invStd " + shape, expectedR, actualR, 1e-4f);

                Tensor expectedDb = random(width), actualDb = expectedDb.copy();
                scalar.layerNormBackward(x, weight, expectedMean, expectedR, dy, expectedDx, expectedDw, expectedDb);
                vector.layerNormBackward(x, weight, expectedMean, expectedR, dy, actualDx, actualDw, actualDb);
                assertClose("layerNormBackward dx " + shape, expectedDx, actualDx, 1e-4f);
                assertClose("layerNormBackward dweight " + shape, expectedDw, actualDw, 1e-4f);
                assertClose("layerNormBackward dbias " + shape, expectedDb, actualDb, 1e-4f);
            }
        }
    }

    @Test
    void activationsMatchScalar() {
        for (int size : new int[] {1, 3, 17, 33, 40_001}) {
            Tensor x = random(size), up = random(size), dy = random(size);
            Tensor expected = Tensor.zeros(size), actual = Tensor.zeros(size);
            Tensor expected2 = Tensor.zeros(size), actual2 = Tensor.zeros(size);
            scalar.silu(x, expected);
            vector.silu(x, actual);
            assertClose("silu " + size, expected, actual);
            scalar.siluBackward(x, dy, expected);
            vector.siluBackward(x, dy, actual);
            assertClose("siluBackward " + size, expected, actual);
            scalar.gelu(x, expected);
            vector.gelu(x, actual);
            assertClose("gelu " + size, expected, actual);
            scalar.geluBackward(x, dy, expected);
            vector.geluBackward(x, dy, actual);
            assertClose("geluBackward " + size, expected, actual);
            scalar.swiglu(x, up, expected);
            vector.swiglu(x, up, actual);
            assertClose("swiglu " + size, expected, actual);
            scalar.swigluBackward(x, up, dy, expected, expected2);
            vector.swigluBackward(x, up, dy, actual, actual2);
            assertClose("swigluBackward dgate " + size, expected, actual);
            assertClose("swigluBackward dup " + size, expected2, actual2);
        }
    }

    @Test
    void ropeMatchesScalar() {
        for (int d : new int[] {2, 6, 8, 18, 34, 64}) {
            for (int rows : new int[] {1, 7, 300}) {
                int heads = 3;
                int[] positions = new int[rows];
                for (int n = 0; n < rows; n++) {
                    positions[n] = random.nextInt(2048);
                }
                for (boolean inverse : new boolean[] {false, true}) {
                    Tensor expected = random(rows, heads, d);
                    Tensor actual = expected.copy();
                    scalar.rope(expected, positions, 10000f, inverse);
                    vector.rope(actual, positions, 10000f, inverse);
                    assertClose("rope D=" + d + " N=" + rows + " inverse=" + inverse, expected, actual);
                }
            }
        }
    }

    @Test
    void ropeMatchesScalarBeyondTabulatedPositions() {
        // positions 0..3 tabulate the first 256 positions, 5000 grows the table and 70000 takes the untabulated path
        int d = 16, heads = 2;
        int[][] positionSets = {{0, 1, 2, 3}, {5000, 3, 4999, 0}, {70000, 65535, 65536, 1}};
        for (int[] positions : positionSets) {
            for (boolean inverse : new boolean[] {false, true}) {
                Tensor expected = random(positions.length, heads, d);
                Tensor actual = expected.copy();
                scalar.rope(expected, positions, 500000f, inverse);
                vector.rope(actual, positions, 500000f, inverse);
                assertClose("rope positions=" + java.util.Arrays.toString(positions) + " inverse=" + inverse,
                        expected, actual);
            }
        }
    }

    @Test
    void attentionMatchesScalar() {
        // {B, T, H, G, D}
        int[][] shapes = {{1, 1, 1, 1, 8}, {2, 5, 4, 2, 3}, {1, 17, 2, 1, 8}, {2, 33, 6, 3, 16}, {1, 40, 2, 2, 64}};
        for (int[] shape : shapes) {
            for (boolean masked : new boolean[] {false, true}) {
                int b = shape[0], t = shape[1], h = shape[2], g = shape[3], d = shape[4];
                String name = "B=" + b + " T=" + t + " H=" + h + " G=" + g + " D=" + d + " masked=" + masked;
                boolean[] keyMask = null;
                if (masked) {
                    keyMask = new boolean[b * t];
                    for (int i = 0; i < keyMask.length; i++) {
                        // left padding of two tokens, then some holes
                        keyMask[i] = i % t >= 2 && random.nextInt(5) != 0;
                    }
                }
                Tensor q = random(b, t, h, d), k = random(b, t, g, d), v = random(b, t, g, d);
                Tensor expectedOut = Tensor.zeros(b, t, h, d), actualOut = Tensor.zeros(b, t, h, d);
                Tensor expectedLse = Tensor.zeros(b, h, t), actualLse = Tensor.zeros(b, h, t);
                scalar.attention(q, k, v, keyMask, expectedOut, expectedLse);
                vector.attention(q, k, v, keyMask, actualOut, actualLse);
                assertClose("attention out " + name, expectedOut, actualOut, 1e-4f);
                assertClose("attention logsumexp " + name, expectedLse, actualLse);

                Tensor dout = random(b, t, h, d);
                Tensor[] expectedGrads = {Tensor.zeros(b, t, h, d), Tensor.zeros(b, t, g, d), Tensor.zeros(b, t, g, d)};
                Tensor[] actualGrads = {random(b, t, h, d), random(b, t, g, d), random(b, t, g, d)};
                scalar.attentionBackward(q, k, v, keyMask, expectedOut, expectedLse, dout,
                        expectedGrads[0], expectedGrads[1], expectedGrads[2]);
                vector.attentionBackward(q, k, v, keyMask, expectedOut, expectedLse, dout,
                        actualGrads[0], actualGrads[1], actualGrads[2]);
                assertClose("attentionBackward dq " + name, expectedGrads[0], actualGrads[0], 1e-4f);
                assertClose("attentionBackward dk " + name, expectedGrads[1], actualGrads[1], 1e-4f);
                assertClose("attentionBackward dv " + name, expectedGrads[2], actualGrads[2], 1e-4f);
            }
        }
    }

    @Test
    void embeddingMatchesScalar() {
        for (int width : WIDTHS) {
            Tensor table = random(11, width);
            int[] ids = new int[300];
            for (int n = 0; n < ids.length; n++) {
                ids[n] = random.nextInt(11);
            }
            Tensor expected = Tensor.zeros(300, width), actual = Tensor.zeros(300, width);
            scalar.embedding(table, ids, expected);
            vector.embedding(table, ids, actual);
            assertClose("embedding C=" + width, expected, actual, 0f);

            Tensor dout = random(300, width);
            Tensor expectedTable = random(11, width), actualTable = expectedTable.copy();
            scalar.embeddingBackward(dout, ids, expectedTable);
            vector.embeddingBackward(dout, ids, actualTable);
            assertClose("embeddingBackward C=" + width, expectedTable, actualTable, 1e-4f);
        }
    }
}
