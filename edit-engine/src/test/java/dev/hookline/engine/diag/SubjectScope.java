/*
 * Diagnostic (not a test): would a scope decided on the *subject* separate in-scope from
 * out-of-scope prompts where the last-token scopes could not? Keys are read at an early layer at
 * the edited subject's last token (averaged over the context variants), the span share rho of
 * SpanScope is computed at every position of a prompt against those keys, and the prompt's score
 * is its maximum over positions (the subject's position is not known at serving time). No edit is
 * applied: keys at a layer below the editing layer do not change when the editing layer does.
 * Run: java -cp <test classpath> dev.hookline.engine.diag.SubjectScope MODEL DATA N BATCH LAMBDA LAYER CHECKPOINTS LAMBDAS [SAMPLE]
 * (BATCH and LAMBDA unused; CHECKPOINTS e.g. 250,500,1000; LAMBDAS the scope's lambdas, e.g. 15,150,1500).
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.EditPrompts;
import dev.hookline.engine.hook.SpanScope;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.world.RelationCatalogue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

public final class SubjectScope {

    private SubjectScope() {}

    public static void main(String[] args) throws Exception {
        try (DiagRun run = DiagRun.open(args, 1000)) {
            int[] checkpoints = Arrays.stream(args[6].split(",")).mapToInt(Integer::parseInt).toArray();
            double[] lambdas = Arrays.stream(args[7].split(",")).mapToDouble(Double::parseDouble).toArray();
            int sample = DiagRun.intArg(args, 8, 2);
            double[] shrinks = args.length > 9 ? Arrays.stream(args[9].split(",")).mapToDouble(Double::parseDouble).toArray()
                    : new double[] {0};
            int ff = run.lm.model().config().mlpSize();
            double[] keys = editKeys(run.lm, run.layer, run.requests, ff, false); // (N, ff)
            NDManager m = run.lm.model().manager();
            for (int n : checkpoints) {
                List<String> in = new ArrayList<>();
                List<String> para = new ArrayList<>();
                List<String> out = new ArrayList<>();
                for (EditRequest r : run.requests.subList(0, n)) {
                    in.add(r.filledPrompt());
                    para.addAll(r.paraphrasePrompts().subList(0, Math.min(sample, r.paraphrasePrompts().size())));
                    out.addAll(r.neighborhoodPrompts().subList(0, Math.min(sample, r.neighborhoodPrompts().size())));
                    out.addAll(r.localityPrompts().subList(0, Math.min(sample, r.localityPrompts().size())));
                }
                for (double shrink : shrinks) {
                for (double lambda : lambdas) {
                    try (NDManager work = m.newSubManager()) {
                        NDArray raw = work.create(run.stats.c0(run.layer), new Shape(ff, ff));
                        double[] c0Raw = run.stats.c0(run.layer);
                        double meanEig = 0;
                        for (int i = 0; i < ff; i++) {
                            meanEig += c0Raw[i * ff + i] / ff;
                        }
                        NDArray c0 = raw.mul(1 - shrink).add(work.eye(ff, ff, 0, DataType.FLOAT64).mul(shrink * meanEig))
                                .mul(lambda);
                        NDArray k = work.create(Arrays.copyOf(keys, n * ff), new Shape(n, ff));
                        NDArray p0 = c0.inverse();
                        NDArray pn = c0.add(k.transpose().matMul(k)).inverse();
                        SpanScope scope = new SpanScope(p0, pn);
                        double[] sIn = maxScores(run.lm, run.layer, in, scope);
                        double[] sPara = maxScores(run.lm, run.layer, para, scope);
                        double[] sOut = maxScores(run.lm, run.layer, out, scope);
                        System.out.printf(Locale.ROOT,
                                "n %d shrink %.2f lambda %.4g layer %d d_ff %d | edit %s | para %s | out %s | AUC edit/out %.3f para/out %.3f%n",
                                n, shrink, lambda, run.layer, ff, q(sIn), q(sPara), q(sOut), ScopeSeparation.auc(sIn, sOut), ScopeSeparation.auc(sPara, sOut));
                        StringBuilder fire = new StringBuilder("   fired edit/para/out at");
                        for (double t : new double[] {0.3, 0.5, 0.6, 0.7, 0.8, 0.9, 0.95}) {
                            fire.append(String.format(Locale.ROOT, "  %.2f: %.3f/%.3f/%.3f", t, frac(sIn, t), frac(sPara, t),
                                    frac(sOut, t)));
                        }
                        System.out.println(fire);
                    }
                }
                }
            }
        }
    }

    /**
     * Key at the subject's last token (or with {@code lastToken} the prompt's last token, where the
     * editors read it), averaged over the context variants, one row per request.
     */
    static double[] editKeys(LanguageModel lm, int layer, List<EditRequest> requests, int ff, boolean lastToken) {
        double[] out = new double[requests.size() * ff];
        for (int r = 0; r < requests.size(); r++) {
            EditPrompts p = EditPrompts.of(requests.get(r), lm.tokenizer(), RelationCatalogue.CONTEXT_PREFIXES, lastToken);
            TokenBatch tb = TokenBatch.of(p.variants(), lm.model().config().eosTokenId());
            try (NDManager scope = lm.model().manager().newSubManager()) {
                NDArray keys = lm.model().forward(scope, tb, ForwardOptions.builder().captureKeys(layer)
                        .computeLogits(false).build()).keys(layer); // (V, T, ff)
                double[] all = keys.toType(DataType.FLOAT64, false).toDoubleArray();
                int t = (int) keys.getShape().get(1);
                int v = p.variants().size();
                for (int i = 0; i < v; i++) {
                    int base = (i * t + p.subjectLast()[i]) * ff;
                    for (int j = 0; j < ff; j++) {
                        out[r * ff + j] += all[base + j] / v;
                    }
                }
            }
        }
        return out;
    }

    /** Per prompt, the largest rho over its real positions. */
    static double[] maxScores(LanguageModel lm, int layer, List<String> prompts, SpanScope scope) {
        double[] out = new double[prompts.size()];
        DiagRun.keyChunks(lm, layer, prompts, (start, tb, keys) -> {
            double[] rho = scope.keyScores(keys);
            int t = (int) keys.getShape().get(1);
            for (int b = 0; b < tb.size(); b++) {
                double best = Double.NEGATIVE_INFINITY;
                for (int p = 0; p < tb.length(b); p++) {
                    double s = rho[b * t + p];
                    if (!Double.isNaN(s)) {
                        best = Math.max(best, s);
                    }
                }
                out[start + b] = best;
            }
        });
        return out;
    }

    private static double frac(double[] v, double t) {
        int c = 0;
        for (double x : v) {
            if (x >= t) {
                c++;
            }
        }
        return (double) c / v.length;
    }

    private static String q(double[] v) {
        double[] s = v.clone();
        Arrays.sort(s);
        return String.format(Locale.ROOT, "q10 %.3f q50 %.3f q90 %.3f", s[(int) (0.1 * (s.length - 1))],
                s[(s.length - 1) / 2], s[(int) (0.9 * (s.length - 1))]);
    }
}
