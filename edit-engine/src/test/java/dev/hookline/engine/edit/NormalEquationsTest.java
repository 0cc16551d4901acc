/*
 * The float64 normal-equation solve against plain-Java Gaussian elimination, and the key-to-value
 * property of a one-layer least-squares update.
 */
package dev.hookline.engine.edit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import java.util.Random;
import org.junit.jupiter.api.Test;

class NormalEquationsTest {

    /** Solves (c + K K^T) X = K by Gaussian elimination with partial pivoting. */
    static double[] naiveSolve(double[] c, double[] k, int n, int u) {
        double[][] a = new double[n][n + u];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double kk = 0;
                for (int q = 0; q < u; q++) {
                    kk += k[i * u + q] * k[j * u + q];
                }
                a[i][j] = c[i * n + j] + kk;
            }
            for (int q = 0; q < u; q++) {
                a[i][n + q] = k[i * u + q];
            }
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int row = col + 1; row < n; row++) {
                if (Math.abs(a[row][col]) > Math.abs(a[pivot][col])) {
                    pivot = row;
                }
            }
            double[] tmp = a[col];
            a[col] = a[pivot];
            a[pivot] = tmp;
            for (int row = 0; row < n; row++) {
                if (row != col) {
                    double f = a[row][col] / a[col][col];
                    for (int j = col; j < n + u; j++) {
                        a[row][j] -= f * a[col][j];
                    }
                }
            }
        }
        double[] x = new double[n * u];
        for (int i = 0; i < n; i++) {
            for (int q = 0; q < u; q++) {
                x[i * u + q] = a[i][n + q] / a[i][i];
            }
        }
        return x;
    }

    static double[] spd(Random r, int n, double scale) {
        double[] g = new double[n * n];
        for (int i = 0; i < g.length; i++) {
            g[i] = r.nextGaussian();
        }
        double[] c = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < n; q++) {
                    s += g[i * n + q] * g[j * n + q];
                }
                c[i * n + j] = scale * s / n + (i == j ? 1e-3 : 0);
            }
        }
        return c;
    }

    static double[] gaussian(Random r, int size, double scale) {
        double[] x = new double[size];
        for (int i = 0; i < size; i++) {
            x[i] = scale * r.nextGaussian();
        }
        return x;
    }

    /** max_i |a_i - b_i| / (1 + |b_i|). */
    static double maxRelativeDifference(double[] a, double[] b) {
        double worst = 0;
        for (int i = 0; i < a.length; i++) {
            worst = Math.max(worst, Math.abs(a[i] - b[i]) / (1 + Math.abs(b[i])));
        }
        return worst;
    }

    @Test
    void float64SolveAgreesWithGaussianElimination() {
        Random r = new Random(5);
        int n = 48;
        int u = 7;
        double[] c = spd(r, n, 2.0);
        double[] k = gaussian(r, n * u, 1);
        try (NDManager nd = NDManager.newBaseManager()) {
            double worst = maxRelativeDifference(NormalEquations.solve(nd, c, k, n, u), naiveSolve(c, k, n, u));
            assertTrue(worst < 1e-9, "max relative difference " + worst);
        }
    }

    @Test
    void woodburyUpdatesAgreeWithGaussianEliminationOverManyBatches() {
        Random r = new Random(11);
        int n = 40;
        int u = 5;
        double[] c = spd(r, n, 2.0);
        try (NDManager nd = NDManager.newBaseManager()) {
            ai.djl.ndarray.NDArray p = nd.create(c, new ai.djl.ndarray.types.Shape(n, n)).inverse();
            double worstSolve = 0;
            for (int round = 0; round < 40; round++) {
                double[] k = gaussian(r, n * u, 3);
                ai.djl.ndarray.NDArray kArr = nd.create(k, new ai.djl.ndarray.types.Shape(n, u));
                ai.djl.ndarray.NDArray a = NormalEquations.solveWithInverse(p, kArr);
                worstSolve = Math.max(worstSolve, maxRelativeDifference(a.toDoubleArray(), naiveSolve(c, k, n, u)));
                // In place, in blocks of 16 rows (40 = 16 + 16 + 8: uneven blocks and mirrored ones).
                ai.djl.ndarray.NDArray fromUpdate = NormalEquations.updateInverse(p, kArr, 16);
                worstSolve = Math.max(worstSolve, maxRelativeDifference(fromUpdate.toDoubleArray(), naiveSolve(c, k, n, u)));
                for (int i = 0; i < n; i++) { // C += K K^T, as the editor accumulates
                    for (int j = 0; j < n; j++) {
                        for (int q = 0; q < u; q++) {
                            c[i * n + j] += k[i * u + q] * k[j * u + q];
                        }
                    }
                }
            }
            assertTrue(worstSolve < 1e-9, "Woodbury solve vs elimination, max relative difference " + worstSolve);
            double[] kept = p.toDoubleArray();
            double[] fresh = nd.create(c, new ai.djl.ndarray.types.Shape(n, n)).inverse().toDoubleArray();
            double worst = 0;
            double scale = 0;
            for (int i = 0; i < kept.length; i++) {
                worst = Math.max(worst, Math.abs(kept[i] - fresh[i]));
                scale = Math.max(scale, Math.abs(fresh[i]));
                assertEquals(kept[i], kept[(i % n) * n + i / n], 0.0, "kept inverse is symmetric");
            }
            assertTrue(worst < 1e-10 * scale, "inverse after 40 updates vs fresh inverse: " + worst + " (scale " + scale + ")");
        }
    }

    @Test
    void blockedGramUpdateAddsKKTransposeInPlaceAndStaysSymmetric() {
        Random r = new Random(5);
        int n = 37; // blocks of 8: four full, one of 5
        int u = 3;
        double[] c = spd(r, n, 1.0);
        double[] k = gaussian(r, n * u, 2);
        try (NDManager nd = NDManager.newBaseManager()) {
            ai.djl.ndarray.NDArray arr = nd.create(c, new ai.djl.ndarray.types.Shape(n, n));
            NormalEquations.addGram(arr, nd.create(k, new ai.djl.ndarray.types.Shape(n, u)), 1, 8);
            double[] got = arr.toDoubleArray();
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double want = c[i * n + j];
                    for (int q = 0; q < u; q++) {
                        want += k[i * u + q] * k[j * u + q];
                    }
                    assertEquals(want, got[i * n + j], 1e-12 * Math.max(1, Math.abs(want)), "entry " + i + "," + j);
                    assertEquals(got[i * n + j], got[j * n + i], 0.0, "symmetric at " + i + "," + j);
                }
            }
        }
    }

    @Test
    void oneLayerUpdateMapsBatchKeysToTheirTargets() {
        Random r = new Random(9);
        int ff = 32;
        int d = 6;
        int u = 5;
        double[] w = new double[d * ff]; // (d, d_ff)
        for (int i = 0; i < w.length; i++) {
            w[i] = r.nextGaussian() * 0.1;
        }
        double[] k = new double[ff * u]; // (d_ff, u)
        for (int i = 0; i < k.length; i++) {
            k[i] = Math.max(0, r.nextGaussian());
        }
        double[] v = new double[d * u]; // targets (d, u)
        for (int i = 0; i < v.length; i++) {
            v[i] = r.nextGaussian();
        }
        double[] c = spd(r, ff, 1e-3); // a small lambda C0: the update should almost interpolate
        // R = V - W K
        double[] res = new double[d * u];
        for (int a = 0; a < d; a++) {
            for (int i = 0; i < u; i++) {
                double s = 0;
                for (int q = 0; q < ff; q++) {
                    s += w[a * ff + q] * k[q * u + i];
                }
                res[a * u + i] = v[a * u + i] - s;
            }
        }
        try (NDManager nd = NDManager.newBaseManager()) {
            double[] aMat = NormalEquations.solve(nd, c, k, ff, u); // (d_ff, u)
            // W_h = W + R A^T; check W_h k_i against v_i.
            double worst = 0;
            for (int i = 0; i < u; i++) {
                double err = 0;
                double norm = 0;
                for (int a = 0; a < d; a++) {
                    double out = 0;
                    for (int q = 0; q < ff; q++) {
                        double wh = w[a * ff + q];
                        for (int p = 0; p < u; p++) {
                            wh += res[a * u + p] * aMat[q * u + p];
                        }
                        out += wh * k[q * u + i];
                    }
                    err += (out - v[a * u + i]) * (out - v[a * u + i]);
                    norm += v[a * u + i] * v[a * u + i];
                }
                worst = Math.max(worst, Math.sqrt(err / norm));
            }
            assertTrue(worst < 1e-2, "worst relative error of W_h k_i vs v_i: " + worst);
        }
    }

    /** F^T F for a row-major (u, u) F. */
    private static double[] gramOfRows(double[] f, int u) {
        double[] out = new double[u * u];
        for (int i = 0; i < u; i++) {
            for (int j = 0; j < u; j++) {
                double sum = 0;
                for (int k = 0; k < u; k++) {
                    sum += f[k * u + i] * f[k * u + j];
                }
                out[i * u + j] = sum;
            }
        }
        return out;
    }

    @Test
    void eigenFallbackEqualsCholeskyOnAPositiveDefiniteSystem() {
        int u = 7;
        Random random = new Random(9);
        double[] b = new double[u * u];
        for (int i = 0; i < b.length; i++) {
            b[i] = random.nextGaussian();
        }
        double[] s = new double[u * u]; // I + B B^T: what I + K^T P K is for a positive definite P
        for (int i = 0; i < u; i++) {
            for (int j = 0; j < u; j++) {
                double sum = i == j ? 1 : 0;
                for (int k = 0; k < u; k++) {
                    sum += b[i * u + k] * b[j * u + k];
                }
                s[i * u + j] = sum;
            }
        }
        double[] viaCholesky = gramOfRows(NormalEquations.choleskyLowerInverse(s, u), u); // S^-1
        double[] viaEigen = gramOfRows(NormalEquations.clampedInverseRoot(s, u, 1.0), u);
        for (int i = 0; i < u * u; i++) {
            assertEquals(viaCholesky[i], viaEigen[i], 1e-10, "S^-1 entry " + i);
        }
    }

    @Test
    void anIndefiniteKeptInverseNoLongerFailsTheUpdate() {
        int n = 8;
        int u = 3;
        // A kept inverse that has lost its definiteness (as rounding does at d_ff 4096): one negative direction.
        double[] p = new double[n * n];
        for (int i = 0; i < n; i++) {
            p[i * n + i] = i == n - 1 ? -5 : 1;
        }
        double[] k = new double[n * u];
        Random random = new Random(4);
        for (int i = 0; i < k.length; i++) {
            k[i] = 0.3 * random.nextGaussian();
        }
        k[(n - 1) * u] = 2; // the first key leans on the negative direction: 1 + k^T P k < 0
        double[] s = new double[u * u];
        for (int i = 0; i < u; i++) {
            for (int j = 0; j < u; j++) {
                double sum = i == j ? 1 : 0;
                for (int a = 0; a < n; a++) {
                    sum += k[a * u + i] * p[a * n + a] * k[a * u + j];
                }
                s[i * u + j] = sum;
            }
        }
        IllegalStateException provoked = org.junit.jupiter.api.Assertions.assertThrows(IllegalStateException.class,
                () -> NormalEquations.choleskyLowerInverse(s, u));
        assertTrue(provoked.getMessage().contains("I + K^T P K is not positive definite"), provoked.getMessage());
        try (NDManager m = NDManager.newBaseManager()) {
            var pArr = m.create(p, new ai.djl.ndarray.types.Shape(n, n));
            var kArr = m.create(k, new ai.djl.ndarray.types.Shape(n, u));
            double[] a = NormalEquations.updateInverse(pArr, kArr).toDoubleArray(); // no longer throws
            double[] after = pArr.toDoubleArray();
            for (double x : a) {
                assertTrue(Double.isFinite(x), "A finite");
            }
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    assertTrue(Double.isFinite(after[i * n + j]));
                    assertEquals(after[i * n + j], after[j * n + i], 0.0, "P stays exactly symmetric");
                }
            }
        }
    }
}
