/*
 * UltraEdit as a consecutive editor on the untrained fixture model: batches raise the edited
 * targets' probability, the normaliser counts every real position of every batch, and the model
 * given to it is left unchanged (the editor edits a copy).
 */
package dev.hookline.engine.edit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.data.EditRequest;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import java.util.List;
import org.junit.jupiter.api.Test;

class UltraEditorTest {
    @Test
    void batchesRaiseTargetsAndFeedTheNormaliser() throws Exception {
        List<EditRequest> requests = EditFixtures.requests().subList(0, 8);
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            double[] before = TargetProbe.logProbabilities(base, tok, requests);
            long rows = 0;
            for (EditRequest r : requests) {
                rows += EditPrompts.of(r, tok, List.of()).teacherForced(0).length;
            }
            try (UltraEditor editor = new UltraEditor(base, tok, new UltraEditParams(new int[] {1, 2}, 0.05, 1))) {
                editor.apply(requests.subList(0, 4));
                editor.apply(requests.subList(4, 8));
                assertEquals(8, editor.editCount());
                assertEquals(rows, editor.normalizer(1).count(), "one row per real position of every batch");
                assertEquals(rows, editor.normalizer(2).count());
                double[] after = TargetProbe.logProbabilities(editor.model(), tok, requests);
                double gain = 0;
                for (int i = 0; i < requests.size(); i++) {
                    gain += (after[i] - before[i]) / requests.size();
                }
                assertTrue(gain > 0.1, "mean log P(target) rises: " + gain);
            }
            assertArrayEquals(before, TargetProbe.logProbabilities(base, tok, requests), 0.0, "base model untouched");
            assertThrows(IllegalArgumentException.class, () -> new UltraEditParams(new int[] {1}, 0, 1));
        }
    }
}
