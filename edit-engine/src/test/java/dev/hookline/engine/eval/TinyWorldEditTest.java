/*
 * End to end on a pretrained tiny model: one CoachHooK batch of 10 CounterFact edits, evaluated
 * with the literature's metrics. The model is pretrained once through PretrainRun and cached
 * under target/ (EditFixtures.pretrainedTiny). Uses the faithful CoachHooK with its defaults, the
 * record tuned by the sweep in docs/BENCHMARKS.md (editing layer 2 = the last block, at the
 * prompt's last token, lambda 1500).
 */
package dev.hookline.engine.eval;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.EditData;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.SequentialEditor;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;

@Tag("slow")
class TinyWorldEditTest {

    @Test
    void oneBatchOfTenEditsIsReliableAndLocal() throws Exception {
        Path modelDir = EditFixtures.pretrainedTiny();
        List<EditRequest> requests = EditData.requests(modelDir.resolve("world").resolve("counterfact.json"), 10);
        try (LanguageModel lm = LanguageModel.load(modelDir)) {
            CoachHookParams params = CoachHookParams.defaults();
            LayerStatistics stats = LayerStatistics.loadOrCompute(lm.model(), lm.tokenizer(), EditFixtures.corpus(), 500,
                    params.layers(), modelDir.resolve("hookline-stats"));
            EditEvaluator evaluator = new EditEvaluator(lm.model(), lm.tokenizer(), requests, EditEvaluator.Params.defaults());
            EditScores before = evaluator.evaluate(lm.model(), ForwardOptions.defaults(), requests);
            assertEquals(1.0, before.locality(), 0.0, "the unedited model agrees with itself");
            try (ClosedFormEditor editor = ClosedFormEditor.coachHook(lm.model(), lm.tokenizer(), stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES)) {
                SequentialEditor.BatchOutcome outcome = editor.apply(requests);
                EditScores after = evaluator.evaluate(lm.model(), editor.inferenceOptions(), requests);
                System.out.println("tiny, 10 edits: before " + before + " after " + after + " alpha " + outcome.alphaAfter()
                        + " in " + outcome.seconds() + " s");
                assertTrue(after.reliability() >= 0.9, "reliability " + after.reliability());
                assertTrue(after.locality() >= 0.9, "locality " + after.locality());
                assertTrue(after.reliability() > before.reliability() + 0.5, "edits took effect: " + before.reliability()
                        + " -> " + after.reliability());
            }
        }
    }
}
