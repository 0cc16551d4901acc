/*
 * Diagnostic (not a test): the consecutive protocol for CoachHooK with the span scope test at a
 * given lambda and threshold, to explore settings before they become a named bench record.
 * Run: java -cp <test classpath> dev.hookline.engine.diag.SpanBench MODEL DATA N BATCH LAMBDA LAYER ALPHA ADAPT(true|false) [STATS_LINES]
 */
package dev.hookline.engine.diag;

import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.eval.ConsecutiveProtocol;
import dev.hookline.engine.eval.EditEvaluator;
import dev.hookline.engine.eval.EditScores;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.world.RelationCatalogue;
import java.util.List;
import java.util.Locale;

public final class SpanBench {

    private SpanBench() {}

    public static void main(String[] args) throws Exception {
        double alpha = Double.parseDouble(args[6]);
        boolean adapt = Boolean.parseBoolean(args[7]);
        try (DiagRun run = DiagRun.open(args, DiagRun.intArg(args, 8, 1000))) {
            LanguageModel lm = run.lm;
            int n = run.n;
            int batch = run.batch;
            double lambda = run.lambda;
            int layer = run.layer;
            List<EditRequest> requests = run.requests;
            LayerStatistics stats = run.stats;
            EditEvaluator evaluator = new EditEvaluator(lm.model(), lm.tokenizer(), requests,
                    EditEvaluator.Params.defaults());
            CoachHookParams params = new CoachHookParams(new int[] {layer}, lambda, alpha, "span",
                    ValueStepParams.tuned());
            long start = System.nanoTime();
            try (ClosedFormEditor editor = ClosedFormEditor.span(lm.model(), lm.tokenizer(), stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", adapt)) {
                ConsecutiveProtocol.Result r = ConsecutiveProtocol.run(editor, requests,
                        new ConsecutiveProtocol.Params(batch, n, Math.min(n, 200)), evaluator, p -> { });
                EditScores s = r.scores();
                System.out.printf(Locale.ROOT,
                        "span n=%d b=%d lambda=%.0f layer=%d alpha0=%.3f adapt=%s -> rel %.3f gen %.3f loc %.3f | eff %.3f para %.3f nbhd %.3f | alpha %s | %.2f s/batch, %.0f s total%n",
                        n, batch, lambda, layer, alpha, adapt, s.reliability(), s.generality(), s.locality(),
                        s.efficacy(), s.paraphrase(), s.neighborhood(), editor.alphas(), r.secondsPerBatch(),
                        (System.nanoTime() - start) / 1e9);
            }
        }
    }
}
