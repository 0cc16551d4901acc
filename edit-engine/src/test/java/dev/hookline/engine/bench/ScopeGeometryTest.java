/*
 * The scope-geometry diagnostic on the tiny world with an untrained fixture model: every score in
 * [0, 1), nested spans ordered (nearest edit <= relation spans <= one span, for every query), and
 * the summary helpers (AUC, threshold keeping a share of negatives out) on known inputs.
 */
package dev.hookline.engine.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.world.RelationCatalogue;
import java.util.List;
import org.junit.jupiter.api.Test;

class ScopeGeometryTest {

    @Test
    void nestedSpansOrderEveryQuery() throws Exception {
        List<EditRequest> requests = EditData.requests(EditFixtures.tinyWorld().resolve("counterfact.json"), 12);
        List<String> corpus = EditFixtures.corpus();
        try (Gpt2Model model = EditFixtures.untrained(8);
                TextTokenizer tok = EditFixtures.tokenizer();
                NDManager m = NDManager.newBaseManager()) {
            int layer = model.config().layerCount() - 1;
            LayerStatistics stats = LayerStatistics.compute(model, tok, corpus, 200, new int[] {layer}, "test");
            ScopeGeometry.Result r = ScopeGeometry.measure(m, model, tok, requests, 12, stats, layer, 15,
                    RelationCatalogue.CONTEXT_PREFIXES, 4);
            ScopeGeometry.Scores span = r.rules().get("span");
            ScopeGeometry.Scores rel = r.rules().get("relation-spans");
            ScopeGeometry.Scores near = r.rules().get("nearest-edit");
            assertEquals(12, span.edits().length);
            assertEquals(requests.stream().mapToInt(q -> q.paraphrasePrompts().size()).sum(), span.paraphrases().length);
            assertEquals(requests.stream().mapToInt(q -> q.neighborhoodPrompts().size()).sum(), span.neighbours().length);
            double[][][] all = {{span.edits(), rel.edits(), near.edits()},
                    {span.paraphrases(), rel.paraphrases(), near.paraphrases()},
                    {span.neighbours(), rel.neighbours(), near.neighbours()}};
            for (double[][] kind : all) {
                for (int i = 0; i < kind[0].length; i++) {
                    for (double[] rule : kind) {
                        assertTrue(rule[i] >= 0 && rule[i] < 1, "score " + rule[i]);
                    }
                    assertTrue(kind[2][i] <= kind[1][i] + 1e-9 && kind[1][i] <= kind[0][i] + 1e-9,
                            "nearest " + kind[2][i] + " <= relation " + kind[1][i] + " <= span " + kind[0][i]);
                }
            }
            // The margin is the nearest score less the second-best edit's: within [0, nearest], and at an edit's
            // own prompt (its plain key is one of the edited keys) it is positive.
            ScopeGeometry.Scores margin = r.rules().get("nearest-margin");
            double[][][] pairs = {{near.edits(), margin.edits()}, {near.paraphrases(), margin.paraphrases()},
                    {near.neighbours(), margin.neighbours()}};
            for (double[][] pair : pairs) {
                for (int i = 0; i < pair[0].length; i++) {
                    assertTrue(pair[1][i] >= 0 && pair[1][i] <= pair[0][i] + 1e-12, pair[1][i] + " vs " + pair[0][i]);
                }
            }
            for (double e : margin.edits()) {
                assertTrue(e > 0, "an edit's own prompt stands out from the other edits: " + e);
            }
        }
    }

    @Test
    void summaryHelpers() {
        assertEquals(1.0, ScopeGeometry.auc(new double[] {0.8, 0.9}, new double[] {0.1, 0.2, 0.3}), 0.0);
        assertEquals(0.0, ScopeGeometry.auc(new double[] {0.1}, new double[] {0.5, 0.6}), 0.0);
        assertEquals(0.5, ScopeGeometry.auc(new double[] {0.5}, new double[] {0.5}), 0.0);
        double[] neg = new double[100];
        for (int i = 0; i < 100; i++) {
            neg[i] = i / 100.0;
        }
        double t = ScopeGeometry.thresholdKeeping(neg, 0.97);
        assertEquals(0.03, ScopeGeometry.share(neg, t), 1e-12, "3 of 100 at or above the threshold");
        assertEquals(0.5, ScopeGeometry.share(new double[] {0.2, 0.7}, 0.7), 0.0);
    }

    @Test
    void anEditCountWhoseProductsDoNotFitOneArrayIsRefusedClearly() {
        ScopeGeometry.requireFits(2000, 30000); // the large world's 2,000 dev edits: 0.5 GB
        // 5,000 edits of 5 paraphrases and 10 neighbours each: (10,000, 80,000) float64, 6.4 GB.
        IllegalArgumentException e = org.junit.jupiter.api.Assertions.assertThrows(IllegalArgumentException.class,
                () -> ScopeGeometry.requireFits(5000, 75000));
        org.junit.jupiter.api.Assertions.assertTrue(e.getMessage().contains("use fewer --edits"), e.getMessage());
    }
}
