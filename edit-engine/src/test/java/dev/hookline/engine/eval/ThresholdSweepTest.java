/*
 * The bench's threshold sweep (--sweep-thresholds): a fixed-threshold hook method's state served at
 * other thresholds after the fact, without changing what the editor does.
 */
package dev.hookline.engine.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.AlphaEditNearestParams;
import dev.hookline.engine.edit.AlphaEditParams;
import dev.hookline.engine.edit.AlphaEditShardsParams;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.SequentialEditor;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ThresholdSweepTest {
    private static final int[] LAYERS = {1};
    private static final double OWN = 0.3;
    private static final ValueStepParams FAST = new ValueStepParams(4, 0.3, 4.0, 0.0625, 0.05, 1, 0.02, "last");

    private static ClosedFormEditor shards(Gpt2Model base, TextTokenizer tok, LayerStatistics stats) {
        AlphaEditNearestParams nearest = new AlphaEditNearestParams(new AlphaEditParams(LAYERS, 1e6, 1, FAST), OWN, 1);
        return ClosedFormEditor.alphaEditShards(base, tok, stats, new AlphaEditShardsParams(nearest, 4),
                RelationCatalogue.CONTEXT_PREFIXES);
    }

    private static LayerStatistics stats(Gpt2Model base, TextTokenizer tok, Path tmp) throws Exception {
        return LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS, tmp.resolve("stats"));
    }

    @Test
    void sweepServesTheSameStateAtOtherThresholdsAndChangesNothing(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests().subList(0, 8);
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics stats = stats(base, tok, tmp);
            EditEvaluator evaluator = new EditEvaluator(base, tok, requests, EditEvaluator.Params.defaults());
            ConsecutiveProtocol.Result plain;
            try (SequentialEditor editor = shards(base, tok, stats)) {
                plain = ConsecutiveProtocol.run(editor, requests, new ConsecutiveProtocol.Params(4, 4, 8), evaluator, p -> { });
            }
            ConsecutiveProtocol.Result swept;
            try (SequentialEditor editor = shards(base, tok, stats)) {
                swept = ConsecutiveProtocol.run(editor, requests,
                        new ConsecutiveProtocol.Params(4, 4, 8, List.of(OWN, 0.0, 0.999)), evaluator, p -> { });
            }
            assertTrue(plain.sweep().isEmpty());
            // The editing and its own evaluation are untouched by the sweep.
            assertEquals(plain.scores(), swept.scores());
            assertEquals(plain.curve(), swept.curve());
            assertEquals(plain.alphaHistory(), swept.alphaHistory());
            // Three thresholds at the curve point (4 edits) and at the end (8).
            assertEquals(6, swept.sweep().size());
            for (ConsecutiveProtocol.SweepPoint p : swept.sweep()) {
                ConsecutiveProtocol.CurvePoint c = swept.curve().get(p.edits() == 4 ? 0 : 1);
                assertEquals(c.edits(), p.edits());
                if (p.threshold() == OWN) {
                    assertEquals(c.scores(), p.scores(), "at its own threshold the sweep is the curve point");
                }
            }
            // At 0 every position swaps, at 0.999 almost none: the threshold is applied.
            EditScores all = swept.sweep().get(4).scores();
            EditScores none = swept.sweep().get(5).scores();
            assertEquals(0.0, swept.sweep().get(4).threshold(), 0.0);
            assertNotEquals(all, none);
            assertNotEquals(all, swept.scores());
        }
    }

    @Test
    void editorsWithoutAFixedThresholdAreNotSwept(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests().subList(0, 4);
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics stats = stats(base, tok, tmp);
            EditEvaluator evaluator = new EditEvaluator(base, tok, requests, EditEvaluator.Params.defaults());
            try (SequentialEditor inPlace = ClosedFormEditor.alphaEdit(base, tok, stats,
                    new AlphaEditParams(LAYERS, 1e6, 1, FAST), RelationCatalogue.CONTEXT_PREFIXES)) {
                ConsecutiveProtocol.Result r = ConsecutiveProtocol.run(inPlace, requests,
                        new ConsecutiveProtocol.Params(4, 4, 4, List.of(0.3, 0.5)), evaluator, p -> { });
                assertTrue(r.sweep().isEmpty(), "an in-place method has no scope threshold");
                assertTrue(inPlace.inferenceOptionsAtThreshold(0.3).isEmpty());
            }
            try (SequentialEditor editor = shards(base, tok, stats)) {
                assertThrows(IllegalArgumentException.class, () -> editor.inferenceOptionsAtThreshold(1.0));
            }
        }
        assertThrows(IllegalArgumentException.class, () -> new ConsecutiveProtocol.Params(4, 4, 4, List.of(1.0)));
        assertThrows(IllegalArgumentException.class, () -> new ConsecutiveProtocol.Params(4, 4, 4, List.of(-0.1)));
    }
}
