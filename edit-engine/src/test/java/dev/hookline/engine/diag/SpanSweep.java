/*
 * Diagnostic (not a test): one consecutive coachhook-span run, then the trade-off of its scope
 * test without editing again. With a fixed threshold the hook weights W_h hardly depend on the
 * threshold (only through which positions of later batches' prompts already swap), so the
 * reliability / locality curve over thresholds, and over the lambda used inside the scope test
 * (decoupled from the update's lambda), can be read off one edited state.
 * Run: java -cp <test classpath> dev.hookline.engine.diag.SpanSweep MODEL DATA N BATCH LAMBDA LAYER
 *          EDIT_ALPHA SCOPE_LAMBDAS(comma) EVAL_ALPHAS(comma) EVAL_SAMPLE [STATS_LINES [VALUE_HOOKS
 *          [EDIT_SCOPE_LAMBDA]]]
 * EDIT_SCOPE_LAMBDA (default: LAMBDA, the coupled scope) is the scope's own lambda while editing.
 * VALUE_HOOKS "temporary" starts each value step from W_h's output; then the edit-time threshold
 * plays no part (the key pass is temporary too and the span threshold is fixed), so the edited
 * state is the one `hookline bench --span-value-hooks temporary` reaches at any threshold.
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.eval.EditEvaluator;
import dev.hookline.engine.eval.EditScores;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.SpanScope;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.world.RelationCatalogue;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Map;

public final class SpanSweep {

    private SpanSweep() {}

    public static void main(String[] args) throws Exception {
        double editAlpha = Double.parseDouble(args[6]);
        double[] scopeLambdas = Arrays.stream(args[7].split(",")).mapToDouble(Double::parseDouble).toArray();
        double[] evalAlphas = Arrays.stream(args[8].split(",")).mapToDouble(Double::parseDouble).toArray();
        int evalSample = Integer.parseInt(args[9]);
        try (DiagRun run = DiagRun.open(args, DiagRun.intArg(args, 10, 1000))) {
            List<EditRequest> sample = run.sample(evalSample);
            EditEvaluator evaluator = new EditEvaluator(run.lm.model(), run.lm.tokenizer(), run.requests,
                    EditEvaluator.Params.defaults());
            CoachHookParams params = new CoachHookParams(new int[] {run.layer}, run.lambda, editAlpha, "span",
                    ValueStepParams.tuned()).withValueHooks(args.length > 11 ? args[11] : CoachHookParams.VALUE_HOOKS_VALIDATED)
                    .withScopeLambda(args.length > 12 ? Double.parseDouble(args[12]) : run.lambda);
            long start = System.nanoTime();
            try (ClosedFormEditor editor = ClosedFormEditor.span(run.lm.model(), run.lm.tokenizer(), run.stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", false)) {
                for (int b = 0; b < run.n; b += run.batch) {
                    editor.apply(run.requests.subList(b, Math.min(run.n, b + run.batch)));
                }
                double editSeconds = (System.nanoTime() - start) / 1e9;
                System.out.printf(Locale.ROOT, "edited n=%d b=%d lambda=%.0f layer=%d alpha=%.3f scopeLambda=%.0f in %.0f s%n",
                        run.n, run.batch, run.lambda, run.layer, editAlpha, params.scopeLambda(), editSeconds);
                int ff = run.lm.model().config().mlpSize();
                int d = run.lm.model().config().hiddenSize();
                double[] c0 = run.stats.c0(run.layer);
                double[] cAccu = editor.cAccu(run.layer);
                try (NDManager work = NDManager.newBaseManager(run.lm.model().device())) {
                    NDArray delta = work.create(editor.delta(run.layer), new Shape(ff, d)).toType(run.lm.model().dataType(), false);
                    NDArray c0Nd = work.create(c0, new Shape(ff, ff)); // (d_ff, d_ff) float64
                    NDArray edited = work.create(cAccu, new Shape(ff, ff)).sub(c0Nd.mul(run.lambda)); // sum k k^T
                    for (double scopeLambda : scopeLambdas) {
                        NDArray preserve = c0Nd.mul(scopeLambda);
                        NDArray preserveInv = preserve.inverse();
                        NDArray accuInv = preserve.add(edited).inverse();
                        if (preserveInv.getDataType() != DataType.FLOAT64) {
                            throw new IllegalStateException("expected float64 inverses");
                        }
                        SpanScope scope = new SpanScope(preserveInv, accuInv);
                        for (double a : evalAlphas) {
                            long t0 = System.nanoTime();
                            HookLayer hook = new HookLayer(run.layer, delta, a, scope, HookLayer.Mode.VALIDATED, null);
                            ForwardOptions options = ForwardOptions.builder().hooks(Map.of(run.layer, hook)).build();
                            EditScores s = evaluator.evaluate(run.lm.model(), options, sample);
                            System.out.printf(Locale.ROOT,
                                    "scopeLambda=%.0f alpha=%.4f -> rel %.3f gen %.3f loc %.3f | eff %.3f para %.3f nbhd %.3f (%d edits, %.0f s)%n",
                                    scopeLambda, a, s.reliability(), s.generality(), s.locality(), s.efficacy(),
                                    s.paraphrase(), s.neighborhood(), sample.size(), (System.nanoTime() - t0) / 1e9);
                        }
                    }
                }
            }
        }
    }
}
