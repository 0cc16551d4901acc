/*
 * The value step's grouping: requests are optimised independently, so a request's target does
 * not depend on the other requests of its batch, and a batch larger than one group equals its
 * groups run one by one.
 */
package dev.hookline.engine.edit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.data.EditRequest;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.world.RelationCatalogue;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ValueStepTest {

    /** Fixed 6 steps (stop loss 0 is never reached), last-token edits at layer 2 of 3. */
    private static final ValueStepParams FIXED = new ValueStepParams(6, 0.3, 4.0, 0.0625, 0.05, 2, 0.0, "last");

    private static List<EditPrompts> prompts(List<EditRequest> requests, TextTokenizer tok) {
        List<EditPrompts> out = new ArrayList<>();
        for (EditRequest r : requests) {
            out.add(EditPrompts.of(r, tok, RelationCatalogue.CONTEXT_PREFIXES.subList(0, 2), true));
        }
        return out;
    }

    private static double maxDiff(double[][] a, double[][] b) {
        double m = 0;
        for (int i = 0; i < a.length; i++) {
            for (int k = 0; k < a[i].length; k++) {
                m = Math.max(m, Math.abs(a[i][k] - b[i][k]));
            }
        }
        return m;
    }

    @Test
    void aRequestsTargetDoesNotDependOnItsBatchAndLargeBatchesRunInGroups() throws Exception {
        List<EditRequest> requests = EditFixtures.requests();
        assertTrue(requests.size() >= ValueStep.GROUP + 3, "fixture has more requests than one group");
        try (Gpt2Model base = EditFixtures.untrained(7); TextTokenizer tok = EditFixtures.tokenizer()) {
            base.setTrainable(false);
            List<EditPrompts> batch = prompts(requests.subList(0, ValueStep.GROUP + 3), tok);
            ValueStep.Result whole = ValueStep.compute(base, Map.of(), batch, 2, FIXED);
            assertEquals(ValueStep.GROUP + 3, whole.targets().length);
            assertEquals(6, whole.steps());

            // Independence: request 0 alone reaches the target it reached among 12 others.
            ValueStep.Result alone = ValueStep.compute(base, Map.of(), batch.subList(0, 1), 2, FIXED);
            double diff = maxDiff(alone.targets(), new double[][] {whole.targets()[0]});
            double scale = 0;
            for (double v : whole.targets()[0]) {
                scale = Math.max(scale, Math.abs(v));
            }
            assertTrue(diff <= 1e-4 * Math.max(1, scale), "request 0 alone vs in its batch: max |diff| " + diff);
            double moved = maxDiff(whole.targets(), whole.hidden());
            assertTrue(moved > 1e-3, "the step moved the targets away from h: " + moved);

            // Grouping: the batch equals its groups (10, then 3) run one by one, bit for bit.
            ValueStep.Result first = ValueStep.compute(base, Map.of(), batch.subList(0, ValueStep.GROUP), 2, FIXED);
            ValueStep.Result rest = ValueStep.compute(base, Map.of(), batch.subList(ValueStep.GROUP, batch.size()), 2, FIXED);
            for (int i = 0; i < batch.size(); i++) {
                ValueStep.Result part = i < ValueStep.GROUP ? first : rest;
                int j = i < ValueStep.GROUP ? i : i - ValueStep.GROUP;
                assertArrayEquals(part.targets()[j], whole.targets()[i], 0.0, "target " + i);
                assertArrayEquals(part.hidden()[j], whole.hidden()[i], 0.0, "hidden " + i);
                assertEquals(part.probabilityNew()[j], whole.probabilityNew()[i], 0.0, "P(new) " + i);
            }
        }
    }
}
