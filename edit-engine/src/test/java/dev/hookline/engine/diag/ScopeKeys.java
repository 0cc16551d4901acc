/*
 * Diagnostic (not a test): which keys should span the span scope's subspace? The update uses each
 * edit's key averaged over its context-prefixed variants; the scope can be built from other keys
 * of the same edits without changing W_h. One consecutive coachhook-span run (scope lambda apart),
 * then the scope is rebuilt from: "mean" (the update's keys, what the editor holds), "plain" (the
 * unprefixed prompt's key), "mean+plain", "variants" (the average outer product over the plain
 * prompt and its context-prefixed variants), and evaluated at each threshold on a sample.
 * Run: java -cp <test classpath> dev.hookline.engine.diag.ScopeKeys MODEL DATA N BATCH LAMBDA LAYER
 *          SCOPE_LAMBDA EDIT_ALPHA EVAL_ALPHAS(comma) EVAL_SAMPLE [KINDS(comma)]
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.EditPrompts;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.eval.EditEvaluator;
import dev.hookline.engine.eval.EditScores;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.SpanScope;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.world.RelationCatalogue;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

public final class ScopeKeys {

    private ScopeKeys() {}

    public static void main(String[] args) throws Exception {
        double scopeLambda = Double.parseDouble(args[6]);
        double editAlpha = Double.parseDouble(args[7]);
        double[] evalAlphas = Arrays.stream(args[8].split(",")).mapToDouble(Double::parseDouble).toArray();
        int evalSample = Integer.parseInt(args[9]);
        List<String> kinds = args.length > 10 ? List.of(args[10].split(",")) : List.of("mean", "plain", "mean+plain", "variants");
        try (DiagRun run = DiagRun.open(args, 1000)) {
            List<EditRequest> sample = run.sample(evalSample);
            EditEvaluator evaluator = new EditEvaluator(run.lm.model(), run.lm.tokenizer(), run.requests,
                    EditEvaluator.Params.defaults());
            ValueStepParams vs = ValueStepParams.tuned();
            CoachHookParams params = new CoachHookParams(new int[] {run.layer}, run.lambda, editAlpha, "span", vs)
                    .withScopeLambda(scopeLambda);
            int ff = run.lm.model().config().mlpSize();
            int d = run.lm.model().config().hiddenSize();
            long start = System.nanoTime();
            try (ClosedFormEditor editor = ClosedFormEditor.span(run.lm.model(), run.lm.tokenizer(), run.stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", false)) {
                for (int b = 0; b < run.n; b += run.batch) {
                    editor.apply(run.requests.subList(b, Math.min(run.n, b + run.batch)));
                }
                System.out.printf(Locale.ROOT, "edited n=%d b=%d lambda=%.0f scopeLambda=%.0f layer=%d in %.0f s%n",
                        run.n, run.batch, run.lambda, scopeLambda, run.layer, (System.nanoTime() - start) / 1e9);
                // Outer-product sums (d_ff, d_ff) of the edits' keys at the edit token of every variant.
                double[] mean = new double[ff * ff];
                double[] plain = new double[ff * ff];
                double[] variants = new double[ff * ff];
                int v = vs.contextVariants() + 1;
                try (NDManager work = NDManager.newBaseManager(run.lm.model().device())) {
                    for (int from = 0; from < run.n; from += 16) {
                        List<EditPrompts> ps = new ArrayList<>();
                        List<int[]> rows = new ArrayList<>();
                        for (EditRequest r : run.requests.subList(from, Math.min(run.n, from + 16))) {
                            EditPrompts p = EditPrompts.of(r, run.lm.tokenizer(), RelationCatalogue.CONTEXT_PREFIXES.subList(0,
                                    vs.contextVariants()), vs.editToken().equals("last"));
                            ps.add(p);
                            rows.addAll(p.variants().subList(0, v));
                        }
                        try (NDManager chunk = work.newSubManager()) {
                            NDArray keys = run.lm.model().forward(chunk, TokenBatch.of(rows, run.lm.model().config().eosTokenId()),
                                    ForwardOptions.builder().captureKeys(run.layer).computeLogits(false).build())
                                    .keys(run.layer).toType(DataType.FLOAT64, false); // (B, T, d_ff)
                            for (int i = 0; i < ps.size(); i++) {
                                double[][] k = new double[v][];
                                double[] km = new double[ff];
                                for (int x = 0; x < v; x++) {
                                    k[x] = keys.get(i * v + x).get(ps.get(i).subjectLast()[x]).toDoubleArray();
                                    for (int a = 0; a < ff; a++) {
                                        km[a] += k[x][a] / v;
                                    }
                                }
                                addOuter(mean, km, 1);
                                addOuter(plain, k[0], 1);
                                for (int x = 0; x < v; x++) {
                                    addOuter(variants, k[x], 1.0 / v);
                                }
                            }
                        }
                    }
                    NDArray c0 = work.create(run.stats.c0(run.layer), new Shape(ff, ff));
                    NDArray held = work.create(editor.cAccu(run.layer), new Shape(ff, ff)).sub(c0.mul(run.lambda));
                    NDArray meanNd = work.create(mean, new Shape(ff, ff));
                    System.out.printf(Locale.ROOT, "check: |sum kmean kmean^T - (C_accu - lambda C0)| / |.| = %.2e%n",
                            held.sub(meanNd).norm().getDouble() / held.norm().getDouble());
                    NDArray delta = work.create(editor.delta(run.layer), new Shape(ff, d)).toType(run.lm.model().dataType(), false);
                    NDArray preserve = c0.mul(scopeLambda);
                    NDArray preserveInv = preserve.inverse();
                    for (String kind : kinds) {
                        NDArray edited = switch (kind) {
                            case "mean" -> meanNd;
                            case "plain" -> work.create(plain, new Shape(ff, ff));
                            case "mean+plain" -> meanNd.add(work.create(plain, new Shape(ff, ff)));
                            case "variants" -> work.create(variants, new Shape(ff, ff));
                            default -> throw new IllegalArgumentException("unknown kind " + kind);
                        };
                        SpanScope scope = new SpanScope(preserveInv, preserve.add(edited).inverse());
                        for (double a : evalAlphas) {
                            long t0 = System.nanoTime();
                            HookLayer hook = new HookLayer(run.layer, delta, a, scope, HookLayer.Mode.VALIDATED, null);
                            EditScores s = evaluator.evaluate(run.lm.model(),
                                    ForwardOptions.builder().hooks(Map.of(run.layer, hook)).build(), sample);
                            System.out.printf(Locale.ROOT,
                                    "%-10s alpha=%.4f -> rel %.3f gen %.3f loc %.3f | eff %.3f para %.3f nbhd %.3f (%d edits, %.0f s)%n",
                                    kind, a, s.reliability(), s.generality(), s.locality(), s.efficacy(), s.paraphrase(),
                                    s.neighborhood(), sample.size(), (System.nanoTime() - t0) / 1e9);
                        }
                    }
                }
            }
        }
    }

    private static void addOuter(double[] m, double[] k, double w) {
        int n = k.length;
        for (int a = 0; a < n; a++) {
            double ka = k[a] * w;
            if (ka == 0) {
                continue;
            }
            int row = a * n;
            for (int b = 0; b < n; b++) {
                m[row + b] += ka * k[b];
            }
        }
    }
}
