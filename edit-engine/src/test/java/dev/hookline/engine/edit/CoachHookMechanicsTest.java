/*
 * CoachHooK batch steps on an untrained model: alpha never rises, every edited prompt swaps at
 * least one position at every editing layer after its batch, the base model is never written,
 * and the in-place baselines leave the caller's model untouched.
 */
package dev.hookline.engine.edit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.Digests;
import dev.hookline.engine.bundle.HookedModel;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.world.RelationCatalogue;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class CoachHookMechanicsTest {
    static final ValueStepParams FAST = new ValueStepParams(8, 0.5, 4.0, 0.0625, 0.05, 2, 0.02, "subject");

    @Test
    void alphaNeverRisesAndEveryEditedPromptSwapsAtEveryLayer() throws Exception {
        checkAlphaAndSwaps(new CoachHookParams(new int[] {0, 1}, 10, 2.2, "sequence", FAST), "coachhook", true);
    }

    @Test
    void coachHookPlusKeepsTheGuaranteesWithBoostRounds() throws Exception {
        // Corpus scope: scores are not bounded by prompt length, so alpha may stay at alpha0; the
        // boost rounds must still leave every edited prompt swapping at every layer.
        checkAlphaAndSwaps(new CoachHookParams(new int[] {0, 1}, 10, 2.2, "corpus", FAST, 3), "coachhook-plus", false);
    }

    private static void checkAlphaAndSwaps(CoachHookParams params, String method, boolean mustFire) throws Exception {
        List<EditRequest> requests = EditFixtures.requests();
        try (Gpt2Model base = EditFixtures.untrained(3); TextTokenizer tok = EditFixtures.tokenizer()) {
            String digest = Digests.model(base);
            int[] layers = params.layers();
            LayerStatistics stats = LayerStatistics.compute(base, tok, EditFixtures.corpus(), 200, layers, digest);
            try (ClosedFormEditor editor = ClosedFormEditor.coachHook(base, tok, stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES, method)) {
                assertEquals(method, editor.method());
                Map<Integer, Double> previous = Map.of(0, 2.2, 1, 2.2);
                int fired = 0;
                for (int b = 0; b < 3; b++) {
                    List<EditRequest> batch = requests.subList(4 * b, 4 * b + 4);
                    SequentialEditor.BatchOutcome outcome = editor.apply(batch);
                    for (int l : layers) {
                        double a = outcome.alphaAfter().get(l);
                        assertTrue(a <= previous.get(l), "alpha rose at layer " + l + ": " + previous.get(l) + " -> " + a);
                        fired += a < previous.get(l) ? 1 : 0;
                    }
                    previous = outcome.alphaAfter();
                    LanguageModel lm = LanguageModel.wrap(base, tok);
                    for (EditRequest r : batch) {
                        List<HookedModel.TokenTrace> trace = HookedModel.explain(lm, editor.validatedHooks(), r.filledPrompt());
                        for (int l : layers) {
                            long swapped = trace.stream().filter(t -> t.layer() == l && t.swapped()).count();
                            assertTrue(swapped >= 1, "prompt '" + r.filledPrompt() + "' swaps nothing at layer " + l);
                        }
                    }
                }
                if (mustFire) {
                    assertTrue(fired >= 1, "the min rule lowered alpha at least once (short prompts cannot reach 2.2)");
                }
                if (params.boostRounds() == 0) {
                    assertEquals(0, editor.boostedColumns());
                } else {
                    assertTrue(editor.boostedColumns() >= 1, "boost rounds scaled at least one weak edit");
                }
                assertEquals(12, editor.editCount());
            }
            assertEquals(digest, Digests.model(base), "CoachHooK never writes W_0");
        }
    }

    @Test
    void inPlaceBaselinesEditACopyAndChangeIt() throws Exception {
        List<EditRequest> requests = EditFixtures.requests();
        try (Gpt2Model base = EditFixtures.untrained(4); TextTokenizer tok = EditFixtures.tokenizer()) {
            String digest = Digests.model(base);
            int[] layers = {0, 1};
            LayerStatistics stats = LayerStatistics.compute(base, tok, EditFixtures.corpus(), 100, layers, digest);
            try (ClosedFormEditor memit = ClosedFormEditor.memit(base, tok, stats,
                    new MemitParams(layers, 10, FAST), RelationCatalogue.CONTEXT_PREFIXES)) {
                memit.apply(requests.subList(0, 3));
                assertNotEquals(digest, Digests.model(memit.model()), "MEMIT changed its copy");
                assertTrue(memit.alphas().isEmpty());
            }
            try (FtEditor ft = new FtEditor(base, tok, new FtParams(layers, 3, 1e-3, 1e-3, 1), RelationCatalogue.CONTEXT_PREFIXES)) {
                ft.apply(requests.subList(0, 3));
                float[] w0 = base.mlpProjectionWeight(0).toFloatArray();
                float[] w1 = ft.model().mlpProjectionWeight(0).toFloatArray();
                double maxMove = 0;
                for (int i = 0; i < w0.length; i++) {
                    maxMove = Math.max(maxMove, Math.abs(w1[i] - w0[i]));
                }
                assertTrue(maxMove > 0 && maxMove <= 1e-3 + 1e-7, "FT moves within its bound: " + maxMove);
            }
            // A step's gradient accumulated over chunks of rows is the one-pass gradient: 3 edits x 2
            // rows in chunks of 4 (4 + 2) and of 1 move the weights as one chunk of 32 does.
            float[][] moved = new float[3][];
            int[] chunks = {FtEditor.CHUNK_ROWS, 4, 1};
            for (int i = 0; i < chunks.length; i++) {
                try (FtEditor ft = new FtEditor(base, tok, new FtParams(layers, 3, 1e-3, 1e-3, 1),
                        RelationCatalogue.CONTEXT_PREFIXES, chunks[i])) {
                    ft.apply(requests.subList(0, 3));
                    moved[i] = ft.model().mlpProjectionWeight(1).toFloatArray();
                }
            }
            float[] w0 = base.mlpProjectionWeight(1).toFloatArray();
            for (int i = 1; i < chunks.length; i++) {
                double worst = 0;
                double move = 0;
                for (int j = 0; j < w0.length; j++) {
                    worst = Math.max(worst, Math.abs(moved[i][j] - moved[0][j]));
                    move = Math.max(move, Math.abs(moved[0][j] - w0[j]));
                }
                assertTrue(move > 1e-4, "FT moved layer 1: " + move);
                assertTrue(worst < 1e-6, "chunks of " + chunks[i] + " rows vs one pass: " + worst);
            }
            assertEquals(digest, Digests.model(base), "baselines never write the caller's model");
            assertThrows(IllegalArgumentException.class, () -> new CoachHookParams(new int[] {1, 0}, 10, 2.2, "sequence", FAST));
            assertThrows(IllegalArgumentException.class, () -> new CoachHookParams(new int[] {0}, 0, 2.2, "sequence", FAST));
            assertThrows(IllegalArgumentException.class, () -> new ValueStepParams(0, 0.5, 4, 0, 0, 0, 0, "subject"));
        }
    }
}
