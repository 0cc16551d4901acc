/*
 * Diagnostic (not a test): the consecutive protocol for CoachHooK with the span scope test at a
 * given lambda and threshold, to explore settings before they become a named bench record.
 * Run: java -cp <test classpath> dev.hookline.engine.diag.SpanBench MODEL DATA N BATCH LAMBDA LAYER ALPHA ADAPT(true|false) [STATS_LINES]
 */
package dev.hookline.engine.diag;

import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.eval.ConsecutiveProtocol;
import dev.hookline.engine.eval.EditEvaluator;
import dev.hookline.engine.eval.EditScores;
import dev.hookline.world.RelationCatalogue;
import java.util.Locale;

public final class SpanBench {

    private SpanBench() {}

    public static void main(String[] args) throws Exception {
        double alpha = Double.parseDouble(args[6]);
        boolean adapt = Boolean.parseBoolean(args[7]);
        try (DiagRun run = DiagRun.open(args, DiagRun.intArg(args, 8, 1000))) {
            EditEvaluator evaluator = new EditEvaluator(run.lm.model(), run.lm.tokenizer(), run.requests,
                    EditEvaluator.Params.defaults());
            CoachHookParams params = new CoachHookParams(new int[] {run.layer}, run.lambda, alpha, "span",
                    ValueStepParams.tuned());
            long start = System.nanoTime();
            try (ClosedFormEditor editor = ClosedFormEditor.span(run.lm.model(), run.lm.tokenizer(), run.stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", adapt)) {
                ConsecutiveProtocol.Result r = ConsecutiveProtocol.run(editor, run.requests,
                        new ConsecutiveProtocol.Params(run.batch, run.n, Math.min(run.n, 200)), evaluator, p -> { });
                EditScores s = r.scores();
                System.out.printf(Locale.ROOT,
                        "span n=%d b=%d lambda=%.0f layer=%d alpha0=%.3f adapt=%s -> rel %.3f gen %.3f loc %.3f | eff %.3f para %.3f nbhd %.3f | alpha %s | %.2f s/batch, %.0f s total%n",
                        run.n, run.batch, run.lambda, run.layer, alpha, adapt, s.reliability(), s.generality(), s.locality(),
                        s.efficacy(), s.paraphrase(), s.neighborhood(), editor.alphas(), r.secondsPerBatch(),
                        (System.nanoTime() - start) / 1e9);
            }
        }
    }
}
