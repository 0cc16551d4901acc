/*
 * A bundle records its base model's architecture: written and read back from the manifest, and a
 * base model of another architecture is refused when the bundle is installed or continued.
 */
package dev.hookline.engine.bundle;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDManager;
import dev.hookline.engine.edit.ArchitectureEditTest;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.HfArchitecturesTest;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class BundleArchitectureTest {

    @Test
    void bundleRecordsTheArchitectureAndRefusesAnother(@TempDir Path tmp) throws Exception {
        Path llamaDir = HfArchitecturesTest.fixture("hf-llama-micro");
        try (CausalLm llama = Checkpoint.loadModel(llamaDir, Engine.getInstance().defaultDevice());
                CausalLm qwen = Checkpoint.loadModel(HfArchitecturesTest.fixture("hf-qwen2-micro"),
                        Engine.getInstance().defaultDevice());
                TextTokenizer tok = TextTokenizer.loadDirectory(llamaDir)) {
            int[] layers = {1};
            String digest = Digests.model(llama);
            LayerStatistics stats = LayerStatistics.compute(llama, tok, ArchitectureEditTest.corpus(), 100, layers, digest);
            CoachHookParams params = new CoachHookParams(layers, 50, 2.2, "sequence",
                    new ValueStepParams(20, 0.3, 8.0, 0.0625, 0.01, 1, 0.002, "last"));
            Path dir = tmp.resolve("bundle");
            try (ClosedFormEditor editor = ClosedFormEditor.coachHook(llama, tok, stats, params, List.of(), "coachhook")) {
                editor.apply(ArchitectureEditTest.EDITS.subList(0, 1));
                editor.snapshot(digest, null, "{}").write(dir);
            }
            assertTrue(Files.readString(dir.resolve(HookBundle.MANIFEST)).contains("\"architecture\" : \"llama\"")
                    || Files.readString(dir.resolve(HookBundle.MANIFEST)).contains("\"architecture\":\"llama\""));
            HookBundle bundle = HookBundle.read(dir, true);
            assertEquals("llama", bundle.architecture());
            try (NDManager manager = NDManager.newBaseManager()) {
                assertEquals(1, HookedModel.install(llama, bundle, manager).size());
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> HookedModel.install(qwen, bundle, manager));
                assertTrue(e.getMessage().contains("bundle was made for a llama base model; this base model is qwen2"),
                        e.getMessage());
            }
            LayerStatistics qwenStats = LayerStatistics.compute(qwen, tok, ArchitectureEditTest.corpus(), 100, layers,
                    Digests.model(qwen));
            try (ClosedFormEditor continued = ClosedFormEditor.coachHook(qwen, tok, qwenStats, params, List.of(),
                    "coachhook")) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> continued.restore(bundle));
                assertTrue(e.getMessage().contains("llama"), e.getMessage());
            }
        }
    }
}
