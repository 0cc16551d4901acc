/*
 * The span scope test against a plain-Java float64 oracle: its closed forms (0 before any edit,
 * w2 / (1 + w2) for one edited key), zero keys, and the hook swapping exactly where rho >= alpha.
 */
package dev.hookline.engine.hook;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SpanScopeTest {
    private static final int FF = 6;
    private static final int D = 3;

    /** lambda C0 for a random SPD C0 = G G^T / n + 0.1 I, row-major. */
    static double[] preserve(Random r, double lambda) {
        int n = 20;
        double[] g = new double[FF * n];
        for (int i = 0; i < g.length; i++) {
            g[i] = r.nextGaussian();
        }
        double[] c = new double[FF * FF];
        for (int i = 0; i < FF; i++) {
            for (int j = 0; j < FF; j++) {
                double s = 0;
                for (int k = 0; k < n; k++) {
                    s += g[i * n + k] * g[j * n + k];
                }
                c[i * FF + j] = lambda * (s / n + (i == j ? 0.1 : 0));
            }
        }
        return c;
    }

    /** k^T M^-1 k by solving M x = k with Gaussian elimination (independent of DJL's inverse). */
    static double quadInverse(double[] m, double[] k) {
        int n = k.length;
        double[][] a = new double[n][n + 1];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                a[i][j] = m[i * n + j];
            }
            a[i][n] = k[i];
        }
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int row = col + 1; row < n; row++) {
                if (Math.abs(a[row][col]) > Math.abs(a[piv][col])) {
                    piv = row;
                }
            }
            double[] t = a[col];
            a[col] = a[piv];
            a[piv] = t;
            for (int row = col + 1; row < n; row++) {
                double f = a[row][col] / a[col][col];
                for (int j = col; j <= n; j++) {
                    a[row][j] -= f * a[col][j];
                }
            }
        }
        double[] x = new double[n];
        for (int i = n - 1; i >= 0; i--) {
            double s = a[i][n];
            for (int j = i + 1; j < n; j++) {
                s -= a[i][j] * x[j];
            }
            x[i] = s / a[i][i];
        }
        double q = 0;
        for (int i = 0; i < n; i++) {
            q += k[i] * x[i];
        }
        return q;
    }

    static double[] plusOuter(double[] c, double[][] keys) {
        double[] out = c.clone();
        for (double[] k : keys) {
            for (int i = 0; i < FF; i++) {
                for (int j = 0; j < FF; j++) {
                    out[i * FF + j] += k[i] * k[j];
                }
            }
        }
        return out;
    }

    static double[] gaussian(Random r, int n) {
        double[] out = new double[n];
        for (int i = 0; i < n; i++) {
            out[i] = r.nextGaussian();
        }
        return out;
    }

    private static SpanScope scope(NDManager nd, double[] preserve, double[] accumulated) {
        NDArray p = nd.create(preserve, new Shape(FF, FF)).inverse();
        NDArray c = nd.create(accumulated, new Shape(FF, FF)).inverse();
        return new SpanScope(p, c);
    }

    @Test
    void scoresMatchTheFloat64OracleAndTheClosedForms() {
        Random r = new Random(11);
        double lambda = 5;
        double[] c = preserve(r, lambda);
        double[][] edited = {gaussian(r, FF), gaussian(r, FF)};
        double[] accumulated = plusOuter(c, edited);
        double[][] probes = {edited[0], edited[1], gaussian(r, FF), gaussian(r, FF), gaussian(r, FF)};
        float[] keys = new float[probes.length * FF];
        for (int t = 0; t < probes.length; t++) {
            for (int a = 0; a < FF; a++) {
                keys[t * FF + a] = (float) probes[t][a];
                probes[t][a] = keys[t * FF + a]; // the oracle sees the float32 key the hook sees
            }
        }
        try (NDManager nd = NDManager.newBaseManager()) {
            double[] rho = scope(nd, c, accumulated).keyScores(nd.create(keys, new Shape(1, probes.length, FF)));
            for (int t = 0; t < probes.length; t++) {
                double expected = 1 - quadInverse(accumulated, probes[t]) / quadInverse(c, probes[t]);
                assertEquals(expected, rho[t], 1e-9, "position " + t);
                assertTrue(rho[t] >= -1e-12 && rho[t] < 1, "rho in [0, 1): " + rho[t]);
            }
            // Before any edit C_accu = lambda C0: rho = 0 everywhere.
            double[] none = scope(nd, c, c).keyScores(nd.create(keys, new Shape(1, probes.length, FF)));
            for (double v : none) {
                assertEquals(0, v, 1e-9);
            }
            // One edited key: rho(k) = w2 / (1 + w2) with w2 = k^T (lambda C0)^-1 k.
            double[] one = plusOuter(c, new double[][] {probes[0]});
            double w2 = quadInverse(c, probes[0]);
            double single = scope(nd, c, one).keyScores(nd.create(keys, new Shape(1, probes.length, FF)))[0];
            assertEquals(w2 / (1 + w2), single, 1e-9);
        }
    }

    @Test
    void zeroKeyIsUndefinedAndNeverSwaps() {
        Random r = new Random(3);
        double[] c = preserve(r, 2);
        double[] accumulated = plusOuter(c, new double[][] {gaussian(r, FF)});
        try (NDManager nd = NDManager.newBaseManager()) {
            double[] rho = scope(nd, c, accumulated).keyScores(nd.zeros(new Shape(1, 2, FF), DataType.FLOAT32));
            assertTrue(Double.isNaN(rho[0]) && Double.isNaN(rho[1]));
            assertTrue(!ScopeTest.swaps(rho[0], -1e9));
        }
    }

    @Test
    void hookSwapsExactlyWhereRhoReachesAlphaAndNeverOnPadding() {
        Random r = new Random(5);
        double[] c = preserve(r, 3);
        double[] e = gaussian(r, FF);
        double[] accumulated = plusOuter(c, new double[][] {e});
        int b = 2;
        int t = 4;
        float[] keys = new float[b * t * FF];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = (float) r.nextGaussian();
        }
        for (int a = 0; a < FF; a++) {
            keys[(1 * t + 1) * FF + a] = (float) e[a]; // row 1, position 1 is the edited key
            keys[(1 * t + 3) * FF + a] = (float) e[a]; // row 1, position 3 too, but it is padding
        }
        float[] mask = {1, 1, 1, 1, 1, 1, 1, 0};
        float[] original = new float[b * t * D];
        float[] delta = new float[FF * D];
        for (int i = 0; i < delta.length; i++) {
            delta[i] = (float) r.nextGaussian();
        }
        try (NDManager nd = NDManager.newBaseManager()) {
            SpanScope span = scope(nd, c, accumulated);
            NDArray keyArr = nd.create(keys, new Shape(b, t, FF));
            double[] rho = span.keyScores(keyArr);
            double alpha = rho[1 * t + 1] - 1e-6; // the edited key reaches alpha
            HookLayer hook = new HookLayer(2, nd.create(delta, new Shape(FF, D)), alpha, span,
                    HookLayer.Mode.VALIDATED, null);
            float[] out = hook.replace(2, keyArr, nd.create(original, new Shape(b, t, D)),
                    nd.create(mask, new Shape(b, t))).toFloatArray();
            int swapped = 0;
            for (int row = 0; row < b; row++) {
                for (int p = 0; p < t; p++) {
                    boolean real = mask[row * t + p] > 0.5f;
                    boolean swap = real && rho[row * t + p] >= alpha;
                    double norm = 0;
                    for (int j = 0; j < D; j++) {
                        double s = 0;
                        for (int a = 0; a < FF; a++) {
                            s += keys[(row * t + p) * FF + a] * delta[a * D + j];
                        }
                        assertEquals(swap ? s : 0, out[(row * t + p) * D + j], 1e-4, "row " + row + " pos " + p);
                        norm += s * s;
                    }
                    assertTrue(norm > 0);
                    swapped += swap ? 1 : 0;
                }
            }
            assertTrue(swapped >= 1 && swapped < b * t - 1, "some but not all real positions swap: " + swapped);
            // The decision taken once (as the value step does) reproduces replace() exactly.
            float[] select = hook.selection(keyArr, nd.create(mask, new Shape(b, t)));
            for (int i = 0; i < select.length; i++) {
                assertEquals(mask[i] > 0.5f && rho[i] >= alpha ? 1f : 0f, select[i], "selection at " + i);
            }
            float[] again = hook.replaceWithSelection(keyArr, nd.create(original, new Shape(b, t, D)), select)
                    .toFloatArray();
            assertArrayEquals(out, again);
            assertThrows(IllegalArgumentException.class, () -> hook.replaceWithSelection(keyArr,
                    nd.create(original, new Shape(b, t, D)), new float[3]));
            assertThrows(UnsupportedOperationException.class, () -> span.scores(new double[] {1}));
        }
    }
}
