/*
 * The factored serving form of coachhook-span-relation's scope (issue 29)
 * on the converged tiny model: a bundle written by the editor, served through HookedModel.install,
 * scores the same rho and takes the same decisions as the editor's dense float64 form at every
 * position of edit, paraphrase and neighbourhood prompts, and serves the same logits. The bundle
 * format is unchanged (the factors are derived from its inverses at install), so bundles written
 * before the factored form existed serve through it too.
 */
package dev.hookline.engine.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.EditData;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.RelationSpanScope;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

@Tag("slow")
class RelationSpanServingFormTest {
    private static final int EDITS = 30;

    private static float[] logits(LanguageModel lm, List<String> prompts, ForwardOptions options) {
        List<int[]> rows = new ArrayList<>();
        for (String p : prompts) {
            rows.add(lm.tokenizer().encode(p));
        }
        try (NDManager scope = NDManager.newBaseManager(lm.model().device())) {
            return lm.model().forward(scope, TokenBatch.of(rows, lm.model().config().eosTokenId()), options).logits()
                    .toFloatArray(); // (B, T, V)
        }
    }

    @Test
    void factoredServingFormTakesTheDenseFormsDecisions(@TempDir Path tmp) throws Exception {
        Path modelDir = EditFixtures.pretrainedTiny();
        List<EditRequest> requests = EditData.requests(modelDir.resolve("world").resolve("counterfact.json"), EDITS);
        CoachHookParams defaults = CoachHookParams.defaults();
        CoachHookParams params = CoachHookParams.spanRelationTuned().withLayersAndLambda(defaults.layers(),
                defaults.lambda()); // span-relation's record, as the bench and the CLI build it
        List<String> prompts = new ArrayList<>();
        for (EditRequest r : requests) {
            prompts.add(r.filledPrompt());
            prompts.addAll(r.paraphrasePrompts().subList(0, Math.min(2, r.paraphrasePrompts().size())));
            prompts.addAll(r.neighborhoodPrompts().subList(0, Math.min(2, r.neighborhoodPrompts().size())));
        }
        try (LanguageModel lm = LanguageModel.load(modelDir)) {
            LayerStatistics stats = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(), EditFixtures.corpus(), 500,
                    params.layers(), tmp.resolve("stats"));
            try (ClosedFormEditor editor = ClosedFormEditor.span(lm.model(), lm.tokenizer(), stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span-relation", false)) {
                for (int b = 0; b < EDITS; b += 10) {
                    editor.apply(requests.subList(b, b + 10));
                }
                editor.snapshot(Digests.model(lm.model()), null, "{}").write(tmp.resolve("v30"));
            }
            HookBundle bundle = HookBundle.read(tmp.resolve("v30"), false);
            int relations = bundle.relationScopes().names().size();
            assertTrue(relations >= 3, "the 30 edits span several relations: " + bundle.relationScopes().names());
            try (NDManager hooks = NDManager.newBaseManager(lm.model().device())) {
                Map<Integer, HookLayer> dense = HookedModel.install(lm.model(), bundle, hooks, false);
                Map<Integer, HookLayer> factored = HookedModel.install(lm.model(), bundle, hooks);
                int ff = bundle.mlpSize();
                for (int l : bundle.layers()) {
                    RelationSpanScope scope = (RelationSpanScope) factored.get(l).scope();
                    assertTrue(scope.isFactored(), "install serves the factored form");
                    assertTrue(scope.preserveFactored(), "the converged model's (lambda_s C0)^-1 factors");
                    assertFalse(((RelationSpanScope) dense.get(l).scope()).isFactored());
                    int[] ranks = scope.factorRanks();
                    for (int r = 0; r < relations; r++) {
                        // mean and plain keys: at most two keys per edit of the relation
                        int bound = 2 * bundle.relationScopes().edits().get(r);
                        assertTrue(ranks[r] >= 1 && ranks[r] <= bound, "relation " + r + " rank " + ranks[r]
                                + " within 1.." + bound);
                    }
                    assertTrue(java.util.Arrays.stream(ranks).sum() < ff, "thin factors: ranks " + java.util.Arrays
                            .toString(ranks) + " of d_ff " + ff);
                }
                int positions = 0;
                int swapped = 0;
                double worst = 0;
                for (String p : prompts) {
                    List<HookedModel.TokenTrace> a = HookedModel.explain(lm, dense, p);
                    List<HookedModel.TokenTrace> b = HookedModel.explain(lm, factored, p);
                    assertEquals(a.size(), b.size());
                    for (int i = 0; i < a.size(); i++) {
                        double diff = Math.abs(a.get(i).z() - b.get(i).z());
                        worst = Math.max(worst, diff);
                        assertTrue(diff < 1e-4, p + " position " + i + ": rho " + a.get(i).z() + " vs " + b.get(i).z());
                        // a decision may differ only for a rho within float32 rounding of alpha
                        if (Math.abs(a.get(i).z() - a.get(i).alpha()) > 1e-4) {
                            assertEquals(a.get(i).swapped(), b.get(i).swapped(), p + " position " + i);
                        }
                        swapped += a.get(i).swapped() ? 1 : 0;
                        positions++;
                    }
                }
                System.out.printf("factored vs dense rho on %d positions (%d swapped): max |diff| %.3g%n", positions,
                        swapped, worst);
                assertTrue(swapped > 0 && swapped < positions, "the scope opens somewhere and not everywhere: "
                        + swapped + " of " + positions);
                float[] expected = logits(lm, prompts,
                        ForwardOptions.builder().hooks(dense).build());
                float[] actual = logits(lm, prompts,
                        ForwardOptions.builder().hooks(factored).build());
                assertArrayEquals(expected, actual, 0f, "same decisions, same served logits");
                // A bundle whose (lambda_s C0)^-1 is not positive definite (what an explicit inverse of an
                // ill-conditioned C0 gave) is refused at load in both forms instead of serving NaN rho.
                Map<Integer, double[]> broken = new java.util.LinkedHashMap<>();
                for (int l : bundle.layers()) {
                    double[] negated = bundle.scopePreserveInverse().get(l).clone();
                    for (int i = 0; i < negated.length; i++) {
                        negated[i] = -negated[i];
                    }
                    broken.put(l, negated);
                }
                HookBundle tampered = new HookBundle(bundle.method(), bundle.hyperparameters(), bundle.baseModelDigest(),
                        bundle.parentDigest(), bundle.statisticsDigest(), bundle.edits(), bundle.lambda(), bundle.layers(),
                        bundle.mlpSize(), bundle.hiddenSize(), bundle.alpha(), bundle.scope(), bundle.scopeMu(),
                        bundle.scopeSigma(), bundle.deltas(), bundle.cAccu(), broken, bundle.scopeAccuInverse(),
                        bundle.scopeLambda(), bundle.relationScopes(), bundle.architecture());
                for (boolean form : new boolean[] {true, false}) {
                    IllegalArgumentException refused = org.junit.jupiter.api.Assertions.assertThrows(
                            IllegalArgumentException.class, () -> HookedModel.install(lm.model(), tampered, hooks, form));
                    assertTrue(refused.getMessage().startsWith("span-relation bundle refused: layer ")
                            && refused.getMessage().contains("not numerically positive definite"), refused.getMessage());
                }
            }
        }
    }
}
