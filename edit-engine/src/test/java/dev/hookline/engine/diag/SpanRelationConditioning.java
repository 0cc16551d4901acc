/*
 * Diagnostic (not a test): the span-relation scope on a model whose C0 is ill-conditioned (e.g. the
 * tiny world at d_ff 4096, whose explicit (lambda_s C0)^-1 is not positive definite). Edits N
 * requests of a counterfact file with coachhook-span-relation in batches of 10, then counts over the
 * edit prompts, paraphrases and neighbourhood prompts how many positions score a finite rho and
 * how many swap: in the editor's scope, and in the bundle served through HookedModel.install in
 * the factored and the dense form (each refused at load if its rho is not finite).
 * Run: java -cp <test classpath> dev.hookline.engine.diag.SpanRelationConditioning MODEL_DIR EDITS
 */
package dev.hookline.engine.diag;

import ai.djl.ndarray.NDManager;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.EditData;
import dev.hookline.engine.bundle.Digests;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.bundle.HookedModel;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;

public final class SpanRelationConditioning {
    private SpanRelationConditioning() {}

    public static void main(String[] args) throws Exception {
        Path modelDir = Path.of(args[0]);
        int edits = Integer.parseInt(args[1]);
        List<EditRequest> requests = EditData.requests(modelDir.resolve("world").resolve("counterfact.json"), edits);
        CoachHookParams defaults = CoachHookParams.defaults();
        CoachHookParams params = CoachHookParams.spanRelationTuned().withLayersAndLambda(defaults.layers(),
                defaults.lambda());
        Path tmp = Files.createTempDirectory("span-relation-conditioning");
        List<String> corpus = Files.readAllLines(modelDir.resolve("world").resolve("corpus.txt"));
        try (LanguageModel lm = LanguageModel.load(modelDir)) {
            LayerStatistics stats = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(), corpus, 1000,
                    params.layers(), modelDir.resolve("hookline-stats"));
            try (ClosedFormEditor editor = ClosedFormEditor.span(lm.model(), lm.tokenizer(), stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span-relation", false)) {
                for (int b = 0; b < edits; b += 10) {
                    editor.apply(requests.subList(b, Math.min(edits, b + 10)));
                }
                report("editor", lm, editor.validatedHooks(), requests);
                editor.snapshot(Digests.model(lm.model()), null, "{}").write(tmp.resolve("v"));
            }
            HookBundle bundle = HookBundle.read(tmp.resolve("v"), false);
            for (boolean factored : new boolean[] {true, false}) {
                try (NDManager hooks = NDManager.newBaseManager(lm.model().device())) {
                    report(factored ? "served factored" : "served dense", lm,
                            HookedModel.install(lm.model(), bundle, hooks, factored), requests);
                } catch (IllegalArgumentException refused) {
                    System.out.println((factored ? "served factored" : "served dense") + ": refused: "
                            + refused.getMessage());
                }
            }
        }
    }

    private static void report(String what, LanguageModel lm, Map<Integer, HookLayer> hooks, List<EditRequest> requests) {
        String[] kinds = {"edit prompts", "paraphrases", "neighbours"};
        for (int kind = 0; kind < 3; kind++) {
            int positions = 0;
            int finite = 0;
            int swapped = 0;
            int promptsSwapped = 0;
            int prompts = 0;
            for (EditRequest r : requests) {
                List<String> texts = kind == 0 ? List.of(r.filledPrompt())
                        : kind == 1 ? r.paraphrasePrompts() : r.neighborhoodPrompts();
                for (String p : texts) {
                    boolean any = false;
                    for (HookedModel.TokenTrace t : HookedModel.explain(lm, hooks, p)) {
                        positions++;
                        finite += Double.isFinite(t.z()) ? 1 : 0;
                        swapped += t.swapped() ? 1 : 0;
                        any |= t.swapped();
                    }
                    prompts++;
                    promptsSwapped += any ? 1 : 0;
                }
            }
            System.out.printf("%s, %s: %d positions, %d finite rho, %d swapped; %d of %d prompts swap somewhere%n",
                    what, kinds[kind], positions, finite, swapped, promptsSwapped, prompts);
        }
    }
}
