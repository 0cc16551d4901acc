/*
 * Span-scope hook bundles (format hookline-hook-bundle/2, method coachhook-span): the serving part
 * alone reproduces the editor's hooked outputs, sizes do not grow with edits, continued editing
 * from a bundle equals editing in one editor, and mismatched manifests or editors are refused.
 */
package dev.hookline.engine.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.SpanScope;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpanBundleTest {
    private static final ObjectMapper JSON = new ObjectMapper();

    /** Logits (rows, T, vocab) of the given prompts, flattened. */
    static float[] logits(Gpt2Model model, TextTokenizer tok, List<String> prompts, ForwardOptions options) {
        List<int[]> rows = new ArrayList<>();
        for (String p : prompts) {
            rows.add(tok.encode(p));
        }
        try (NDManager scope = NDManager.newBaseManager(model.device())) {
            return model.forward(scope, TokenBatch.of(rows, model.config().eosTokenId()), options).logits().toFloatArray();
        }
    }

    private static List<String> editPrompts(List<EditRequest> requests) {
        List<String> out = new ArrayList<>();
        for (EditRequest r : requests) {
            out.add(r.filledPrompt());
            out.add(r.paraphrasePrompts().get(0));
        }
        return out;
    }

    static double maxAbsDiff(float[] a, float[] b) {
        assertEquals(a.length, b.length);
        double diff = 0;
        for (int i = 0; i < a.length; i++) {
            diff = Math.max(diff, Math.abs(a[i] - b[i]));
        }
        return diff;
    }

    @Test
    void spanBundleServesExactlyAndContinues(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests();
        List<String> edited = editPrompts(requests.subList(0, 10));
        List<String> unrelated = EditFixtures.corpus().stream().filter(s -> !s.isBlank()).limit(12).toList();
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            String digest = Digests.model(base);
            int[] layers = {0, 1};
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, layers,
                    tmp.resolve("stats"));
            CoachHookParams params = new CoachHookParams(layers, 10, 0.5, "span", HookBundleTest.FAST);
            float[] expected10Edited;
            float[] expected10Unrelated;
            float[] expected20;
            long stateBytes;
            String d10;
            try (ClosedFormEditor editor = ClosedFormEditor.span(base, tok, stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", false)) {
                editor.apply(requests.subList(0, 10));
                HookBundle ten = editor.snapshot(digest, null, "{\"note\":\"span\"}");
                assertEquals(HookBundle.SPAN, ten.scope());
                d10 = ten.write(tmp.resolve("v10"));
                expected10Edited = logits(base, tok, edited, editor.inferenceOptions());
                expected10Unrelated = logits(base, tok, unrelated, editor.inferenceOptions());

                // The serving part alone, installed on the base model, reproduces the editor's outputs.
                HookBundle serving = HookBundle.read(tmp.resolve("v10"), false);
                assertNull(serving.cAccu(), "serving read skips C_accu");
                assertEquals("coachhook-span", serving.method());
                assertEquals(0.5, serving.alpha().get(1), 0.0, "the span threshold is fixed");
                try (NDManager hooks = NDManager.newBaseManager(base.device())) {
                    Map<Integer, HookLayer> installed = HookedModel.install(base, serving, hooks);
                    assertTrue(installed.get(0).scope() instanceof SpanScope, "span bundles install the span scope");
                    ForwardOptions o = ForwardOptions.builder().hooks(installed).build();
                    float[] edActual = logits(base, tok, edited, o);
                    float[] unActual = logits(base, tok, unrelated, o);
                    assertArrayEquals(expected10Edited, edActual, 0f, "edit prompts: bundle reproduces the editor exactly");
                    assertArrayEquals(expected10Unrelated, unActual, 0f, "unrelated prompts: bundle reproduces the editor exactly");
                    double change = maxAbsDiff(logits(base, tok, edited, ForwardOptions.defaults()), edActual);
                    assertTrue(change > 1e-4, "the span hooks change the edit prompts' outputs: " + change);

                    // The trace reports rho in [0, 1) and swaps exactly where rho >= alpha.
                    List<HookedModel.TokenTrace> trace = HookedModel.explain(
                            dev.hookline.engine.infer.LanguageModel.wrap(base, tok), installed, requests.get(0).filledPrompt());
                    int swaps = 0;
                    for (HookedModel.TokenTrace t : trace) {
                        assertTrue(t.z() >= -1e-6 && t.z() < 1, "rho in [0, 1): " + t);
                        assertEquals(t.z() >= t.alpha(), t.swapped(), "swap iff rho >= alpha: " + t);
                        swaps += t.swapped() ? 1 : 0;
                    }
                    assertTrue(swaps > 0, "the edit prompt swaps at some position");
                }

                editor.apply(requests.subList(10, 20));
                expected20 = logits(base, tok, edited, editor.inferenceOptions());
                stateBytes = editor.stateBytes();
                HookBundle twenty = editor.snapshot(digest, d10, "{\"note\":\"span\"}");
                twenty.write(tmp.resolve("v20"));
            }
            // Sizes do not depend on the number of edits; the serving part carries both inverses.
            for (String f : List.of(HookBundle.SERVING, HookBundle.EDITING)) {
                assertEquals(Files.size(tmp.resolve("v10").resolve(f)), Files.size(tmp.resolve("v20").resolve(f)),
                        f + " has the same size after 10 and 20 edits");
            }
            long ff = base.config().mlpSize();
            long d = base.config().hiddenSize();
            long servingBytes = Files.size(tmp.resolve("v20").resolve(HookBundle.SERVING));
            long tensorBytes = layers.length * (ff * d * 4 + 8 + 2 * ff * ff * 8);
            assertEquals(tensorBytes + layers.length * ff * ff * 8, stateBytes,
                    "stateBytes = the serving tensors (deltas, alphas, both scope inverses) + C_accu");
            assertTrue(servingBytes >= tensorBytes && servingBytes < tensorBytes + 4096,
                    "serving = deltas, alphas and 2 d_ff^2 float64 per layer (+ header): " + servingBytes + " vs " + tensorBytes);
            HookBundle v20 = HookBundle.read(tmp.resolve("v20"));
            assertEquals(20, v20.edits());
            assertEquals(d10, v20.parentDigest());
            assertNotNull(v20.cAccu());
            var manifest = JSON.readTree(tmp.resolve("v20").resolve(HookBundle.MANIFEST).toFile());
            assertEquals(HookBundle.FORMAT_SPAN, manifest.path("format").asText());
            assertEquals("span", manifest.path("scope").asText());

            // Chained: restore v10 into a new editor and edit 10 more == 20 edits in one editor.
            try (ClosedFormEditor resumed = ClosedFormEditor.span(base, tok, stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", false)) {
                resumed.restore(HookBundle.read(tmp.resolve("v10")));
                assertEquals(10, resumed.editCount());
                assertArrayEquals(expected10Edited, logits(base, tok, edited, resumed.inferenceOptions()), 0f,
                        "restored span editor (inverses recomputed from C_accu) equals the saved version");
                resumed.apply(requests.subList(10, 20));
                double diff = maxAbsDiff(expected20, logits(base, tok, edited, resumed.inferenceOptions()));
                // Same state bit for bit (float32 deltas, float64 C_accu), same deterministic CPU steps;
                // 1e-4 leaves room only for thread-order rounding in the value step.
                assertTrue(diff <= 1e-4, "chained 10 + 10 equals 20 in one editor: max |diff| " + diff);
            }
            // A span editor on another lambda, or a z-score editor, refuses the span bundle.
            try (ClosedFormEditor other = ClosedFormEditor.span(base, tok, stats, params.withLayersAndLambda(layers, 20),
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", false)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> other.restore(HookBundle.read(tmp.resolve("v10"))));
                assertTrue(e.getMessage().contains("lambda"), e.getMessage());
            }
            try (ClosedFormEditor zScore = ClosedFormEditor.coachHook(base, tok, stats,
                    new CoachHookParams(layers, 10, 2.2, "sequence", HookBundleTest.FAST), RelationCatalogue.CONTEXT_PREFIXES)) {
                assertThrows(IllegalArgumentException.class, () -> zScore.restore(HookBundle.read(tmp.resolve("v10"))));
                zScore.apply(requests.subList(0, 2));
                zScore.snapshot(digest, null, "{}").write(tmp.resolve("z"));
            }
            // z-score bundles keep format /1 (old readers still read them); a span scope under /1 is refused.
            assertEquals(HookBundle.FORMAT, JSON.readTree(tmp.resolve("z").resolve(HookBundle.MANIFEST).toFile())
                    .path("format").asText());
            assertEquals("sequence-z", HookBundle.read(tmp.resolve("z")).scope());
            ObjectNode forged = (ObjectNode) JSON.readTree(tmp.resolve("v10").resolve(HookBundle.MANIFEST).toFile());
            forged.put("format", HookBundle.FORMAT);
            Files.write(tmp.resolve("v10").resolve(HookBundle.MANIFEST), JSON.writeValueAsBytes(forged));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HookBundle.read(tmp.resolve("v10")));
            assertTrue(e.getMessage().contains("format"), e.getMessage());
        }
    }

    /** (x)^-1 of a row-major (n, n) float64 matrix, by DJL's LAPACK inverse. */
    private static double[] inverse(double[] x, int n) {
        try (NDManager m = NDManager.newBaseManager()) {
            return m.create(x, new ai.djl.ndarray.types.Shape(n, n)).inverse().toDoubleArray();
        }
    }

    private static double maxRelDiff(double[] expected, double[] actual) {
        assertEquals(expected.length, actual.length);
        double scale = 0;
        double diff = 0;
        for (int i = 0; i < expected.length; i++) {
            scale = Math.max(scale, Math.abs(expected[i]));
            diff = Math.max(diff, Math.abs(expected[i] - actual[i]));
        }
        return diff / scale;
    }

    @Test
    void scopeLambdaApartFromTheUpdates(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests();
        List<String> edited = editPrompts(requests.subList(0, 20));
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            String digest = Digests.model(base);
            int[] layers = {0, 1};
            int ff = base.config().mlpSize();
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, layers,
                    tmp.resolve("stats"));
            CoachHookParams coupled = new CoachHookParams(layers, 10, 0.5, "span", HookBundleTest.FAST);
            CoachHookParams apart = coupled.withScopeLambda(1);
            assertTrue(apart.scopeDecoupled() && !coupled.scopeDecoupled());
            assertEquals(1.0, apart.withLayersAndLambda(layers, 20).scopeLambda(), 0.0, "a set-apart scope lambda is kept");
            assertEquals(20.0, coupled.withLayersAndLambda(layers, 20).scopeLambda(), 0.0, "a coupled one follows lambda");
            assertThrows(IllegalArgumentException.class, () -> coupled.withScopeLambda(0));
            float[] expected20;
            try (ClosedFormEditor one = ClosedFormEditor.span(base, tok, stats, coupled,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", false);
                    ClosedFormEditor two = ClosedFormEditor.span(base, tok, stats, apart,
                            RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", false)) {
                one.apply(requests.subList(0, 10));
                two.apply(requests.subList(0, 10));
                // One batch: the update does not depend on the scope (no earlier hook), so both editors hold
                // the same keys and C_accu; rho falls with the scope lambda for every key (whitened: rho =
                // 1 - sum_i lambda / (lambda + s_i) c_i^2), so the smaller scope lambda scores every key higher.
                assertArrayEquals(one.cAccu(1), two.cAccu(1), 0.0, "C_accu is the update's, whatever the scope lambda");
                float[] sample = stats.corpusKeys(1);
                try (NDManager m = NDManager.newBaseManager(base.device())) {
                    var keys = m.create(sample, new ai.djl.ndarray.types.Shape(1, sample.length / ff, ff));
                    double[] rhoCoupled = ((SpanScope) one.scope(1)).keyScores(keys);
                    double[] rhoApart = ((SpanScope) two.scope(1)).keyScores(keys);
                    int higher = 0;
                    for (int i = 0; i < rhoApart.length; i++) {
                        assertTrue(rhoApart[i] >= rhoCoupled[i] - 1e-9, "key " + i + ": " + rhoApart[i] + " < " + rhoCoupled[i]);
                        higher += rhoApart[i] > rhoCoupled[i] + 1e-3 ? 1 : 0;
                    }
                    assertTrue(higher > 0, "the smaller scope lambda raises some scores");
                }
                two.apply(requests.subList(10, 20));
                expected20 = logits(base, tok, edited, two.inferenceOptions());
                HookBundle v20 = two.snapshot(digest, null, "{}");
                assertEquals(1.0, v20.scopeLambda(), 0.0);
                assertEquals(10.0, v20.lambda(), 0.0);
                // The scope's inverses are (lambda_s C0)^-1 and (lambda_s C0 + sum K K^T)^-1 =
                // (C_accu + (lambda_s - lambda) C0)^-1, checked against fresh inverses.
                for (int l : layers) {
                    double[] c0 = stats.c0(l);
                    double[] preserve = new double[c0.length];
                    double[] accumulated = new double[c0.length];
                    double[] cAccu = v20.cAccu().get(l);
                    for (int i = 0; i < c0.length; i++) {
                        preserve[i] = c0[i];
                        accumulated[i] = cAccu[i] - 9 * c0[i];
                    }
                    double pd = maxRelDiff(inverse(preserve, ff), v20.scopePreserveInverse().get(l));
                    double ad = maxRelDiff(inverse(accumulated, ff), v20.scopeAccuInverse().get(l));
                    assertTrue(pd < 1e-8, "layer " + l + " (lambda_s C0)^-1 rel diff " + pd);
                    assertTrue(ad < 1e-6, "layer " + l + " Woodbury-kept scope inverse vs fresh, rel diff " + ad);
                }
                String d20 = v20.write(tmp.resolve("v20"));
                assertEquals(1.0, JSON.readTree(tmp.resolve("v20").resolve(HookBundle.MANIFEST).toFile())
                        .path("scopeLambda").asDouble(), 0.0, "the manifest records the scope lambda");
                HookBundle serving = HookBundle.read(tmp.resolve("v20"), false);
                assertEquals(1.0, serving.scopeLambda(), 0.0);
                try (NDManager hooks = NDManager.newBaseManager(base.device())) {
                    ForwardOptions o = ForwardOptions.builder().hooks(HookedModel.install(base, serving, hooks)).build();
                    assertArrayEquals(expected20, logits(base, tok, edited, o), 0f, "serving part reproduces the editor");
                }
                assertNotNull(d20);
            }
            // Restore: the same scope lambda continues exactly; another (here: the coupled one) is refused.
            try (ClosedFormEditor resumed = ClosedFormEditor.span(base, tok, stats, apart,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", false)) {
                resumed.restore(HookBundle.read(tmp.resolve("v20")));
                double diff = maxAbsDiff(expected20, logits(base, tok, edited, resumed.inferenceOptions()));
                assertTrue(diff <= 1e-5, "restored scope inverse (recomputed from C_accu) serves the same: " + diff);
            }
            try (ClosedFormEditor other = ClosedFormEditor.span(base, tok, stats, coupled,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", false)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> other.restore(HookBundle.read(tmp.resolve("v20"))));
                assertTrue(e.getMessage().contains("scope lambda"), e.getMessage());
            }
        }
    }

    @Test
    void temporaryValueHooksStartTheValueStepFromTheHookedOutput(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests();
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            int[] layers = {0, 1};
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, layers,
                    tmp.resolve("stats"));
            // Threshold 1: rho < 1, so the validated hooks never swap; temporary ones always do.
            CoachHookParams validated = new CoachHookParams(layers, 10, 1.0, "span", HookBundleTest.FAST).withScopeLambda(1);
            CoachHookParams temporary = validated.withValueHooks(CoachHookParams.VALUE_HOOKS_TEMPORARY);
            assertEquals(CoachHookParams.VALUE_HOOKS_VALIDATED, validated.valueHooks(), "the paper's value step by default");
            assertEquals(CoachHookParams.VALUE_HOOKS_TEMPORARY,
                    temporary.withLayersAndLambda(layers, 20).withScopeLambda(2).withAlpha0(0.5).valueHooks(),
                    "the with-methods keep valueHooks");
            assertThrows(IllegalArgumentException.class, () -> validated.withValueHooks("always"));
            double[] fresh;
            try (ClosedFormEditor first = ClosedFormEditor.span(base, tok, stats, validated,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", false)) {
                fresh = first.apply(requests.subList(10, 20)).probabilityNew();
            }
            double[] afterValidated;
            double[] afterTemporary;
            try (ClosedFormEditor e = ClosedFormEditor.span(base, tok, stats, validated,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", false)) {
                e.apply(requests.subList(0, 10));
                afterValidated = e.apply(requests.subList(10, 20)).probabilityNew();
            }
            try (ClosedFormEditor e = ClosedFormEditor.span(base, tok, stats, temporary,
                    RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span", false)) {
                e.apply(requests.subList(0, 10));
                afterTemporary = e.apply(requests.subList(10, 20)).probabilityNew();
            }
            // P(new | delta) of batch 2's value step: with hooks that never swap it is as if nothing had been
            // edited; with temporary hooks it starts from batch 1's W_h and differs.
            assertArrayEquals(fresh, afterValidated, 1e-6, "validated hooks that never swap leave the value step alone");
            double diff = 0;
            for (int i = 0; i < fresh.length; i++) {
                diff = Math.max(diff, Math.abs(fresh[i] - afterTemporary[i]));
            }
            assertTrue(diff > 1e-4, "temporary hooks: batch 1's W_h changes batch 2's value step, max |diff| " + diff);
        }
    }
}
