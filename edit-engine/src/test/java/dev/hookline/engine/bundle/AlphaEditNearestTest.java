/*
 * alphaedit-nearest (this project's method): AlphaEdit's update in hook layers under the nearest-edit
 * scope. Checked against the faithful in-place AlphaEdit as the independent computation: with the
 * gate open (threshold 0 admits every real position) two consecutive batches give the in-place
 * method's weight change as the hook delta and its outputs; the base weights stay frozen; with the gate
 * nearly shut, unrelated corpus lines keep the base model's logits to the bit; the method reads no
 * relation label; its bundle serves exactly, continues like one editor, and is no CoachHooK bundle.
 */
package dev.hookline.engine.bundle;

import static dev.hookline.engine.bundle.RelationSpanBundleTest.prompts;
import static dev.hookline.engine.bundle.SpanBundleTest.logits;
import static dev.hookline.engine.bundle.SpanBundleTest.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.Labels;
import dev.hookline.engine.edit.AlphaEditNearestParams;
import dev.hookline.engine.edit.AlphaEditParams;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlphaEditNearestTest {
    private static final int[] LAYERS = {0, 1};

    /** AlphaEdit's record with a null space of every eigenvalue below 1e6 (P = I on the untrained model). */
    private static AlphaEditParams update() {
        return new AlphaEditParams(LAYERS, 1e6, 1, HookBundleTest.FAST);
    }

    private static ClosedFormEditor hooked(Gpt2Model base, TextTokenizer tok, LayerStatistics stats, double alpha) {
        return ClosedFormEditor.alphaEditNearest(base, tok, stats, new AlphaEditNearestParams(update(), alpha, 1),
                RelationCatalogue.CONTEXT_PREFIXES);
    }

    /** Logits of every prompt run alone (no padding positions, which the scope never admits), concatenated. */
    private static float[] unpadded(Gpt2Model model, TextTokenizer tok, List<String> prompts, ForwardOptions options) {
        List<float[]> parts = new ArrayList<>();
        int n = 0;
        for (String p : prompts) {
            float[] l = logits(model, tok, List.of(p), options);
            parts.add(l);
            n += l.length;
        }
        float[] out = new float[n];
        int at = 0;
        for (float[] l : parts) {
            System.arraycopy(l, 0, out, at, l.length);
            at += l.length;
        }
        return out;
    }

    @Test
    void withTheGateOpenItIsTheInPlaceUpdateInAHook(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests().subList(0, 8);
        List<String> probe = prompts(requests);
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS,
                    tmp.resolve("stats"));
            float[] w0 = base.mlpProjectionWeight(1).toFloatArray();
            float[] unedited = unpadded(base, tok, probe, ForwardOptions.defaults());
            try (ClosedFormEditor inPlace = ClosedFormEditor.alphaEdit(base, tok, stats, update(),
                    RelationCatalogue.CONTEXT_PREFIXES);
                    ClosedFormEditor hook = hooked(base, tok, stats, 0)) {
                for (List<EditRequest> batch : List.of(requests.subList(0, 4), requests.subList(4, 8))) {
                    inPlace.apply(batch);
                    hook.apply(batch);
                }
                assertEquals("alphaedit-nearest", hook.method());
                assertEquals(8, hook.editCount());
                assertArrayEquals(w0, base.mlpProjectionWeight(1).toFloatArray(), 0f, "the base stays frozen");
                float[] expected = unpadded((Gpt2Model) inPlace.model(), tok, probe, ForwardOptions.defaults());
                float[] got = unpadded(base, tok, probe, hook.inferenceOptions());
                double effect = maxAbsDiff(unedited, expected);
                double diff = maxAbsDiff(expected, got);
                assertTrue(effect > 0.05, "the edits change the outputs: " + effect);
                assertTrue(diff < 1e-3 * Math.max(1, effect), "hooked outputs equal the in-place model's: " + diff
                        + " (edit effect " + effect + ")");
                for (int l : LAYERS) {
                    float[] change = inPlace.model().mlpProjectionWeight(l).sub(base.mlpProjectionWeight(l)).toFloatArray();
                    float[] delta = hook.delta(l);
                    double scale = 0;
                    for (float v : change) {
                        scale = Math.max(scale, Math.abs(v));
                    }
                    assertTrue(scale > 0, "layer " + l + " is edited");
                    assertTrue(maxAbsDiff(change, delta) < 1e-3 * scale, "layer " + l + ": the hook delta is the in-place"
                            + " weight change: " + maxAbsDiff(change, delta) + " of " + scale);
                }
            }
        }
    }

    @Test
    void aShutGateKeepsUnrelatedLinesAndLabelsDoNotEnter(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests().subList(0, 8);
        List<String> corpus = EditFixtures.corpus().subList(0, 6);
        List<String> probe = prompts(requests);
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS,
                    tmp.resolve("stats"));
            float[] unrelated = logits(base, tok, corpus, ForwardOptions.defaults());
            try (ClosedFormEditor shut = hooked(base, tok, stats, 0.999)) {
                shut.apply(requests.subList(0, 4));
                shut.apply(requests.subList(4, 8));
                assertArrayEquals(unrelated, logits(base, tok, corpus, shut.inferenceOptions()), 0f,
                        "no unrelated position passes a 0.999 gate: the base's logits to the bit");
            }
            float[] expected = null;
            for (String labels : List.of("given", "none", "wrong:0.2")) {
                List<EditRequest> labelled = Labels.parse(labels).apply(requests);
                try (ClosedFormEditor editor = hooked(base, tok, stats, 0.3)) {
                    editor.apply(labelled.subList(0, 4));
                    editor.apply(labelled.subList(4, 8));
                    float[] out = logits(base, tok, probe, editor.inferenceOptions());
                    if (expected == null) {
                        expected = out;
                        assertFalse(maxAbsDiff(logits(base, tok, probe, ForwardOptions.defaults()), out) < 1e-4,
                                "the hooks change some outputs");
                    } else {
                        assertArrayEquals(expected, out, 0f, "labels " + labels + " give the same hooks");
                    }
                }
            }
        }
    }

    @Test
    void itsBundleServesExactlyContinuesAndIsNotACoachHookBundle(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests();
        List<String> probe = prompts(requests.subList(0, 20));
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            String digest = Digests.model(base);
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS,
                    tmp.resolve("stats"));
            float[] expected10;
            float[] expected20;
            try (ClosedFormEditor editor = hooked(base, tok, stats, 0.3)) {
                editor.apply(requests.subList(0, 10));
                HookBundle ten = editor.snapshot(digest, null, "{}");
                assertEquals("alphaedit-nearest", ten.method());
                assertEquals(HookBundle.NEAREST, ten.scope());
                ten.write(tmp.resolve("v10"));
                expected10 = logits(base, tok, probe, editor.inferenceOptions());
                HookBundle serving = HookBundle.read(tmp.resolve("v10"), false);
                try (NDManager hooks = NDManager.newBaseManager(base.device())) {
                    Map<Integer, HookLayer> installed = HookedModel.install(base, serving, hooks);
                    assertArrayEquals(expected10, logits(base, tok, probe, ForwardOptions.builder().hooks(installed).build()),
                            0f, "the serving part reproduces the editor exactly");
                }
                editor.apply(requests.subList(10, 20));
                expected20 = logits(base, tok, probe, editor.inferenceOptions());
            }
            // Chained: restore v10 (deltas, K_p K_p^T, edited keys) and edit 10 more == 20 edits in one editor.
            try (ClosedFormEditor resumed = hooked(base, tok, stats, 0.3)) {
                resumed.restore(HookBundle.read(tmp.resolve("v10")));
                assertArrayEquals(expected10, logits(base, tok, probe, resumed.inferenceOptions()), 0f,
                        "the restored editor equals the saved version");
                resumed.apply(requests.subList(10, 20));
                double diff = maxAbsDiff(expected20, logits(base, tok, probe, resumed.inferenceOptions()));
                assertTrue(diff <= 1e-4, "chained 10 + 10 equals 20 in one editor: max |diff| " + diff);
            }
            // A coachhook-nearest editor cannot continue it (its editing part is K_p K_p^T, not C_accu), nor the reverse.
            CoachHookParams nearest = new CoachHookParams(LAYERS, 10, 0.3, "nearest", HookBundleTest.FAST, 0, 1,
                    CoachHookParams.VALUE_HOOKS_VALIDATED, CoachHookParams.SCOPE_KEYS_MEAN_PLAIN, 1);
            try (ClosedFormEditor coach = ClosedFormEditor.span(base, tok, stats, nearest,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-nearest", false)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> coach.restore(HookBundle.read(tmp.resolve("v10"))));
                assertTrue(e.getMessage().contains("alphaedit-nearest"), e.getMessage());
                coach.apply(requests.subList(0, 4));
                coach.snapshot(digest, null, "{}").write(tmp.resolve("coach"));
            }
            try (ClosedFormEditor editor = hooked(base, tok, stats, 0.3)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> editor.restore(HookBundle.read(tmp.resolve("coach"))));
                assertTrue(e.getMessage().contains("coachhook-nearest"), e.getMessage());
            }
        }
    }
}
