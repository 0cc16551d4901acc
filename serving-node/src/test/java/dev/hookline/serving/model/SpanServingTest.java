/*
 * Serving a coachhook-span bundle (format hookline-hook-bundle/2): two chained span bundles made
 * by the engine's `hookline edit --method coachhook-span` on the tiny model, loaded from a local
 * directory the way the node loads a version. The node's fast path equals the engine's reference
 * HookLayer bit for bit, answers equal the engine's HookedModel, edited prompts answer the new
 * object and unedited subjects answer as the base model does. A coachhook-span-relation bundle
 * (format /3), a coachhook-nearest bundle (format /4) and a codebook-nearest bundle (format /6) are served by the
 * same fast path, equal to the engine's hook and answers.
 */
package dev.hookline.serving.model;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import dev.hookline.data.CounterFactCase;
import dev.hookline.data.CounterFactDataset;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.bundle.HookedModel;
import dev.hookline.engine.cli.HooklineCli;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.NearestKeyScope;
import dev.hookline.engine.hook.RelationSpanScope;
import dev.hookline.engine.hook.ScopeTest;
import dev.hookline.engine.hook.SpanScope;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.serving.TestBundles;
import dev.hookline.testkit.TestModels;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SpanServingTest {
    private static final int TOKENS = 3;

    /**
     * `hookline edit --method coachhook-span` with the tiny model's span record: the span threshold is
     * per model (docs/BENCHMARKS.md, third session: on d_ff 384 lambda 300, and 0.7 is already too
     * high for paraphrases), the default 0.8 / 1500 is tuned for d_ff 1536.
     */
    private static void edit(Path model, Path parent, Path data, Path out) {
        List<String> args = new ArrayList<>(List.of("edit", "--method", "coachhook-span", "--model", model.toString(),
                "--data", data.toString(), "--corpus", model.resolve("world/corpus.txt").toString(), "--batch", "5",
                "--span-lambda", "300", "--span-alpha", "0.5", "--out", out.toString()));
        if (parent != null) {
            args.addAll(List.of("--bundle", parent.toString()));
        }
        assertEquals(0, HooklineCli.execute(args.toArray(String[]::new)), "hookline edit --method coachhook-span " + args);
    }

    @Test
    void spanBundleServesNewFactsAndLeavesOtherSubjectsAlone(@TempDir Path tmp) throws Exception {
        TestBundles.Fixture fx = TestBundles.tiny();
        Path casesA = fx.bundleA().getParent().resolve("cases-a.json");
        Path casesB = fx.bundleA().getParent().resolve("cases-b.json");
        edit(fx.model(), null, casesA, tmp.resolve("span-a"));
        edit(fx.model(), tmp.resolve("span-a"), casesB, tmp.resolve("span-b"));
        Path bundle = tmp.resolve("span-b");
        HookBundle serving = HookBundle.read(bundle, false);
        assertEquals("span", serving.scope());
        assertEquals("coachhook-span", serving.method());
        assertEquals(10, serving.edits());
        assertEquals(HookBundle.digest(tmp.resolve("span-a")), serving.parentDigest());

        List<EditRequest> edited = new ArrayList<>(CounterFactDataset.toEditRequests(fx.casesA()));
        edited.addAll(CounterFactDataset.toEditRequests(fx.casesB()));
        List<CounterFactCase> all = CounterFactDataset.load(TestModels.tiny().resolve("world/counterfact.json"));
        List<String> editedPrompts = edited.stream().map(r -> r.prompt().replace("{}", r.subject())).toList();
        // Other subjects: the edit prompts of cases never edited here.
        List<String> otherPrompts = CounterFactDataset.toEditRequests(all.subList(40, 60)).stream()
                .map(r -> r.prompt().replace("{}", r.subject())).toList();
        List<String> prompts = new ArrayList<>(editedPrompts);
        prompts.addAll(otherPrompts);

        List<String> base;
        try (LanguageModel lm = LanguageModel.load(fx.model())) {
            base = lm.generate(prompts, TOKENS).stream().map(g -> g.completion()).toList();
        }
        List<String> reference;
        try (HookedModel hm = HookedModel.open(fx.model(), bundle)) {
            assertEquals("span", hm.scope());
            reference = prompts.stream().map(p -> hm.generate(p, TOKENS).completion()).toList();
        }
        List<String> served;
        LoadedVersion.Info info = new LoadedVersion.Info("tiny", 1, "prod", 7, 2, "sha256:" + "0".repeat(64), null, 0,
                Map.of(), Instant.now());
        try (BaseModels bases = new BaseModels()) {
            LoadedVersion v = LoadedVersion.load(info, bases.acquire("tiny", fx.model()), bundle, List.of());
            try {
                assertEquals(TestBundles.LAYERS, v.layers());
                assertEquals(10, v.info().edits());
                served = v.generate(prompts, TOKENS).stream().map(g -> g.completion()).toList();
                // explain reports rho in [0, 1) for a span version
                for (HookedModel.TokenTrace t : v.explain(editedPrompts.get(0))) {
                    assertTrue(t.z() > -1e-6 && t.z() < 1, "rho in [0, 1): " + t);
                }
            } finally {
                v.release();
            }
        }
        assertEquals(reference, served, "the node answers as the engine's HookedModel with the same bundle");

        int newObject = 0;
        int baseNewObject = 0;
        for (int i = 0; i < edited.size(); i++) {
            String target = edited.get(i).targetNew().trim();
            newObject += served.get(i).trim().startsWith(target) ? 1 : 0;
            baseNewObject += base.get(i).trim().startsWith(target) ? 1 : 0;
        }
        int unchanged = 0;
        for (int i = editedPrompts.size(); i < prompts.size(); i++) {
            unchanged += served.get(i).equals(base.get(i)) ? 1 : 0;
        }
        System.out.printf("span bundle: %d/%d edited prompts answer the new object (base %d), %d/%d other subjects unchanged%n",
                newObject, edited.size(), baseNewObject, unchanged, otherPrompts.size());
        assertTrue(newObject >= 9, "edited prompts answer the new object: " + newObject + "/10, served " + served);
        assertTrue(baseNewObject <= 1, "the base model does not know the new objects: " + baseNewObject);
        assertEquals(otherPrompts.size(), unchanged, "prompts about other subjects answer as the base model");
    }

    @Test
    void relationSpanBundleServesAsTheEngine(@TempDir Path tmp) throws Exception {
        servesAsTheEngine(tmp, "coachhook-span-relation", List.of("--span-lambda", "300", "--span-relation-alpha", "0.5"),
                HookBundle.SPAN_RELATION, RelationSpanScope.class);
    }

    /** coachhook-nearest at its defaults (nothing tuned on the tiny model): served as the engine, and it edits. */
    @Test
    void nearestBundleServesAsTheEngineAndEdits(@TempDir Path tmp) throws Exception {
        List<String> served = servesAsTheEngine(tmp, "coachhook-nearest", List.of(), HookBundle.NEAREST, NearestKeyScope.class);
        assertEditedPromptsAnswerTheNewObject(served);
    }

    /** codebook-nearest at its defaults (format /6, no editing part): served as the engine, and it edits. */
    @Test
    void codebookBundleServesAsTheEngineAndEdits(@TempDir Path tmp) throws Exception {
        List<String> served = servesAsTheEngine(tmp, "codebook-nearest", List.of(), HookBundle.NEAREST, NearestKeyScope.class);
        assertEquals(HookBundle.FORMAT_NEAREST_CODEBOOK, HookBundle.read(tmp.resolve("codebook-nearest"), false).format());
        assertEditedPromptsAnswerTheNewObject(served);
    }

    /** At least 4 of bundle A's 5 edit prompts, in {@link #servesAsTheEngine}'s order, answer the new object. */
    private static void assertEditedPromptsAnswerTheNewObject(List<String> served) {
        TestBundles.Fixture fx = TestBundles.tiny();
        int newObject = 0;
        int at = 0;
        for (EditRequest r : CounterFactDataset.toEditRequests(fx.casesA())) {
            newObject += served.get(at).trim().startsWith(r.targetNew().trim()) ? 1 : 0;
            at += 1 + Math.min(2, r.neighborhoodPrompts().size()) + Math.min(1, r.paraphrasePrompts().size());
        }
        assertTrue(newObject >= 4, "edited prompts answer the new object: " + newObject + "/5, served " + served);
    }

    /**
     * Edits bundle A's cases with METHOD from the CLI, checks the node's fast path against the engine's
     * hook and the node's answers against the engine's HookedModel; answers the node's completions of
     * each edit's prompt, 2 neighbours and 1 paraphrase, in that order.
     */
    private static List<String> servesAsTheEngine(Path tmp, String method, List<String> options, String scope,
            Class<? extends ScopeTest> scopeClass) throws Exception {
        TestBundles.Fixture fx = TestBundles.tiny();
        Path casesA = fx.bundleA().getParent().resolve("cases-a.json");
        Path bundle = tmp.resolve(method);
        List<String> args = new ArrayList<>(List.of("edit", "--method", method, "--model", fx.model().toString(),
                "--data", casesA.toString(), "--corpus", fx.model().resolve("world/corpus.txt").toString(), "--batch", "5",
                "--out", bundle.toString()));
        args.addAll(options);
        assertEquals(0, HooklineCli.execute(args.toArray(String[]::new)), String.join(" ", args));
        assertEquals(scope, HookBundle.read(bundle, false).scope());
        List<String> prompts = new ArrayList<>();
        for (EditRequest r : CounterFactDataset.toEditRequests(fx.casesA())) {
            prompts.add(r.prompt().replace("{}", r.subject()));
            prompts.addAll(r.neighborhoodPrompts().subList(0, Math.min(2, r.neighborhoodPrompts().size())));
            prompts.addAll(r.paraphrasePrompts().subList(0, Math.min(1, r.paraphrasePrompts().size())));
        }
        Map<Integer, ScopeTest> scopes = ServingHookTest.assertFastPathEqualsReference(fx.model(), bundle, prompts);
        assertTrue(scopeClass.isInstance(scopes.values().iterator().next()), "scope " + scopes);
        List<String> reference;
        try (HookedModel hm = HookedModel.open(fx.model(), bundle)) {
            reference = prompts.stream().map(p -> hm.generate(p, TOKENS).completion()).toList();
        }
        LoadedVersion.Info info = new LoadedVersion.Info("tiny", 1, "prod", 7, 2, "sha256:" + "0".repeat(64), null, 0,
                Map.of(), Instant.now());
        try (BaseModels bases = new BaseModels()) {
            LoadedVersion v = LoadedVersion.load(info, bases.acquire("tiny", fx.model()), bundle, List.of());
            try {
                List<String> served = v.generate(prompts, TOKENS).stream().map(g -> g.completion()).toList();
                assertEquals(reference, served, "the node answers as the engine's HookedModel with the same bundle");
                return served;
            } finally {
                v.release();
            }
        }
    }

    @Test
    void fastPathEqualsTheReferenceSpanHookBitForBit(@TempDir Path tmp) throws Exception {
        TestBundles.Fixture fx = TestBundles.tiny();
        edit(fx.model(), null, fx.bundleA().getParent().resolve("cases-a.json"), tmp.resolve("span"));
        List<String> prompts = new ArrayList<>();
        for (EditRequest r : CounterFactDataset.toEditRequests(fx.casesA())) {
            prompts.add(r.prompt().replace("{}", r.subject()));
            prompts.addAll(r.neighborhoodPrompts().subList(0, Math.min(2, r.neighborhoodPrompts().size())));
            prompts.addAll(r.paraphrasePrompts().subList(0, Math.min(1, r.paraphrasePrompts().size())));
        }
        Map<Integer, ScopeTest> scopes = ServingHookTest.assertFastPathEqualsReference(fx.model(), tmp.resolve("span"),
                prompts);
        assertTrue(scopes.values().iterator().next() instanceof SpanScope);
    }
}
