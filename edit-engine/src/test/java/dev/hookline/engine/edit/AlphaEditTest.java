/*
 * AlphaEdit's null-space projector and update against independent computations: an
 * eigen-decomposition (Apache Commons Math) for P, and an LU solve of the paper's system for A;
 * P is symmetric and idempotent, P K0 ~ 0 for the preserved keys, and the update leaves the
 * outputs on preserved keys unchanged. One consecutive alphaedit run on the untrained fixture model
 * makes the edited prompts' targets more likely.
 */
package dev.hookline.engine.edit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import org.apache.commons.math3.linear.Array2DRowRealMatrix;
import org.apache.commons.math3.linear.EigenDecomposition;
import org.apache.commons.math3.linear.LUDecomposition;
import org.apache.commons.math3.linear.QRDecomposition;
import org.apache.commons.math3.linear.RealMatrix;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlphaEditTest {
    /** (n, n) row-major as a Commons Math matrix. */
    private static RealMatrix matrix(double[] v, int rows, int cols) {
        double[][] m = new double[rows][cols];
        for (int i = 0; i < rows; i++) {
            System.arraycopy(v, i * cols, m[i], 0, cols);
        }
        return new Array2DRowRealMatrix(m, false);
    }

    /** The reference projector: sum of v v^T over eigenvectors with eigenvalue below tau. */
    private static RealMatrix referenceProjector(RealMatrix c, double tau) {
        EigenDecomposition eig = new EigenDecomposition(c);
        int n = c.getRowDimension();
        RealMatrix p = new Array2DRowRealMatrix(n, n);
        double[] values = eig.getRealEigenvalues();
        for (int i = 0; i < n; i++) {
            if (values[i] < tau) {
                var v = eig.getEigenvector(i);
                p = p.add(v.outerProduct(v));
            }
        }
        return p;
    }

    private static double maxAbs(RealMatrix m) {
        double out = 0;
        for (double[] row : m.getData()) {
            for (double x : row) {
                out = Math.max(out, Math.abs(x));
            }
        }
        return out;
    }

    @Test
    void projectorOfALowRankCovarianceAnnihilatesThePreservedKeys() {
        int n = 24;
        int rank = 10;
        int samples = 300;
        Random random = new Random(11);
        double[] basis = new double[n * rank];
        for (int i = 0; i < basis.length; i++) {
            basis[i] = random.nextGaussian();
        }
        double[] k0 = new double[n * samples]; // (n, S): preserved keys in a rank-10 subspace
        RealMatrix b = matrix(basis, n, rank);
        double[] mix = new double[rank * samples];
        for (int i = 0; i < mix.length; i++) {
            mix[i] = random.nextGaussian();
        }
        RealMatrix keys = b.multiply(matrix(mix, rank, samples));
        for (int i = 0; i < n; i++) {
            System.arraycopy(keys.getRow(i), 0, k0, i * samples, samples);
        }
        RealMatrix c0 = keys.multiply(keys.transpose()).scalarMultiply(1.0 / samples);
        double tau = 1e-6 * maxAbs(c0);
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray c = m.create(flat(c0), new Shape(n, n));
            NDArray p = NullSpace.projector(c, tau);
            RealMatrix pm = matrix(p.toDoubleArray(), n, n);
            assertEquals(n - rank, NullSpace.rank(p), "null space of a rank-10 covariance in 24 dimensions");
            assertTrue(maxAbs(pm.subtract(pm.transpose())) < 1e-12, "P symmetric");
            assertTrue(maxAbs(pm.multiply(pm).subtract(pm)) < 1e-9, "P idempotent: " + maxAbs(pm.multiply(pm).subtract(pm)));
            double rel = pm.multiply(keys).getFrobeniusNorm() / keys.getFrobeniusNorm();
            assertTrue(rel < 1e-8, "P K0 ~ 0 for the preserved keys: " + rel);
            assertTrue(maxAbs(pm.subtract(referenceProjector(c0, tau))) < 1e-8, "P equals the eigen-decomposition's");
        }
    }

    @Test
    void projectorOfAFullRankCovarianceKeepsTheEigenvectorsBelowTheThreshold() {
        int n = 40;
        Random random = new Random(5);
        double[] x = new double[n * 200];
        for (int i = 0; i < x.length; i++) {
            x[i] = random.nextGaussian() * (1 + (i / 200) % 7); // features of unequal scale
        }
        RealMatrix keys = matrix(x, n, 200);
        RealMatrix c0 = keys.multiply(keys.transpose()).scalarMultiply(1.0 / 200);
        double[] values = new EigenDecomposition(c0).getRealEigenvalues().clone();
        Arrays.sort(values);
        double tau = (values[14] + values[15]) / 2; // 15 eigenvalues below
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray p = NullSpace.projector(m.create(flat(c0), new Shape(n, n)), tau);
            RealMatrix pm = matrix(p.toDoubleArray(), n, n);
            assertEquals(15, NullSpace.rank(p));
            assertTrue(maxAbs(pm.subtract(referenceProjector(c0, tau))) < 1e-8,
                    "P equals the eigen-decomposition's: " + maxAbs(pm.subtract(referenceProjector(c0, tau))));
            assertTrue(maxAbs(pm.multiply(pm).subtract(pm)) < 1e-9, "P idempotent");
        }
    }

    /**
     * A d_ff 1024 covariance whose eigenvalues span 1e-4..1e4 (the spread of a trained model's C0):
     * the Newton iteration's relative change settles at its rounding floor (about 1.3e-14, above the
     * 1e-14 tolerance; seen at d_ff 4096 as 2.0e-14), so it must stop there instead of repeating
     * steps until MAX_STEPS. P is checked against the projector built from the known eigenvectors.
     */
    @Test
    void projectorStopsAtTheRoundingFloorOfAWideSpectrum() {
        int n = 1024;
        Random random = new Random(3);
        double[] g = new double[n * n];
        for (int i = 0; i < g.length; i++) {
            g[i] = random.nextGaussian();
        }
        double[] q = flat(new QRDecomposition(matrix(g, n, n)).getQ()); // (n, n) orthogonal
        double[] w = new double[n];
        int below = 0;
        for (int i = 0; i < n; i++) {
            w[i] = Math.pow(10, -4 + 8 * random.nextDouble());
            below += w[i] < 1 ? 1 : 0;
        }
        try (NDManager m = NDManager.newBaseManager()) {
            NDArray qa = m.create(q, new Shape(n, n));
            NDArray c = qa.mul(m.create(w, new Shape(1, n))).matMul(qa.transpose()); // Q diag(w) Q^T
            c = c.add(c.transpose()).div(2);
            double[] mask = new double[n];
            for (int i = 0; i < n; i++) {
                mask[i] = w[i] < 1 ? 1 : 0;
            }
            NDArray reference = qa.mul(m.create(mask, new Shape(1, n))).matMul(qa.transpose());
            NullSpace.Result result = NullSpace.iterate(c, 1.0);
            assertEquals(below, NullSpace.rank(result.projector()));
            double err = result.projector().sub(reference).abs().max().getDouble();
            assertTrue(err < 1e-8, "P equals the projector onto the eigenvectors below 1: " + err);
            assertTrue(result.steps() < 40, "stops at the rounding floor, not after " + NullSpace.MAX_STEPS
                    + " steps: " + result.steps());
        }
    }

    @Test
    void updateSolvesThePapersSystemAndSparesPreservedKeys(@TempDir Path tmp) throws Exception {
        int[] layers = {1};
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer();
                NDManager m = NDManager.newBaseManager()) {
            int ff = base.config().mlpSize();
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, layers,
                    tmp.resolve("stats"));
            RealMatrix c0 = matrix(stats.c0(1), ff, ff);
            double tau = halfPreserved(c0); // half of the key space preserved
            AlphaEditParams params = new AlphaEditParams(layers, tau, 3, CoachHookMechanicsTest.FAST);
            AlphaEditUpdate rule = new AlphaEditUpdate(params);
            rule.start(m, stats, layers, ff);
            assertEquals(ff / 2, rule.nullity(1));
            RealMatrix p = matrix(rule.projector(1), ff, ff);
            assertTrue(maxAbs(p.subtract(referenceProjector(c0, tau))) < 1e-7, "P from the eigen-decomposition");
            Random random = new Random(2);
            RealMatrix earlier = new Array2DRowRealMatrix(ff, ff);
            for (int round = 0; round < 3; round++) {
                double[] k = positiveKeys(random, ff, 4); // (d_ff, u = 4)
                NDArray keys = m.create(k, new Shape(ff, 4));
                double[] a = rule.solve(1, keys).toDoubleArray();
                List<Runnable> updates = new java.util.ArrayList<>();
                rule.addKeys(m, 1, keys, updates);
                updates.forEach(Runnable::run);
                // Independent: A = (P (K K^T + K_p K_p^T) + L2 I)^-1 P K by LU.
                RealMatrix km = matrix(k, ff, 4);
                RealMatrix lhs = p.multiply(km.multiply(km.transpose()).add(earlier))
                        .add(identity(ff).scalarMultiply(3));
                RealMatrix expected = new LUDecomposition(lhs).getSolver().solve(p.multiply(km));
                RealMatrix got = matrix(a, ff, 4);
                double err = got.subtract(expected).getFrobeniusNorm() / expected.getFrobeniusNorm();
                assertTrue(err < 1e-8, "round " + round + ": A against the LU solve: " + err);
                // A lies in P's range, so preserved directions (C0's kept eigenvectors) see no change.
                RealMatrix kept = identity(ff).subtract(p);
                double leak = kept.multiply(got).getFrobeniusNorm() / got.getFrobeniusNorm();
                assertTrue(leak < 1e-8, "round " + round + ": (I - P) A ~ 0: " + leak);
                earlier = earlier.add(km.multiply(km.transpose()));
                assertTrue(maxAbs(matrix(rule.covariance(1), ff, ff).subtract(earlier)) < 1e-9,
                        "K_p K_p^T accumulates every batch's keys");
            }
        }
    }

    @Test
    void theHookedFormsWoodburySolveEqualsThePapersLuSolveAndRestores(@TempDir Path tmp) throws Exception {
        int[] layers = {1};
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer();
                NDManager m = NDManager.newBaseManager()) {
            int ff = base.config().mlpSize();
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, layers,
                    tmp.resolve("stats"));
            double tau = halfPreserved(matrix(stats.c0(1), ff, ff));
            AlphaEditParams params = new AlphaEditParams(layers, tau, 0.5, CoachHookMechanicsTest.FAST);
            AlphaEditUpdate lu = new AlphaEditUpdate(params);
            AlphaEditUpdate hooked = new AlphaEditUpdate(params, true);
            assertTrue(hooked.hooked() && !lu.hooked());
            lu.start(m, stats, layers, ff);
            hooked.start(m, stats, layers, ff);
            Random random = new Random(7);
            double[] saved = null;
            for (int round = 0; round < 5; round++) {
                double[] k = positiveKeys(random, ff, 6); // (d_ff, u = 6)
                NDArray keys = m.create(k, new Shape(ff, 6));
                RealMatrix expected = matrix(lu.solve(1, keys).toDoubleArray(), ff, 6);
                RealMatrix got = matrix(hooked.solve(1, keys).toDoubleArray(), ff, 6);
                double err = got.subtract(expected).getFrobeniusNorm() / expected.getFrobeniusNorm();
                assertTrue(err < 1e-8, "round " + round + ": Woodbury A against the LU solve: " + err);
                if (round == 3) {
                    // A fresh hooked rule continued from K_p K_p^T (as from a bundle) solves the same.
                    AlphaEditUpdate restored = new AlphaEditUpdate(params, true);
                    restored.start(m, stats, layers, ff);
                    restored.restore(1, saved, x -> { });
                    double e = matrix(restored.solve(1, keys).toDoubleArray(), ff, 6).subtract(expected).getFrobeniusNorm()
                            / expected.getFrobeniusNorm();
                    assertTrue(e < 1e-8, "restored from K_p K_p^T: " + e);
                }
                for (AlphaEditUpdate rule : List.of(lu, hooked)) {
                    List<Runnable> updates = new java.util.ArrayList<>();
                    rule.addKeys(m, 1, keys, updates);
                    updates.forEach(Runnable::run);
                }
                saved = hooked.covariance(1);
            }
            assertTrue(maxAbs(matrix(hooked.covariance(1), ff, ff).subtract(matrix(lu.covariance(1), ff, ff))) < 1e-9,
                    "both keep the same K_p K_p^T");
            assertEquals(3 * (long) ff * ff * 8, hooked.editingBytesPerLayer(ff), "P, K_p K_p^T and S^-1");
        }
    }

    @Test
    void consecutiveAlphaEditMakesEditedTargetsMoreLikely(@TempDir Path tmp) throws Exception {
        int[] layers = {0, 1}; // the fast value step edits at the subject: a later block must carry it
        List<EditRequest> requests = EditFixtures.requests().subList(0, 8);
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, layers,
                    tmp.resolve("stats"));
            double[] before = TargetProbe.logProbabilities(base, tok, requests);
            AlphaEditParams params = new AlphaEditParams(layers, 1e6, 1, CoachHookMechanicsTest.FAST); // P = I
            try (ClosedFormEditor editor = ClosedFormEditor.alphaEdit(base, tok, stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES)) {
                editor.apply(requests.subList(0, 4));
                editor.apply(requests.subList(4, 8));
                assertEquals("alphaedit", editor.method());
                assertEquals(8, editor.editCount());
                assertTrue(editor.alphas().isEmpty(), "no hooks");
                double[] after = TargetProbe.logProbabilities(editor.model(), tok, requests);
                double gain = 0;
                for (int i = 0; i < requests.size(); i++) {
                    gain += (after[i] - before[i]) / requests.size();
                }
                assertTrue(gain > 0.5, "mean log P(target) rises by more than 0.5 nats: " + gain);
            }
        }
    }

    /** A threshold between the two middle eigenvalues of {@code c0}: half of the key space preserved. */
    /** Keys with positive entries (as GELU keys mostly are), (d_ff, u) row-major. */
    private static double[] positiveKeys(Random random, int ff, int u) {
        double[] k = new double[ff * u];
        for (int i = 0; i < k.length; i++) {
            k[i] = Math.abs(random.nextGaussian());
        }
        return k;
    }

    private static double halfPreserved(RealMatrix c0) {
        double[] values = new EigenDecomposition(c0).getRealEigenvalues().clone();
        Arrays.sort(values);
        int n = values.length;
        return (values[n / 2 - 1] + values[n / 2]) / 2;
    }

    private static RealMatrix identity(int n) {
        RealMatrix i = new Array2DRowRealMatrix(n, n);
        for (int j = 0; j < n; j++) {
            i.setEntry(j, j, 1);
        }
        return i;
    }

    private static double[] flat(RealMatrix m) {
        int r = m.getRowDimension();
        int c = m.getColumnDimension();
        double[] out = new double[r * c];
        for (int i = 0; i < r; i++) {
            System.arraycopy(m.getRow(i), 0, out, i * c, c);
        }
        return out;
    }
}
