/*
 * ForwardOptions.resumeAfter: a forward started after block L from that block's captured output
 * (the value step's steps) gives the logits of the full forward with the same additions at L, and
 * refuses what it cannot honour.
 */
package dev.hookline.engine.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import java.util.List;
import org.junit.jupiter.api.Test;

class ResumeForwardTest {

    @Test
    void resumedLogitsEqualTheFullForwardsAndBadUseIsRefused() throws Exception {
        try (Gpt2Model model = EditFixtures.untrained(3);
                NDManager scope = NDManager.newBaseManager(model.device())) {
            TokenBatch batch = TokenBatch.of(List.of(new int[] {5, 9, 2, 7, 3}, new int[] {4, 8, 6}), 0);
            NDArray vector = scope.randomNormal(new Shape(model.config().hiddenSize())); // (d)
            ResidualAddition addition = new ResidualAddition(1, vector, new int[] {0, 1}, new int[] {2, 1});
            float[] full = model.forward(scope, batch, ForwardOptions.builder().add(addition).build()).logits()
                    .toFloatArray();
            NDArray blockOutput = model.forward(scope, batch, ForwardOptions.builder().captureResiduals(true).build())
                    .residual(1); // (B, T, d)
            float[] before = blockOutput.toFloatArray();
            float[] resumed = model.forward(scope, batch,
                    ForwardOptions.builder().add(addition).resumeAfter(1, blockOutput).build()).logits().toFloatArray();
            assertEquals(full.length, resumed.length);
            double max = 0;
            for (int i = 0; i < full.length; i++) {
                max = Math.max(max, Math.abs(full[i] - resumed[i]));
            }
            assertTrue(max <= 1e-5, "resumed logits differ by " + max);
            float[] after = blockOutput.toFloatArray();
            assertEquals(before.length, after.length);
            for (int i = 0; i < before.length; i++) {
                assertEquals(before[i], after[i], 0f, "the caller's residual is never changed");
            }
            // The addition at L matters (else the check above could not fail).
            float[] plain = model.forward(scope, batch).logits().toFloatArray();
            double moved = 0;
            for (int i = 0; i < plain.length; i++) {
                moved = Math.max(moved, Math.abs(plain[i] - resumed[i]));
            }
            assertTrue(moved > 1e-3, "the addition changed the logits: " + moved);

            IllegalArgumentException captures = assertThrows(IllegalArgumentException.class, () -> model.forward(scope,
                    batch, ForwardOptions.builder().resumeAfter(1, blockOutput).captureResiduals(true).build()));
            assertTrue(captures.getMessage().contains("captures no residuals"), captures.getMessage());
            IllegalArgumentException keys = assertThrows(IllegalArgumentException.class, () -> model.forward(scope,
                    batch, ForwardOptions.builder().resumeAfter(1, blockOutput).captureKeys(0).build()));
            assertTrue(keys.getMessage().contains("keys at layer 0"), keys.getMessage());
            NDArray wrong = scope.zeros(new Shape(1, 5, model.config().hiddenSize()), DataType.FLOAT32);
            IllegalArgumentException shape = assertThrows(IllegalArgumentException.class, () -> model.forward(scope,
                    batch, ForwardOptions.builder().resumeAfter(1, wrong).build()));
            assertTrue(shape.getMessage().contains("does not match the batch"), shape.getMessage());
            IllegalArgumentException early = assertThrows(IllegalArgumentException.class, () -> model.forward(scope,
                    batch, ForwardOptions.builder().resumeAfter(2, blockOutput).add(addition).build()));
            assertTrue(early.getMessage().contains("before the resumed layer"), early.getMessage());
        }
    }
}
