/*
 * The nearest-edit scope against a plain-Java float64 oracle: its score is the largest one-key span
 * rho, 1 - k^T (lambda C0 + k_i k_i^T)^-1 k / k^T (lambda C0)^-1 k (Gaussian elimination, no DJL),
 * over the edited keys; 0 before any edit; NaN for a zero key; and never above the span of all
 * edited keys' rho (a span holds each of its keys).
 */
package dev.hookline.engine.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NearestKeyScopeTest {
    private static final int FF = 6;
    private static final double LAMBDA = 3;

    private static double[] gaussian(Random r, int n) {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
            v[i] = r.nextGaussian();
        }
        return v;
    }

    /** lambda C0 + sum of k k^T over {@code keys}. */
    private static double[] plus(double[] m, double[]... keys) {
        double[] out = m.clone();
        for (double[] k : keys) {
            for (int i = 0; i < FF; i++) {
                for (int j = 0; j < FF; j++) {
                    out[i * FF + j] += k[i] * k[j];
                }
            }
        }
        return out;
    }

    private static double rho(double[] preserve, double[] withKeys, double[] q) {
        return 1 - SpanScopeTest.quadInverse(withKeys, q) / SpanScopeTest.quadInverse(preserve, q);
    }

    /** The scope of edited keys {@code keys} on lambda C0 = {@code preserve}: W^T and the scaled whitened keys. */
    private static NearestKeyScope scope(NDManager m, double[] preserve, double[][] keys) {
        double[] w = ScopeFactors.whitening(m, preserve, FF, 1.0, "test"); // W = L^-1, lambda C0 = L L^T
        NDArray wt = m.create(w, new Shape(FF, FF)).transpose().toType(DataType.FLOAT32, false);
        if (keys.length == 0) {
            return new NearestKeyScope(wt, null);
        }
        double[] cols = new double[FF * keys.length];
        for (int j = 0; j < keys.length; j++) {
            double[] z = new double[FF];
            double norm = 0;
            for (int i = 0; i < FF; i++) {
                for (int a = 0; a < FF; a++) {
                    z[i] += w[i * FF + a] * keys[j][a];
                }
                norm += z[i] * z[i];
            }
            for (int i = 0; i < FF; i++) {
                cols[i * keys.length + j] = z[i] / Math.sqrt(1 + norm);
            }
        }
        return new NearestKeyScope(wt, m.create(cols, new Shape(FF, keys.length)).toType(DataType.FLOAT32, false));
    }

    @Test
    void scoreIsTheLargestOneKeyRho() {
        Random r = new Random(7);
        double[] preserve = SpanScopeTest.preserve(r, LAMBDA);
        double[][] edited = {gaussian(r, FF), gaussian(r, FF), gaussian(r, FF)};
        double[][] queries = {gaussian(r, FF), gaussian(r, FF), edited[1], new double[FF]};
        try (NDManager m = NDManager.newBaseManager()) {
            double[] flat = new double[queries.length * FF];
            for (int q = 0; q < queries.length; q++) {
                System.arraycopy(queries[q], 0, flat, q * FF, FF);
            }
            NDArray keys = m.create(flat, new Shape(1, queries.length, FF)); // (B=1, T=4, d_ff)
            double[] got = scope(m, preserve, edited).keyScores(keys);
            double[] none = scope(m, preserve, new double[0][]).keyScores(keys);
            for (int q = 0; q < 3; q++) {
                double expected = 0;
                for (double[] k : edited) {
                    expected = Math.max(expected, rho(preserve, plus(preserve, k), queries[q]));
                }
                assertEquals(expected, got[q], 1e-4, "query " + q);
                double span = rho(preserve, plus(preserve, edited), queries[q]);
                assertTrue(got[q] <= span + 1e-4, "one key's rho " + got[q] + " above the span's " + span);
                assertEquals(0, none[q], 0.0, "no edits: nothing is in scope");
            }
            // An edited key itself scores w2 / (1 + w2), w2 = k^T (lambda C0)^-1 k.
            double w2 = SpanScopeTest.quadInverse(preserve, edited[1]);
            assertEquals(w2 / (1 + w2), got[2], 1e-4);
            assertTrue(Double.isNaN(got[3]) && Double.isNaN(none[3]), "a zero key has no score");
        }
    }

    @Test
    void refusesOtherTypesAndShapes() {
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray w64 = m.eye(FF, FF, 0, DataType.FLOAT64);
            NDArray w32 = m.eye(FF, FF, 0, DataType.FLOAT32);
            assertThrows(IllegalArgumentException.class, () -> new NearestKeyScope(w64, null));
            assertThrows(IllegalArgumentException.class,
                    () -> new NearestKeyScope(w32, m.zeros(new Shape(FF + 1, 2), DataType.FLOAT32)));
        }
    }
}
