/*
 * Diagnostic (not a test): does a statistic of the model's own corpus keys say where a nearest-key scope's threshold
 * belongs? For an edited codebook-nearest bundle: the nearest-edit score of every key of the statistics' corpus
 * sample against the bundle's edited keys (quantiles, and the share at or above each threshold), and the model-level
 * score of each corpus key against its nearest *other* corpus key (no edits needed). If the dev-chosen thresholds of
 * two models sit at the same corpus quantile, a threshold calibrated from that quantile follows the model.
 * With HELD_OUT FROM,TO also the keys at every position of corpus lines FROM..TO-1 (lines the statistics did not
 * read when FROM is past their sample): the sample's own keys are biased low by the whitening fitted to them.
 * Run: java -cp <test classpath> dev.hookline.engine.diag.CorpusCalibration MODEL DATA N BATCH LAMBDA LAYER BUNDLE
 *          SCOPE_LAMBDA THRESHOLDS(comma) STATS_LINES [FROM,TO]
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.hook.ScopeFactors;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;

public final class CorpusCalibration {

    private CorpusCalibration() {}

    public static void main(String[] args) throws Exception {
        try (DiagRun run = DiagRun.open(args, Integer.parseInt(args[9]))) {
            HookBundle bundle = HookBundle.read(Path.of(args[6]), false);
            double scopeLambda = Double.parseDouble(args[7]);
            double[] thresholds = Arrays.stream(args[8].split(",")).mapToDouble(Double::parseDouble).toArray();
            int ff = run.lm.model().config().mlpSize();
            HookBundle.NearestScope n = bundle.nearestScope();
            float[] corpus = run.stats.corpusKeys(run.layer);
            int s = corpus.length / ff;
            try (NDManager m = run.lm.model().manager().newSubManager()) {
                NDArray wt = m.create(n.whiteningT().get(run.layer), new Shape(ff, ff));
                double[] w = ScopeFactors.whitening(m, run.stats.c0(run.layer), ff, scopeLambda, "check");
                NDArray wt2 = m.create(w, new Shape(ff, ff)).transpose().toType(DataType.FLOAT32, false);
                System.out.printf(Locale.ROOT, "whitening of the bundle vs recomputed at lambda_s %g: max |diff| %.3g%n",
                        scopeLambda, wt.sub(wt2).abs().max().getFloat());
                NDArray a = m.create(n.keys().get(run.layer), new Shape(ff, n.keyCount()));
                NDArray q = m.create(corpus, new Shape(s, ff)).matMul(wt); // (S, d_ff)
                NDArray qq = q.mul(q).sum(new int[] {1}, true); // (S, 1)
                double[] edit = q.matMul(a).square().div(qq).max(new int[] {1}).toType(DataType.FLOAT64, false)
                        .toDoubleArray();
                report("corpus keys' nearest-edit score (" + n.keyCount() + " edited keys)", edit, thresholds);
                NDArray z = q.div(qq.add(1).sqrt()); // (S, d_ff) scaled: a_j
                NDArray pair = q.matMul(z.transpose()).square().div(qq); // (S, S)
                pair = pair.sub(m.eye(s).mul(10)); // drop j == i
                double[] self = pair.max(new int[] {1}).toType(DataType.FLOAT64, false).toDoubleArray();
                report("corpus keys' nearest other corpus key", self, thresholds);
                if (args.length > 10) {
                    String[] range = args[10].split(",");
                    java.util.List<String> corpusLines = dev.hookline.engine.bench.EditData.corpus(null, Path.of(args[1]),
                            run.modelDir);
                    java.util.List<String> lines = corpusLines.subList(Integer.parseInt(range[0]), Integer.parseInt(range[1]));
                    java.util.List<Double> held = new java.util.ArrayList<>();
                    NDArray wtHeld = wt;
                    DiagRun.keyChunks(run.lm, run.layer, lines, (start, tokens, keys) -> {
                        NDArray hq = keys.toType(DataType.FLOAT32, false).reshape(-1, ff).matMul(wtHeld); // (B*T, d_ff)
                        NDArray hn = hq.mul(hq).sum(new int[] {1}, true);
                        float[] sc = hq.matMul(a).square().div(hn).max(new int[] {1}).toFloatArray();
                        int t = (int) tokens.length();
                        for (int b = 0; b < tokens.size(); b++) {
                            for (int p = 0; p < tokens.length(b); p++) {
                                held.add((double) sc[b * t + p]);
                            }
                        }
                    });
                    report("held-out lines " + args[10] + ", every position's nearest-edit score",
                            held.stream().mapToDouble(Double::doubleValue).toArray(), thresholds);
                }
            }
        }
    }

    private static void report(String what, double[] v, double[] thresholds) {
        double[] x = v.clone();
        Arrays.sort(x);
        StringBuilder b = new StringBuilder(what + ": n " + x.length);
        for (double p : new double[] {0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 1.0}) {
            b.append(String.format(Locale.ROOT, "  q%s %.4f", p, x[Math.min(x.length - 1, (int) Math.floor(p * x.length))]));
        }
        System.out.println(b);
        StringBuilder c = new StringBuilder("  share >= t:");
        for (double t : thresholds) {
            c.append(String.format(Locale.ROOT, "  %.2f: %.4f", t, Arrays.stream(x).filter(y -> y >= t).count() / (double) x.length));
        }
        System.out.println(c);
    }
}
