/*
 * codebook-nearest's hook bundle (format /6): the nearest scope's whitening and keys plus one codebook row per
 * edited key, no editing part. Checked: a bundle written and read back serves exactly what the editor serves
 * (HookedModel.install), a version continued from it equals one editor that made every batch, and the delta
 * methods and codebook-nearest refuse each other's bundles.
 */
package dev.hookline.engine.bundle;

import static dev.hookline.engine.bundle.RelationSpanBundleTest.prompts;
import static dev.hookline.engine.bundle.SpanBundleTest.logits;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.AlphaEditNearestParams;
import dev.hookline.engine.edit.AlphaEditParams;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CodebookNearestParams;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodebookBundleTest {
    private static final int[] LAYERS = {1};

    private static ClosedFormEditor codebook(Gpt2Model base, TextTokenizer tok, LayerStatistics stats) {
        return ClosedFormEditor.codebookNearest(base, tok, stats, new CodebookNearestParams(LAYERS, 0.5, 1,
                HookBundleTest.FAST), RelationCatalogue.CONTEXT_PREFIXES);
    }

    @Test
    void itsBundleServesExactlyAndContinuesLikeOneEditor(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests().subList(0, 12);
        List<String> probe = new ArrayList<>(prompts(EditFixtures.requests().subList(0, 16)));
        probe.addAll(EditFixtures.corpus().subList(0, 4));
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            String digest = Digests.model(base);
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS,
                    tmp.resolve("stats"));
            float[] expected8;
            float[] expected12;
            try (ClosedFormEditor one = codebook(base, tok, stats)) {
                one.apply(requests.subList(0, 4));
                one.apply(requests.subList(4, 8));
                HookBundle eight = one.snapshot(digest, null, "{}");
                assertEquals(HookBundle.FORMAT_NEAREST_CODEBOOK, eight.format());
                assertNull(eight.cAccu(), "no editing part");
                eight.write(tmp.resolve("v8"));
                assertFalse(Files.exists(tmp.resolve("v8").resolve(HookBundle.EDITING)));
                expected8 = logits(base, tok, probe, one.inferenceOptions());
                one.apply(requests.subList(8, 12));
                expected12 = logits(base, tok, probe, one.inferenceOptions());
            }
            float[] unedited = logits(base, tok, probe, ForwardOptions.builder().build());
            assertTrue(SpanBundleTest.maxAbsDiff(unedited, expected8) > 1e-2, "the edits change the outputs");
            HookBundle read = HookBundle.read(tmp.resolve("v8"));
            assertEquals(16, read.nearestScope().keyCount());
            assertEquals(17L * base.config().hiddenSize(), read.nearestScope().codebook().get(1).length);
            try (NDManager hooks = NDManager.newBaseManager(base.device())) {
                Map<Integer, HookLayer> installed = HookedModel.install(base, HookBundle.read(tmp.resolve("v8"), false), hooks);
                assertArrayEquals(expected8, logits(base, tok, probe, ForwardOptions.builder().hooks(installed).build()), 0f,
                        "the serving part reproduces the editor exactly");
            }
            try (ClosedFormEditor resumed = codebook(base, tok, stats)) {
                resumed.restore(read);
                assertEquals(8, resumed.editCount());
                assertArrayEquals(expected8, logits(base, tok, probe, resumed.inferenceOptions()), 0f,
                        "the restored editor equals the saved version");
                resumed.apply(requests.subList(8, 12));
                assertArrayEquals(expected12, logits(base, tok, probe, resumed.inferenceOptions()), 1e-5f,
                        "and continues like the editor that made every batch");
            }
            // The delta methods and the codebook refuse each other's bundles.
            AlphaEditNearestParams aen = new AlphaEditNearestParams(new AlphaEditParams(LAYERS, 1e6, 1, HookBundleTest.FAST),
                    0.5, 1);
            try (ClosedFormEditor delta = ClosedFormEditor.alphaEditNearest(base, tok, stats, aen,
                    RelationCatalogue.CONTEXT_PREFIXES)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> delta.restore(read));
                assertTrue(e.getMessage().contains("cannot continue"), e.getMessage());
                delta.apply(requests.subList(0, 4));
                HookBundle deltaBundle = delta.snapshot(digest, null, "{}");
                try (ClosedFormEditor cb = codebook(base, tok, stats)) {
                    assertThrows(IllegalArgumentException.class, () -> cb.restore(deltaBundle));
                }
            }
        }
    }

    @Test
    void relationLabelsDoNotChangeTheRows(@TempDir Path tmp) throws Exception {
        List<EditRequest> given = EditFixtures.requests().subList(0, 12);
        assertTrue(given.stream().map(EditRequest::relation).filter(java.util.Objects::nonNull).distinct().count() >= 2,
                "the fixture's edits carry labels of several relations");
        List<String> probe = prompts(given);
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS,
                    tmp.resolve("stats"));
            float[] reference = null;
            float[] referenceRows = null;
            for (String labels : new String[] {"given", "none", "wrong:0.2"}) {
                List<EditRequest> seen = dev.hookline.engine.bench.Labels.parse(labels).apply(given);
                if (!labels.equals("given")) {
                    assertTrue(!seen.stream().map(EditRequest::relation).toList()
                            .equals(given.stream().map(EditRequest::relation).toList()), labels + " changes the labels");
                }
                try (ClosedFormEditor editor = codebook(base, tok, stats)) {
                    editor.apply(seen.subList(0, 6));
                    editor.apply(seen.subList(6, 12));
                    float[] out = logits(base, tok, probe, editor.inferenceOptions());
                    float[] rows = editor.validatedHooks().get(1).codebook().toFloatArray();
                    if (reference == null) {
                        reference = out;
                        referenceRows = rows;
                        assertTrue(SpanBundleTest.maxAbsDiff(logits(base, tok, probe, ForwardOptions.builder().build()), out)
                                > 1e-4, "the rows change some outputs");
                    } else {
                        assertArrayEquals(referenceRows, rows, 0f, "labels " + labels + " give the same rows");
                        assertArrayEquals(reference, out, 0f, "labels " + labels + " give the same hooked outputs");
                    }
                }
            }
        }
    }
}
