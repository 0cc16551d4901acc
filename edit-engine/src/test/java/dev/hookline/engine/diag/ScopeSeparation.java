/*
 * Diagnostic (not a test): how well candidate scope scores separate in-scope prompts (the edit
 * prompt and its paraphrases) from out-of-scope ones (neighbourhood and attribute prompts of other
 * subjects) after N consecutive CoachHooK edits at one layer. Prints quantiles and the AUC per score.
 * Run: java -cp <test classpath> dev.hookline.engine.diag.ScopeSeparation MODEL_DIR DATA N BATCH LAMBDA LAYER
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.types.DataType;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.hook.SequenceZScore;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.world.RelationCatalogue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

public final class ScopeSeparation {

    private ScopeSeparation() {}

    public static void main(String[] args) throws Exception {
        try (DiagRun run = DiagRun.open(args, 1000)) {
            CoachHookParams params = new CoachHookParams(new int[] {run.layer}, run.lambda, 2.2, "sequence",
                    ValueStepParams.tuned());
            try (ClosedFormEditor editor = ClosedFormEditor.coachHook(run.lm.model(), run.lm.tokenizer(), run.stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES)) {
                for (int i = 0; i < run.n; i += run.batch) {
                    editor.apply(run.requests.subList(i, Math.min(run.n, i + run.batch)));
                }
                int ff = run.lm.model().config().mlpSize();
                int d = run.lm.model().config().hiddenSize();
                double[] a = run.stats.c0(run.layer).clone();
                for (int i = 0; i < a.length; i++) {
                    a[i] *= run.lambda;
                }
                double[] aInv = invert(a, ff);
                double[] cInv = invert(editor.cAccu(run.layer), ff);
                float[] delta = editor.delta(run.layer);
                List<String> in = new ArrayList<>();
                List<String> para = new ArrayList<>();
                List<String> out = new ArrayList<>();
                for (EditRequest r : run.requests) {
                    in.add(r.filledPrompt());
                    para.addAll(r.paraphrasePrompts().subList(0, Math.min(5, r.paraphrasePrompts().size())));
                    out.addAll(r.neighborhoodPrompts().subList(0, Math.min(5, r.neighborhoodPrompts().size())));
                    out.addAll(r.localityPrompts().subList(0, Math.min(5, r.localityPrompts().size())));
                }
                double[][] sIn = scores(run.lm, run.layer, in, delta, aInv, cInv, ff, d);
                double[][] sPara = scores(run.lm, run.layer, para, delta, aInv, cInv, ff, d);
                double[][] sOut = scores(run.lm, run.layer, out, delta, aInv, cInv, ff, d);
                String[] names = {"m (last)", "seq z (last)", "rho (whitened share in edit span)", "w2 = k'(lC0)^-1 k",
                    "m / sqrt(w2)"};
                System.out.printf(Locale.ROOT, "%d edits, batch %d, lambda %.0f, layer %d, d_ff %d; prompts: %d edit, %d paraphrase, %d out-of-scope; alpha %s%n",
                        run.n, run.batch, run.lambda, run.layer, ff, in.size(), para.size(), out.size(), editor.alphas());
                for (int s = 0; s < names.length; s++) {
                    System.out.printf(Locale.ROOT, "%-36s edit %s | para %s | out %s | AUC edit/out %.3f para/out %.3f%n",
                            names[s], q(sIn[s]), q(sPara[s]), q(sOut[s]), auc(sIn[s], sOut[s]), auc(sPara[s], sOut[s]));
                }
            }
        }
    }

    /** Scores per prompt at its last position: {m, seqZ, rho, w2, m/sqrt(w2)}. */
    private static double[][] scores(LanguageModel lm, int layer, List<String> prompts, float[] delta, double[] aInv,
            double[] cInv, int ff, int d) {
        double[][] out = new double[5][prompts.size()];
        DiagRun.keyChunks(lm, layer, prompts, (start, tb, keys) -> { // keys (B, T, d_ff)
            double[] all = keys.toType(DataType.FLOAT64, false).toDoubleArray();
            int t = (int) keys.getShape().get(1);
            for (int b = 0; b < tb.size(); b++) {
                int len = tb.length(b);
                double[] m = new double[len];
                double[] last = null;
                for (int p = 0; p < len; p++) {
                    double[] k = Arrays.copyOfRange(all, (b * t + p) * ff, (b * t + p + 1) * ff);
                    double ss = 0;
                    for (int j = 0; j < d; j++) {
                        double v = 0;
                        for (int i = 0; i < ff; i++) {
                            v += k[i] * delta[i * d + j];
                        }
                        ss += v * v;
                    }
                    m[p] = Math.sqrt(ss);
                    last = k;
                }
                double[] z = SequenceZScore.INSTANCE.scores(m);
                double w2 = quad(aInv, last, ff);
                double c = quad(cInv, last, ff);
                int idx = start + b;
                out[0][idx] = m[len - 1];
                out[1][idx] = z[len - 1];
                out[2][idx] = (w2 - c) / w2;
                out[3][idx] = w2;
                out[4][idx] = m[len - 1] / Math.sqrt(w2);
            }
        });
        return out;
    }

    private static double quad(double[] mat, double[] k, int n) {
        double s = 0;
        for (int i = 0; i < n; i++) {
            double row = 0;
            for (int j = 0; j < n; j++) {
                row += mat[i * n + j] * k[j];
            }
            s += k[i] * row;
        }
        return s;
    }

    /** Gauss-Jordan inverse with partial pivoting, float64. */
    static double[] invert(double[] src, int n) {
        double[] a = src.clone();
        double[] inv = new double[n * n];
        for (int i = 0; i < n; i++) {
            inv[i * n + i] = 1;
        }
        for (int col = 0; col < n; col++) {
            int piv = col;
            for (int r = col + 1; r < n; r++) {
                if (Math.abs(a[r * n + col]) > Math.abs(a[piv * n + col])) {
                    piv = r;
                }
            }
            if (piv != col) {
                swap(a, piv, col, n);
                swap(inv, piv, col, n);
            }
            double p = a[col * n + col];
            for (int j = 0; j < n; j++) {
                a[col * n + j] /= p;
                inv[col * n + j] /= p;
            }
            for (int r = 0; r < n; r++) {
                if (r != col) {
                    double f = a[r * n + col];
                    if (f != 0) {
                        for (int j = 0; j < n; j++) {
                            a[r * n + j] -= f * a[col * n + j];
                            inv[r * n + j] -= f * inv[col * n + j];
                        }
                    }
                }
            }
        }
        return inv;
    }

    private static void swap(double[] a, int r1, int r2, int n) {
        for (int j = 0; j < n; j++) {
            double t = a[r1 * n + j];
            a[r1 * n + j] = a[r2 * n + j];
            a[r2 * n + j] = t;
        }
    }

    private static String q(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "q10 %.3g q50 %.3g q90 %.3g", s[(int) (0.1 * (s.length - 1))],
                s[(s.length - 1) / 2], s[(int) (0.9 * (s.length - 1))]);
    }

    /** P(pos > neg) + 0.5 P(equal), by a merge over sorted values. */
    static double auc(double[] pos, double[] neg) {
        double[] n = neg.clone();
        Arrays.sort(n);
        double sum = 0;
        for (double p : pos) {
            int lo = lower(n, p);
            int hi = upper(n, p);
            sum += lo + 0.5 * (hi - lo);
        }
        return sum / ((double) pos.length * n.length);
    }

    private static int lower(double[] a, double x) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] < x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    private static int upper(double[] a, double x) {
        int lo = 0;
        int hi = a.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (a[mid] <= x) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
