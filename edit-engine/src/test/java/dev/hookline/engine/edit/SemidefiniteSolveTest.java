/*
 * The closed-form rules on a covariance that is only positive semi-definite (issue 29: "its solves
 * never fail on a positive semi-definite system"). C0 of rank r < d_ff is what a random or barely
 * trained model, dead units or fewer corpus positions than d_ff give; the explicit LU inverse of such
 * a C0 was neither symmetric nor definite and the update that used it was noise (a Llama model with
 * d_ff 8192: I + K^T P K at a pivot of -6e13, reliability 0.05). Checked against independent
 * computations: plain-Java Gaussian elimination where the system is regular, and the exact property
 * of the minimum-resistance update where it is not (keys outside C0's range are fitted exactly).
 */
package dev.hookline.engine.edit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

class SemidefiniteSolveTest {

    /** G G^T / m for G (n, rank) Gaussian: rank-deficient, numerically singular. */
    static double[] lowRankCovariance(Random r, int n, int rank) {
        double[] g = NormalEquationsTest.gaussian(r, n * rank, 1);
        double[] c = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < rank; q++) {
                    s += g[i * rank + q] * g[j * rank + q];
                }
                c[i * n + j] = s / rank;
            }
        }
        return c;
    }

    static LayerStatistics statistics(double[] c0, int n) {
        return new LayerStatistics(new int[] {0}, Map.of(0, c0), Map.of(0, new float[0]), n, 1, 1, "test", "test");
    }

    @Test
    void spdInverseEqualsGaussianEliminationOnARegularMatrix() {
        Random r = new Random(21);
        int n = 48;
        double[] c = NormalEquationsTest.spd(r, n, 2.0);
        double lambda = 3.0;
        double[] scaled = c.clone();
        for (int i = 0; i < scaled.length; i++) {
            scaled[i] *= lambda;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            double[] expected = solveAgainstIdentity(scaled, n);
            double[] p = NormalEquations.spdInverse(m, c, n, lambda, "test").toDoubleArray();
            double worst = NormalEquationsTest.maxRelativeDifference(p, expected);
            assertTrue(worst < 1e-9, "max relative difference " + worst);
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    assertEquals(p[i * n + j], p[j * n + i], 1e-12 * (1 + Math.abs(p[i * n + j])), "symmetric");
                }
            }
        }
    }

    /** a^-1 by Gauss-Jordan elimination with partial pivoting (a regular). */
    static double[] solveAgainstIdentity(double[] a, int n) {
        double[][] w = new double[n][2 * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                w[i][j] = a[i * n + j];
            }
            w[i][n + i] = 1;
        }
        for (int col = 0; col < n; col++) {
            int pivot = col;
            for (int row = col + 1; row < n; row++) {
                if (Math.abs(w[row][col]) > Math.abs(w[pivot][col])) {
                    pivot = row;
                }
            }
            double[] t = w[col];
            w[col] = w[pivot];
            w[pivot] = t;
            for (int row = 0; row < n; row++) {
                if (row != col) {
                    double f = w[row][col] / w[col][col];
                    for (int j = col; j < 2 * n; j++) {
                        w[row][j] -= f * w[col][j];
                    }
                }
            }
        }
        double[] out = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                out[i * n + j] = w[i][n + j] / w[i][i];
            }
        }
        return out;
    }

    /**
     * C0 of rank 40 in 160 dimensions, 12 Gaussian keys (each with a component outside C0's range):
     * the rule's A = (lambda C0 + K K^T)^-1 K must be finite and fit every key exactly
     * (K^T A = I: nothing in C0 resists a direction it never saw), for the accumulating rule
     * (CoachHooK, over two batches) and MEMIT's, and C_accu^-1 must stay symmetric.
     */
    @Test
    void aRankDeficientC0GivesFiniteUpdatesThatFitTheirKeys() {
        Random r = new Random(33);
        int n = 160;
        int u = 12;
        double[] c0 = lowRankCovariance(r, n, 40);
        for (UpdateRule rule : new UpdateRule[] {new CoachHookUpdate(1500), new MemitUpdate(1500)}) {
            try (NDManager state = NDManager.newBaseManager()) {
                rule.start(state, statistics(c0, n), new int[] {0}, n);
                for (int batch = 0; batch < 2; batch++) {
                    double[] k = NormalEquationsTest.gaussian(r, n * u, 1);
                    try (NDManager pending = state.newSubManager()) {
                        NDArray keys = pending.create(k, new Shape(n, u));
                        double[] a = rule.solve(0, keys).toDoubleArray(); // (n, u)
                        for (int i = 0; i < u; i++) {
                            for (int j = 0; j < u; j++) {
                                double kta = 0;
                                for (int q = 0; q < n; q++) {
                                    kta += k[q * u + i] * a[q * u + j];
                                }
                                assertEquals(i == j ? 1 : 0, kta, 1e-6,
                                        rule.getClass().getSimpleName() + " batch " + batch + ": (K^T A)[" + i + "][" + j + "]");
                            }
                        }
                        java.util.List<Runnable> updates = new java.util.ArrayList<>();
                        rule.addKeys(pending, 0, keys, updates);
                        updates.forEach(Runnable::run);
                    }
                }
                if (rule instanceof CoachHookUpdate) {
                    double[] p = rule.inverse(0).toDoubleArray();
                    for (int i = 0; i < n; i++) {
                        for (int j = 0; j < n; j++) {
                            assertTrue(Double.isFinite(p[i * n + j]), "C_accu^-1 finite");
                            assertEquals(p[i * n + j], p[j * n + i], 0.0, "C_accu^-1 exactly symmetric");
                        }
                    }
                }
            }
        }
    }
}
