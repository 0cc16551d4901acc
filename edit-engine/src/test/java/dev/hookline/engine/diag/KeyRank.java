/*
 * Diagnostic (not a test): how many independent directions N edit keys occupy. The keys are the
 * editors' own (the prompt's last token at the editing layer, averaged over the context variants),
 * whitened by the corpus covariance C0 (plus eps times its mean eigenvalue), G = K^T C0^-1 K.
 * Prints the participation ratio (tr G)^2 / tr(G^2), and per key the share of its whitened energy
 * that lies in the span of the other N-1 keys, 1 - 1 / (G_ii (G^-1)_ii) with G regularised by
 * eps tr(G)/N: near 1 means the key is (almost) a combination of the others, so no linear update
 * can give it its own target and no span test can tell it apart.
 * Run: java -cp <test classpath> dev.hookline.engine.diag.KeyRank MODEL DATA N BATCH LAMBDA LAYER [CHECKPOINTS]
 * (BATCH and LAMBDA unused).
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import java.util.Arrays;
import java.util.Locale;

public final class KeyRank {

    private KeyRank() {}

    public static void main(String[] args) throws Exception {
        try (DiagRun run = DiagRun.open(args, 1000)) {
            int[] checkpoints = args.length > 6 ? Arrays.stream(args[6].split(",")).mapToInt(Integer::parseInt).toArray()
                    : new int[] {run.n};
            int ff = run.lm.model().config().mlpSize();
            int d = run.lm.model().config().hiddenSize();
            double[] keys = SubjectScope.editKeys(run.lm, run.layer, run.requests, ff, true);
            double[] c0 = run.stats.c0(run.layer);
            double meanEig = 0;
            for (int i = 0; i < ff; i++) {
                meanEig += c0[i * ff + i] / ff;
            }
            try (NDManager work = run.lm.model().manager().newSubManager()) {
                NDArray c = work.create(c0, new Shape(ff, ff))
                        .add(work.eye(ff, ff, 0, ai.djl.ndarray.types.DataType.FLOAT64).mul(1e-6 * meanEig));
                NDArray cInv = c.inverse();
                for (int n : checkpoints) {
                    NDArray k = work.create(Arrays.copyOf(keys, n * ff), new Shape(n, ff)); // (n, ff)
                    NDArray g = k.matMul(cInv).matMul(k.transpose()); // (n, n)
                    double[] gd = g.toDoubleArray();
                    double tr = 0;
                    double fro = 0;
                    for (int i = 0; i < n; i++) {
                        tr += gd[i * n + i];
                    }
                    for (double x : gd) {
                        fro += x * x;
                    }
                    NDArray gReg = g.add(work.eye(n, n, 0, ai.djl.ndarray.types.DataType.FLOAT64).mul(1e-3 * tr / n));
                    double[] inv = gReg.inverse().toDoubleArray();
                    double[] gr = gReg.toDoubleArray();
                    double[] share = new double[n];
                    for (int i = 0; i < n; i++) {
                        share[i] = 1 - 1 / (gr[i * n + i] * inv[i * n + i]);
                    }
                    Arrays.sort(share);
                    System.out.printf(Locale.ROOT,
                            "layer %d d %d d_ff %d n %d: participation ratio %.1f; share in span of the others q10 %.3f q50 %.3f q90 %.3f%n",
                            run.layer, d, ff, n, tr * tr / fro, share[(int) (0.1 * (n - 1))], share[(n - 1) / 2],
                            share[(int) (0.9 * (n - 1))]);
                }
            }
        }
    }
}
