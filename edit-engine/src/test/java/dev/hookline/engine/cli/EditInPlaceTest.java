/*
 * `hookline edit` with an in-place method (ultraedit): writes an edited checkpoint whose editing
 * layer differs from the base and whose other weights do not; refuses --bundle for such a method
 * and a --labels value it cannot read, before writing anything.
 */
package dev.hookline.engine.cli;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.Device;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class EditInPlaceTest {
    @Test
    void ultraEditWritesAnEditedCheckpoint(@TempDir Path tmp) throws Exception {
        Path model = tmp.resolve("model");
        try (Gpt2Model m = EditFixtures.untrained(3)) {
            Checkpoint.save(m, EditFixtures.tinyWorld().resolve("tokenizer.json"), model);
        }
        Path data = EditFixtures.tinyWorld().resolve("counterfact.json");
        Path out = tmp.resolve("edited");
        int code = HooklineCli.execute(new String[] {"edit", "--model", model.toString(), "--data", data.toString(),
            "--edits", "4", "--batch", "2", "--method", "ultraedit", "--ultraedit-lr", "0.05", "--out", out.toString()});
        assertEquals(0, code);
        assertTrue(Files.isRegularFile(out.resolve(Checkpoint.WEIGHTS_FILE)));
        assertTrue(Files.isRegularFile(out.resolve(Checkpoint.TOKENIZER_FILE)));
        try (Gpt2Model base = Checkpoint.load(model, Device.cpu()); Gpt2Model edited = Checkpoint.load(out, Device.cpu())) {
            int last = base.config().layerCount() - 1; // the default editing layer: the last block
            assertNotEquals(0, maxDiff(base.mlpProjectionWeight(last).toFloatArray(),
                    edited.mlpProjectionWeight(last).toFloatArray()), "the editing layer changed");
            assertArrayEquals(base.mlpProjectionWeight(0).toFloatArray(), edited.mlpProjectionWeight(0).toFloatArray(),
                    0f, "other layers untouched");
        }
        Path refused = tmp.resolve("refused");
        assertNotEquals(0, HooklineCli.execute(new String[] {"edit", "--model", model.toString(), "--data",
            data.toString(), "--batch", "2", "--method", "ultraedit", "--bundle", tmp.toString(),
            "--out", refused.toString()}));
        assertFalse(Files.exists(refused), "nothing written");
        assertNotEquals(0, HooklineCli.execute(new String[] {"bench", "--model", model.toString(), "--data",
            data.toString(), "--edits", "2", "--batch", "2", "--labels", "wrong:x", "--out", refused.toString()}));
        assertFalse(Files.exists(refused.resolve("report.json")), "nothing written");
    }

    private static double maxDiff(float[] a, float[] b) {
        double out = 0;
        for (int i = 0; i < a.length; i++) {
            out = Math.max(out, Math.abs(a[i] - b[i]));
        }
        return out;
    }
}
