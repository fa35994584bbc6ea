package org.gkd4j.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.util.SplittableRandom;
import org.gkd4j.tensor.Tensor;
import org.junit.jupiter.api.Test;

class PackedMatrixTest {

    @Test
    void stackedMatricesMatchReference() {
        SplittableRandom random = new SplittableRandom(21);
        // 13 + 7 + 6 = 26 rows: the parts straddle panels of 8, and the 4 panels leave a 4x1 tail after a 4x3 tile.
        // 11 columns and 1..9 activation rows are not multiples of the vector length or of the 4-row tile.
        int c = 11;
        int[] parts = {13, 7, 6};
        float[][] w = new float[parts.length][];
        PackedMatrix packed = new PackedMatrix(26, c);
        int firstRow = 0;
        for (int m = 0; m < parts.length; m++) {
            w[m] = gaussian(random, parts[m] * c);
            packed.pack(Tensor.of(w[m], parts[m], c), firstRow);
            firstRow += parts[m];
        }
        for (int rows = 1; rows <= 9; rows++) {
            float[] x = gaussian(random, rows * c);
            float[] out = new float[rows * 26];
            packed.multiply(x, 0, rows, out, 0, 26);
            for (int n = 0; n < rows; n++) {
                int o = 0;
                for (int m = 0; m < parts.length; m++) {
                    for (int j = 0; j < parts[m]; j++, o++) {
                        double sum = 0;
                        for (int k = 0; k < c; k++) {
                            sum += (double) x[n * c + k] * w[m][j * c + k];
                        }
                        assertEquals(sum, out[n * 26 + o], 1e-5, "rows " + rows + " row " + n + " output " + o);
                    }
                }
            }
        }
    }

    @Test
    void packRejectsMatrixThatDoesNotFit() {
        PackedMatrix packed = new PackedMatrix(16, 8);
        Tensor w = Tensor.of(new float[10 * 8], 10, 8);
        IllegalArgumentException error = assertThrows(IllegalArgumentException.class, () -> packed.pack(w, 8));
        assertTrue(error.getMessage().contains("at row 8"), error.getMessage());
    }

    private static float[] gaussian(SplittableRandom random, int n) {
        float[] values = new float[n];
        for (int i = 0; i < n; i++) {
            values[i] = (float) random.nextGaussian();
        }
        return values;
    }
}
