/*
 * The factors of the span scopes' serving form against independent float64 computations: the
 * blocked Cholesky factor reproduces its matrix and refuses an indefinite one, the pivoted Cholesky
 * of a difference of inverses finds the Woodbury rank and reproduces the difference, and the
 * factored per-relation scope scores the same rho as the dense one.
 */
package dev.hookline.engine.hook;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

class ScopeFactorsTest {

    /** A random symmetric positive definite (n, n) matrix G G^T / n + 0.05 I with a wide spectrum. */
    private static double[] spd(Random random, int n) {
        double[] g = new double[n * n];
        for (int i = 0; i < g.length; i++) {
            g[i] = random.nextGaussian() * (1 + 10 * (i % n == 0 ? 1 : 0));
        }
        double[] a = new double[n * n];
        for (int i = 0; i < n; i++) {
            for (int j = 0; j < n; j++) {
                double s = 0;
                for (int q = 0; q < n; q++) {
                    s += g[i * n + q] * g[j * n + q];
                }
                a[i * n + j] = s / n + (i == j ? 0.05 : 0);
            }
        }
        return a;
    }

    private static double maxAbs(double[] a) {
        double m = 0;
        for (double v : a) {
            m = Math.max(m, Math.abs(v));
        }
        return m;
    }

    @Test
    void blockedCholeskyReproducesItsMatrixAndRefusesAnIndefiniteOne() {
        Random random = new Random(3);
        int n = 150;
        double[] a = spd(random, n);
        try (NDManager m = NDManager.newBaseManager()) {
            double[] l = ScopeFactors.choleskyLower(m, a, n, 32); // 5 blocks, the last one partial
            double worst = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    if (j > i) {
                        assertEquals(0.0, l[i * n + j], 0.0, "upper triangle is zero");
                    }
                    double s = 0;
                    for (int q = 0; q <= Math.min(i, j); q++) {
                        s += l[i * n + q] * l[j * n + q];
                    }
                    worst = Math.max(worst, Math.abs(s - a[i * n + j]));
                }
            }
            assertTrue(worst < 1e-10 * maxAbs(a), "L L^T = A: max |diff| " + worst);
            double[] indefinite = a.clone();
            indefinite[100 * n + 100] = -1; // a negative diagonal entry in the fourth block
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ScopeFactors.choleskyLower(m, indefinite, n, 32));
            assertTrue(e.getMessage().contains("not positive definite"), e.getMessage());
        }
    }

    @Test
    void pivotedCholeskyFindsTheWoodburyRankAndTheDifference() {
        Random random = new Random(5);
        int n = 80;
        int keys = 7;
        double[] c = spd(random, n);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray cm = m.create(c, new Shape(n, n)); // (n, n) float64
            double[] kv = new double[n * keys];
            for (int i = 0; i < kv.length; i++) {
                kv[i] = random.nextGaussian();
            }
            NDArray k = m.create(kv, new Shape(n, keys)); // (n, u)
            double[] preserve = cm.inverse().toDoubleArray();
            double[] accumulated = cm.add(k.matMul(k.transpose())).inverse().toDoubleArray();
            assertEquals(3, ScopeFactors.lowRankDifference(preserve, accumulated, n, 3).size(), "capped at the rank bound");
            List<double[]> f = ScopeFactors.lowRankDifference(preserve, accumulated, n, n);
            assertEquals(keys, f.size(), "rank of C^-1 - (C + K K^T)^-1 is the number of keys");
            double worst = 0;
            double scale = 0;
            for (int i = 0; i < n; i++) {
                for (int j = 0; j < n; j++) {
                    double d = preserve[i * n + j] - accumulated[i * n + j];
                    double s = 0;
                    for (double[] v : f) {
                        s += v[i] * v[j];
                    }
                    worst = Math.max(worst, Math.abs(s - d));
                    scale = Math.max(scale, Math.abs(d));
                }
            }
            assertTrue(worst < 1e-9 * scale, "F F^T = D: max |diff| " + worst + " of " + scale);
            assertTrue(ScopeFactors.lowRankDifference(preserve, preserve, n, n).isEmpty(), "no edits: empty factor");
        }
    }

    @Test
    void factoredRelationScopeScoresTheDenseRho() {
        factoredEqualsDense(false);
    }

    /**
     * A preserve inverse with a negative diagonal entry (what an ill-conditioned C0's float64
     * inverse can be): q_0 stays float64, the relations' terms are factored, rho still equal.
     */
    @Test
    void anIndefinitePreserveInverseKeepsQ0InFloat64() {
        factoredEqualsDense(true);
    }

    private static void factoredEqualsDense(boolean indefinite) {
        Random random = new Random(11);
        int n = 40;
        int relations = 3;
        double[] c = spd(random, n);
        try (NDManager m = NDManager.newBaseManager()) {
            double[] pv = m.create(c, new Shape(n, n)).inverse().toDoubleArray();
            if (indefinite) {
                pv[0] = -1; // not positive definite; K's row 0 is zero below, so I + K^T P K stays definite
            }
            NDArray preserve = m.create(pv, new Shape(n, n));
            List<NDArray> inverses = new ArrayList<>();
            List<double[]> inverseValues = new ArrayList<>();
            double[][] sums = new double[relations][n];
            int[] counts = new int[relations];
            for (int r = 0; r < relations; r++) {
                counts[r] = 2 + r;
                double[] kv = new double[n * counts[r]];
                for (int a = indefinite ? 1 : 0; a < n; a++) {
                    for (int j = 0; j < counts[r]; j++) {
                        kv[a * counts[r] + j] = random.nextGaussian() + (a % relations == r ? 2 : 0);
                        sums[r][a] += kv[a * counts[r] + j];
                    }
                }
                NDArray k = m.create(kv, new Shape(n, counts[r])); // (n, u)
                NDArray pk = preserve.matMul(k); // (n, u)
                NDArray s = k.transpose().matMul(pk).add(m.eye(counts[r], counts[r], 0, DataType.FLOAT64)); // (u, u)
                NDArray inv = preserve.sub(pk.matMul(s.inverse()).matMul(pk.transpose())); // Woodbury: (P^-1 + K K^T)^-1
                inverses.add(inv);
                inverseValues.add(inv.toDoubleArray());
            }
            RoutingDirections routing = RoutingDirections.of(sums, counts);
            List<String> names = List.of("a", "b", "c");
            for (int routes = 1; routes <= 2; routes++) {
                RelationSpanScope dense = new RelationSpanScope(preserve, names, inverses, routing.mean(),
                        routing.directions(), routes);
                RelationSpanScope factored = RelationSpanScope.factored(m, n, pv, names, inverseValues, counts,
                        routing.mean(), routing.directions(), routes);
                assertFalse(dense.isFactored());
                assertTrue(factored.isFactored());
                assertEquals(!indefinite, factored.preserveFactored());
                assertEquals(List.of(2, 3, 4), java.util.Arrays.stream(factored.factorRanks()).boxed().toList());
                float[] keys = new float[2 * 25 * n]; // (2, 25, n): keys near each relation's and random ones
                for (int i = 0; i < keys.length; i++) {
                    int position = i / n;
                    keys[i] = (float) (random.nextGaussian() + ((i % n) % relations == position % 4 ? 2 : 0));
                }
                for (int a = 0; a < n; a++) {
                    keys[a] = 0; // a zero key: NaN in both forms
                }
                NDArray k = m.create(keys, new Shape(2, 25, n));
                double[] expected = dense.keyScores(k);
                double[] actual = factored.keyScores(k);
                assertTrue(Double.isNaN(expected[0]) && Double.isNaN(actual[0]), "zero key: NaN");
                double worst = 0;
                double spread = 0;
                int defined = 0;
                for (int i = 1; i < expected.length; i++) {
                    assertEquals(Double.isNaN(expected[i]), Double.isNaN(actual[i]), "position " + i + " defined alike");
                    if (!Double.isNaN(expected[i])) {
                        worst = Math.max(worst, Math.abs(expected[i] - actual[i]));
                        spread = Math.max(spread, expected[i]);
                        defined++;
                    }
                }
                assertTrue(defined > 40, "most keys have a positive q_0: " + defined);
                assertTrue(spread > 0.3, "some keys lie in a relation's span: max rho " + spread);
                assertTrue(worst < 1e-5, "routes " + routes + ": factored rho = dense rho, max |diff| " + worst);
            }
        }
    }

    @Test
    void whiteningTurnsLambdaC0IntoTheIdentityAndRidgesOnlyWhereCholeskyFails() {
        Random random = new Random(5);
        int n = 300; // above BLOCK: the blocked triangular inverse recurses
        double[] c = spd(random, n);
        double lambda = 15;
        try (NDManager nd = NDManager.newBaseManager()) {
            double[] w = ScopeFactors.whitening(nd, c, n, lambda, "test");
            NDArray wArr = nd.create(w, new Shape(n, n));
            NDArray product = wArr.matMul(nd.create(c, new Shape(n, n)).mul(lambda)).matMul(wArr.transpose());
            double[] eye = product.sub(nd.eye(n, n, 0, DataType.FLOAT64)).toDoubleArray();
            assertTrue(maxAbs(eye) < 1e-9, "W (lambda C0) W^T = I: " + maxAbs(eye));
            for (int i = 0; i < n; i++) {
                for (int j = i + 1; j < n; j++) {
                    assertEquals(0.0, w[i * n + j], 0.0, "W is lower triangular");
                }
            }
            // rank 3 < n: Cholesky fails, the smallest ridge that factors is added; W stays finite
            double[] thin = new double[n * n];
            for (int v = 0; v < 3; v++) {
                double[] x = new double[n];
                for (int a = 0; a < n; a++) {
                    x[a] = random.nextGaussian();
                }
                for (int a = 0; a < n; a++) {
                    for (int b = 0; b < n; b++) {
                        thin[a * n + b] += x[a] * x[b];
                    }
                }
            }
            assertThrows(IllegalStateException.class, () -> ScopeFactors.choleskyLower(nd, thin, n));
            double[] ridged = ScopeFactors.whitening(nd, thin, n, lambda, "rank 3");
            assertTrue(Arrays.stream(ridged).allMatch(Double::isFinite));
            // nothing makes an indefinite or broken C0 definite: clear errors
            double[] indefinite = {1, 0, 0, 0, 0, 1, 0, 0, 0, 0, 1, 0, 0, 0, 0, -2};
            IllegalStateException e = assertThrows(IllegalStateException.class,
                    () -> ScopeFactors.whitening(nd, indefinite, 4, 1, "layer 7"));
            assertTrue(e.getMessage().startsWith("layer 7: lambda_s C0 is not positive definite even with"), e.getMessage());
            double[] nan = {1, 0, 0, Double.NaN};
            assertTrue(assertThrows(IllegalStateException.class, () -> ScopeFactors.whitening(nd, nan, 2, 1, "layer 2"))
                    .getMessage().contains("not finite"));
        }
    }
}
