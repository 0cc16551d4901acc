/*
 * Nearest-edit bundles (format hookline-hook-bundle/4, method coachhook-nearest): the serving part
 * alone reproduces the editor's hooked outputs, the bundle holds two keys per edit, continued
 * editing from a bundle equals editing in one editor, and other scopes' bundles and editors are
 * refused both ways. Relation labels do not enter the method: the data's labels, none and 20 %
 * wrong ones give the same hooks to the bit (issue 29: the recommended method must not need them).
 */
package dev.hookline.engine.bundle;

import static dev.hookline.engine.bundle.RelationSpanBundleTest.prompts;
import static dev.hookline.engine.bundle.SpanBundleTest.logits;
import static dev.hookline.engine.bundle.SpanBundleTest.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.Labels;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.NearestKeyScope;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NearestBundleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] LAYERS = {0, 1};

    private static ClosedFormEditor editor(Gpt2Model base, TextTokenizer tok, LayerStatistics stats, CoachHookParams p) {
        return ClosedFormEditor.span(base, tok, stats, p, RelationCatalogue.CONTEXT_PREFIXES, "coachhook-nearest", false);
    }

    @Test
    void nearestBundleServesExactlyAndContinues(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests();
        List<String> probe = prompts(requests.subList(0, 20));
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            String digest = Digests.model(base);
            int ff = base.config().mlpSize();
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS,
                    tmp.resolve("stats"));
            CoachHookParams params = new CoachHookParams(LAYERS, 10, 0.3, "nearest", HookBundleTest.FAST, 0, 1,
                    CoachHookParams.VALUE_HOOKS_VALIDATED, CoachHookParams.SCOPE_KEYS_MEAN_PLAIN, 1);
            float[] expected10;
            float[] expected20;
            try (ClosedFormEditor editor = editor(base, tok, stats, params)) {
                assertThrows(IllegalStateException.class, () -> editor.snapshot(digest, null, "{}"),
                        "no edits: no keys to save");
                editor.apply(requests.subList(0, 10));
                HookBundle ten = editor.snapshot(digest, null, "{}");
                assertEquals(HookBundle.NEAREST, ten.scope());
                assertEquals(20, ten.nearestScope().keyCount(), "the mean and the plain prompt's key of each edit");
                ten.write(tmp.resolve("v10"));
                expected10 = logits(base, tok, probe, editor.inferenceOptions());
                assertTrue(maxAbsDiff(logits(base, tok, probe, ForwardOptions.defaults()), expected10) > 1e-4,
                        "the hooks change some outputs");
                HookBundle serving = HookBundle.read(tmp.resolve("v10"), false);
                try (NDManager hooks = NDManager.newBaseManager(base.device())) {
                    Map<Integer, HookLayer> installed = HookedModel.install(base, serving, hooks);
                    assertTrue(installed.get(1).scope() instanceof NearestKeyScope);
                    assertArrayEquals(expected10, logits(base, tok, probe, ForwardOptions.builder().hooks(installed).build()),
                            0f, "the serving part reproduces the editor exactly");
                }
                editor.apply(requests.subList(10, 20));
                expected20 = logits(base, tok, probe, editor.inferenceOptions());
                editor.snapshot(digest, HookBundle.digest(tmp.resolve("v10")), "{}").write(tmp.resolve("v20"));
            }
            HookBundle v20 = HookBundle.read(tmp.resolve("v20"));
            assertEquals(40, v20.nearestScope().keyCount());
            long d = base.config().hiddenSize();
            long tensors = LAYERS.length * (ff * d * 4L + 8 + (long) ff * ff * 4 + 40L * ff * 4);
            long servingBytes = Files.size(tmp.resolve("v20").resolve(HookBundle.SERVING));
            assertTrue(servingBytes >= tensors && servingBytes < tensors + 8192,
                    "serving = deltas, alphas, W^T and 40 keys per layer: " + servingBytes + " vs " + tensors);
            var manifest = JSON.readTree(tmp.resolve("v20").resolve(HookBundle.MANIFEST).toFile());
            assertEquals(HookBundle.FORMAT_NEAREST, manifest.path("format").asText());
            assertEquals(40, manifest.path("nearestKeys").asInt());

            // Chained: restore v10 and edit 10 more == 20 edits in one editor.
            try (ClosedFormEditor resumed = editor(base, tok, stats, params)) {
                resumed.restore(HookBundle.read(tmp.resolve("v10")));
                assertArrayEquals(expected10, logits(base, tok, probe, resumed.inferenceOptions()), 0f,
                        "the restored editor equals the saved version");
                resumed.apply(requests.subList(10, 20));
                double diff = maxAbsDiff(expected20, logits(base, tok, probe, resumed.inferenceOptions()));
                assertTrue(diff <= 1e-4, "chained 10 + 10 equals 20 in one editor: max |diff| " + diff);
            }
            // Another scope lambda, another scope's editor and bare deltas are refused.
            CoachHookParams otherLambda = new CoachHookParams(LAYERS, 10, 0.3, "nearest", HookBundleTest.FAST, 0, 2,
                    CoachHookParams.VALUE_HOOKS_VALIDATED, CoachHookParams.SCOPE_KEYS_MEAN_PLAIN, 1);
            try (ClosedFormEditor other = editor(base, tok, stats, otherLambda)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> other.restore(HookBundle.read(tmp.resolve("v10"))));
                assertTrue(e.getMessage().contains("scope lambda"), e.getMessage());
                HookBundle v10 = HookBundle.read(tmp.resolve("v10"));
                assertThrows(IllegalArgumentException.class,
                        () -> other.restore(v10.deltas(), v10.cAccu(), v10.alpha(), v10.edits()));
            }
            CoachHookParams relation = new CoachHookParams(LAYERS, 10, 0.5, "span-relation", HookBundleTest.FAST, 0, 1,
                    CoachHookParams.VALUE_HOOKS_VALIDATED);
            try (ClosedFormEditor span = ClosedFormEditor.span(base, tok, stats, relation,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span-relation", false)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> span.restore(HookBundle.read(tmp.resolve("v10"))));
                assertTrue(e.getMessage().contains("scope"), e.getMessage());
            }
            // A manifest whose format does not fit its scope is refused.
            Path v10 = tmp.resolve("v10").resolve(HookBundle.MANIFEST);
            ObjectNode forged = (ObjectNode) JSON.readTree(Files.readAllBytes(v10));
            forged.put("format", HookBundle.FORMAT_SPAN);
            Files.write(v10, JSON.writeValueAsBytes(forged));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HookBundle.read(tmp.resolve("v10")));
            assertTrue(e.getMessage().contains("format"), e.getMessage());
        }
    }
    @Test
    void relationLabelsDoNotChangeTheHooks(@TempDir Path tmp) throws Exception {
        List<EditRequest> given = EditFixtures.requests().subList(0, 12);
        assertTrue(given.stream().map(EditRequest::relation).filter(Objects::nonNull).distinct().count() >= 2,
                "the fixture's edits carry labels of several relations");
        List<String> probe = prompts(given);
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS,
                    tmp.resolve("stats"));
            CoachHookParams params = new CoachHookParams(LAYERS, 10, 0.3, "nearest", HookBundleTest.FAST, 0, 1,
                    CoachHookParams.VALUE_HOOKS_VALIDATED, CoachHookParams.SCOPE_KEYS_MEAN_PLAIN, 1);
            float[] reference = null;
            for (String labels : new String[] {"given", "none", "wrong:0.2"}) {
                List<EditRequest> seen = Labels.parse(labels).apply(given);
                if (!labels.equals("given")) {
                    assertTrue(!seen.stream().map(EditRequest::relation).toList()
                            .equals(given.stream().map(EditRequest::relation).toList()), labels + " changes the labels");
                }
                try (ClosedFormEditor editor = editor(base, tok, stats, params)) {
                    editor.apply(seen.subList(0, 6));
                    editor.apply(seen.subList(6, 12));
                    float[] out = logits(base, tok, probe, editor.inferenceOptions());
                    if (reference == null) {
                        reference = out;
                        assertTrue(maxAbsDiff(logits(base, tok, probe, ForwardOptions.defaults()), out) > 1e-4,
                                "the hooks change some outputs");
                    } else {
                        assertArrayEquals(reference, out, 0f, "labels " + labels + " give the same hooked outputs");
                    }
                }
            }
        }
    }
}
