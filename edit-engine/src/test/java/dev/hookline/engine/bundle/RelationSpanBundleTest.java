/*
 * Per-relation span bundles (format hookline-hook-bundle/3, method coachhook-span-relation): the
 * serving part alone reproduces the editor's hooked outputs, the relations' inverses add up to the
 * accumulated keys of C_accu, continued editing from a bundle equals editing in one editor, one
 * relation behaves as the one-span scope, and mismatched manifests or editors are refused.
 */
package dev.hookline.engine.bundle;

import static dev.hookline.engine.bundle.SpanBundleTest.logits;
import static dev.hookline.engine.bundle.SpanBundleTest.maxAbsDiff;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.EditPrompts;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.RelationSpanScope;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RelationSpanBundleTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final int[] LAYERS = {0, 1};

    /** Each request's edit prompt, first paraphrase and up to two neighbourhood prompts. */
    static List<String> prompts(List<EditRequest> requests) {
        List<String> out = new ArrayList<>();
        for (EditRequest r : requests) {
            out.add(r.filledPrompt());
            out.add(r.paraphrasePrompts().get(0));
            out.addAll(r.neighborhoodPrompts().subList(0, Math.min(2, r.neighborhoodPrompts().size())));
        }
        return out;
    }

    private static CoachHookParams params(double alpha) {
        return new CoachHookParams(LAYERS, 10, alpha, "span-relation", HookBundleTest.FAST, 0, 1,
                CoachHookParams.VALUE_HOOKS_VALIDATED);
    }

    private static ClosedFormEditor editor(Gpt2Model base, TextTokenizer tok, LayerStatistics stats, CoachHookParams p) {
        return ClosedFormEditor.span(base, tok, stats, p, RelationCatalogue.CONTEXT_PREFIXES, "coachhook-span-relation",
                false);
    }

    private static int routeCount(ClosedFormEditor editor) {
        return ((RelationSpanScope) ((HookLayer) editor.inferenceOptions().hooks().get(1)).scope()).routeCount();
    }

    @Test
    void relationBundleServesExactlyAddsUpAndContinues(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests();
        List<String> probe = prompts(requests.subList(0, 20));
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            String digest = Digests.model(base);
            int ff = base.config().mlpSize();
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS,
                    tmp.resolve("stats"));
            CoachHookParams params = params(0.5);
            float[] expected10;
            float[] expected20;
            long stateBytes;
            try (ClosedFormEditor editor = editor(base, tok, stats, params)) {
                editor.apply(requests.subList(0, 10));
                HookBundle ten = editor.snapshot(digest, null, "{}");
                assertEquals(HookBundle.SPAN_RELATION, ten.scope());
                assertEquals(CoachHookParams.SCOPE_KEYS_MEAN, ten.relationScopes().scopeKeys());
                ten.write(tmp.resolve("v10"));
                expected10 = logits(base, tok, probe, editor.inferenceOptions());
                assertTrue(maxAbsDiff(logits(base, tok, probe, ForwardOptions.defaults()), expected10) > 1e-4,
                        "the hooks change some outputs");
                List<String> labels = new ArrayList<>(new LinkedHashSet<>(
                        requests.subList(0, 10).stream().map(EditRequest::relation).toList()));
                assertEquals(labels, ten.relationScopes().names(), "one span per relation, in order of first edit");
                assertTrue(labels.size() >= 3, "the fixture's first 10 edits span several relations: " + labels);

                // The serving part alone reproduces the editor's outputs, its routing included.
                HookBundle serving = HookBundle.read(tmp.resolve("v10"), false);
                try (NDManager hooks = NDManager.newBaseManager(base.device())) {
                    Map<Integer, HookLayer> installed = HookedModel.install(base, serving, hooks);
                    assertTrue(installed.get(1).scope() instanceof RelationSpanScope);
                    assertArrayEquals(expected10, logits(base, tok, probe, ForwardOptions.builder().hooks(installed).build()),
                            0f, "bundle reproduces the editor exactly");
                }
                // Independent check of the per-relation bookkeeping: sum_r ((lambda_s C0 + K_r K_r^T) - lambda_s C0)
                // = sum K K^T = C_accu - lambda C0.
                HookBundle full = HookBundle.read(tmp.resolve("v10"));
                for (int l : LAYERS) {
                    try (NDManager m = NDManager.newBaseManager()) {
                        NDArray c0 = m.create(stats.c0(l), new Shape(ff, ff));
                        NDArray held = m.create(full.cAccu().get(l), new Shape(ff, ff)).sub(c0.mul(params.lambda()));
                        NDArray fromRelations = m.zeros(new Shape(ff, ff), held.getDataType());
                        for (double[] inv : full.relationScopes().inverses().get(l)) {
                            fromRelations = fromRelations.add(m.create(inv, new Shape(ff, ff)).inverse()
                                    .sub(c0.mul(params.scopeLambda())));
                        }
                        double rel = held.sub(fromRelations).norm().getDouble() / held.norm().getDouble();
                        assertTrue(rel < 1e-6, "layer " + l + ": relations' key covariances add up to C_accu's: " + rel);
                    }
                }
                editor.apply(requests.subList(10, 20));
                expected20 = logits(base, tok, probe, editor.inferenceOptions());
                stateBytes = editor.stateBytes();
                editor.snapshot(digest, HookBundle.digest(tmp.resolve("v10")), "{}").write(tmp.resolve("v20"));
            }
            HookBundle v20 = HookBundle.read(tmp.resolve("v20"));
            int relations = v20.relationScopes().names().size();
            long d = base.config().hiddenSize();
            long tensors = LAYERS.length * (ff * d * 4L + 8 + (1 + relations) * (long) ff * ff * 8 + relations * ff * 8L);
            long servingBytes = Files.size(tmp.resolve("v20").resolve(HookBundle.SERVING));
            assertTrue(servingBytes >= tensors && servingBytes < tensors + 8192,
                    "serving = deltas, alphas, (lambda_s C0)^-1 and an inverse and key sum per relation: " + servingBytes
                            + " vs " + tensors);
            // editing state besides the serving tensors: C_accu and the scope's whitening W per layer
            assertEquals(tensors + 2 * LAYERS.length * (long) ff * ff * 8 + relations * 8L * LAYERS.length, stateBytes);
            assertEquals(20, v20.relationScopes().edits().stream().mapToInt(Integer::intValue).sum());
            var manifest = JSON.readTree(tmp.resolve("v20").resolve(HookBundle.MANIFEST).toFile());
            assertEquals(HookBundle.FORMAT_SPAN_RELATION, manifest.path("format").asText());
            assertEquals(relations, manifest.path("relations").size());

            // Chained: restore v10 and edit 10 more == 20 edits in one editor.
            try (ClosedFormEditor resumed = editor(base, tok, stats, params)) {
                resumed.restore(HookBundle.read(tmp.resolve("v10")));
                assertArrayEquals(expected10, logits(base, tok, probe, resumed.inferenceOptions()), 0f,
                        "restored per-relation editor equals the saved version");
                resumed.apply(requests.subList(10, 20));
                double diff = maxAbsDiff(expected20, logits(base, tok, probe, resumed.inferenceOptions()));
                assertTrue(diff <= 1e-4, "chained 10 + 10 equals 20 in one editor: max |diff| " + diff);
            }
            // A one-span editor refuses the bundle, and the per-relation editor refuses a one-span bundle.
            CoachHookParams oneSpan = new CoachHookParams(LAYERS, 10, 0.5, "span", HookBundleTest.FAST, 0, 1,
                    CoachHookParams.VALUE_HOOKS_VALIDATED);
            try (ClosedFormEditor span = ClosedFormEditor.span(base, tok, stats, oneSpan, RelationCatalogue.CONTEXT_PREFIXES,
                    "coachhook-span", false)) {
                assertThrows(IllegalArgumentException.class, () -> span.restore(HookBundle.read(tmp.resolve("v10"))));
                span.apply(requests.subList(0, 2));
                span.snapshot(digest, null, "{}").write(tmp.resolve("one-span"));
            }
            try (ClosedFormEditor relation = editor(base, tok, stats, params)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> relation.restore(HookBundle.read(tmp.resolve("one-span"))));
                assertTrue(e.getMessage().contains("scope"), e.getMessage());
                assertThrows(IllegalStateException.class, () -> relation.snapshot(digest, null, "{}"),
                        "no edits: no relation to save");
            }
            // A manifest whose format or relation list does not fit is refused.
            Path v10 = tmp.resolve("v10").resolve(HookBundle.MANIFEST);
            byte[] original = Files.readAllBytes(v10);
            ObjectNode forged = (ObjectNode) JSON.readTree(original);
            forged.put("format", HookBundle.FORMAT_SPAN);
            Files.write(v10, JSON.writeValueAsBytes(forged));
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HookBundle.read(tmp.resolve("v10")));
            assertTrue(e.getMessage().contains("format"), e.getMessage());
            forged = (ObjectNode) JSON.readTree(original);
            forged.putArray("relations");
            Files.write(v10, JSON.writeValueAsBytes(forged));
            assertThrows(IllegalArgumentException.class, () -> HookBundle.read(tmp.resolve("v10")));
        }
    }

    @Test
    void oneRelationEditsLikeTheOneSpanScopeAndUnlabelledEditsShareOne(@TempDir Path tmp) throws Exception {
        List<EditRequest> all = EditFixtures.requests();
        String first = all.get(0).relation();
        List<EditRequest> one = all.stream().filter(r -> r.relation().equals(first)).limit(12).toList();
        assertEquals(12, one.size());
        List<String> probe = prompts(one);
        probe.addAll(prompts(all.subList(1, 6)));
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS,
                    tmp.resolve("stats"));
            CoachHookParams oneSpan = new CoachHookParams(LAYERS, 10, 0.5, "span", HookBundleTest.FAST, 0, 1,
                    CoachHookParams.VALUE_HOOKS_VALIDATED);
            float[] spanLogits;
            try (ClosedFormEditor span = ClosedFormEditor.span(base, tok, stats, oneSpan, RelationCatalogue.CONTEXT_PREFIXES,
                    "coachhook-span", false)) {
                span.apply(one.subList(0, 6));
                span.apply(one.subList(6, 12));
                spanLogits = logits(base, tok, probe, span.inferenceOptions());
            }
            try (ClosedFormEditor relation = editor(base, tok, stats, params(0.5))) {
                relation.apply(one.subList(0, 6));
                relation.apply(one.subList(6, 12));
                double diff = maxAbsDiff(spanLogits, logits(base, tok, probe, relation.inferenceOptions()));
                assertTrue(diff <= 1e-5, "edits of one relation: per-relation scope == one span, max |diff| " + diff);
            }
            // Edits without a relation label share one span, saved under the unlabelled name.
            List<EditRequest> unlabelled = all.subList(0, 6).stream().map(r -> new EditRequest(r.caseId(), r.subject(),
                    r.prompt(), r.targetNew(), r.targetTrue(), r.paraphrasePrompts(), r.neighborhoodPrompts(),
                    r.neighborhoodTarget(), r.localityPrompts(), r.localityTargets())).toList();
            try (ClosedFormEditor relation = editor(base, tok, stats, params(0.5))) {
                relation.apply(unlabelled);
                assertEquals(List.of(ClosedFormEditor.UNLABELLED),
                        relation.snapshot("x", null, "{}").relationScopes().names());
            }
        }
    }

    @Test
    void meanPlainSpansHoldThePlainPromptKeysTooAndContinue(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests();
        List<String> probe = prompts(requests.subList(0, 20));
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            String digest = Digests.model(base);
            int ff = base.config().mlpSize();
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS,
                    tmp.resolve("stats"));
            // The default record's key set and two routes per key.
            CoachHookParams params = params(0.5).withScopeKeys(CoachHookParams.SCOPE_KEYS_MEAN_PLAIN).withScopeRoutes(2);
            float[] expected10;
            float[] expected20;
            try (ClosedFormEditor editor = editor(base, tok, stats, params)) {
                editor.apply(requests.subList(0, 10));
                editor.snapshot(digest, null, "{}").write(tmp.resolve("v10"));
                expected10 = logits(base, tok, probe, editor.inferenceOptions());
                assertEquals(2, routeCount(editor));
                try (ClosedFormEditor oneRoute = editor(base, tok, stats, params.withScopeRoutes(1))) {
                    oneRoute.restore(HookBundle.read(tmp.resolve("v10")));
                    assertEquals(1, routeCount(oneRoute), "the editor's record decides, not the restored bundle");
                }
                editor.apply(requests.subList(10, 20));
                expected20 = logits(base, tok, probe, editor.inferenceOptions());
            }
            HookBundle v10 = HookBundle.read(tmp.resolve("v10"));
            assertEquals(CoachHookParams.SCOPE_KEYS_MEAN_PLAIN, v10.relationScopes().scopeKeys());
            assertEquals(2, v10.relationScopes().routes());
            assertEquals(2, JSON.readTree(tmp.resolve("v10").resolve(HookBundle.MANIFEST).toFile()).path("relationRoutes")
                    .asInt());
            try (NDManager hooks = NDManager.newBaseManager(base.device())) {
                Map<Integer, HookLayer> installed = HookedModel.install(base, HookBundle.read(tmp.resolve("v10"), false),
                        hooks);
                assertEquals(2, ((RelationSpanScope) installed.get(1).scope()).routeCount());
                assertArrayEquals(expected10, logits(base, tok, probe, ForwardOptions.builder().hooks(installed).build()),
                        0f, "the serving part reproduces the two-route editor exactly");
            }
            assertEquals(CoachHookParams.SCOPE_KEYS_MEAN_PLAIN,
                    JSON.readTree(tmp.resolve("v10").resolve(HookBundle.MANIFEST).toFile()).path("relationScopeKeys").asText());
            // Independent check at layer 0 (its keys do not depend on any hook): the relations' spans hold
            // sum (mean mean^T + plain plain^T) = (C_accu - lambda C0) + sum plain plain^T, the plain prompts'
            // keys read here from the unedited model at each prompt's edit position.
            int layer = LAYERS[0];
            try (NDManager m = NDManager.newBaseManager()) {
                List<int[]> rows = new ArrayList<>();
                int[] at = new int[10];
                for (int i = 0; i < 10; i++) {
                    EditPrompts p = EditPrompts.of(requests.get(i), tok, RelationCatalogue.CONTEXT_PREFIXES.subList(0,
                            HookBundleTest.FAST.contextVariants()), HookBundleTest.FAST.editToken().equals("last"));
                    rows.add(p.variants().get(0));
                    at[i] = p.subjectLast()[0];
                }
                NDArray keys = base.forward(m, TokenBatch.of(rows, base.config().eosTokenId()), ForwardOptions.builder()
                        .captureKeys(layer).computeLogits(false).build()).keys(layer).toType(DataType.FLOAT64, false);
                NDArray c0 = m.create(stats.c0(layer), new Shape(ff, ff));
                NDArray expected = m.create(v10.cAccu().get(layer), new Shape(ff, ff)).sub(c0.mul(params.lambda()));
                for (int i = 0; i < 10; i++) {
                    NDArray k = keys.get(i).get(at[i]).reshape(ff, 1);
                    expected = expected.add(k.matMul(k.transpose()));
                }
                NDArray fromRelations = m.zeros(new Shape(ff, ff), DataType.FLOAT64);
                for (double[] inv : v10.relationScopes().inverses().get(layer)) {
                    fromRelations = fromRelations.add(m.create(inv, new Shape(ff, ff)).inverse()
                            .sub(c0.mul(params.scopeLambda())));
                }
                double rel = expected.sub(fromRelations).norm().getDouble() / expected.norm().getDouble();
                assertTrue(rel < 1e-6, "relations' spans hold the mean and the plain keys: " + rel);
            }
            // Chained 10 + 10 equals 20 in one editor; an editor of the other key set refuses the bundle.
            try (ClosedFormEditor resumed = editor(base, tok, stats, params)) {
                resumed.restore(v10);
                resumed.apply(requests.subList(10, 20));
                double diff = maxAbsDiff(expected20, logits(base, tok, probe, resumed.inferenceOptions()));
                assertTrue(diff <= 1e-4, "chained 10 + 10 equals 20 in one editor: max |diff| " + diff);
            }
            try (ClosedFormEditor meanOnly = editor(base, tok, stats, params(0.5))) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> meanOnly.restore(v10));
                assertTrue(e.getMessage().contains("mean+plain"), e.getMessage());
            }
            // A manifest written before the field existed reads as mean keys.
            Path manifest = tmp.resolve("v10").resolve(HookBundle.MANIFEST);
            ObjectNode old = (ObjectNode) JSON.readTree(manifest.toFile());
            old.remove("relationScopeKeys");
            old.remove("relationRoutes");
            Files.write(manifest, JSON.writeValueAsBytes(old));
            HookBundle before = HookBundle.read(tmp.resolve("v10"), false);
            assertEquals(CoachHookParams.SCOPE_KEYS_MEAN, before.relationScopes().scopeKeys());
            assertEquals(1, before.relationScopes().routes(), "bundles from before the field score under one route");
            old.put("relationRoutes", 3);
            Files.write(manifest, JSON.writeValueAsBytes(old));
            IllegalArgumentException bad = assertThrows(IllegalArgumentException.class,
                    () -> HookBundle.read(tmp.resolve("v10"), false));
            assertTrue(bad.getMessage().contains("1 or 2"), bad.getMessage());
        }
    }
}
