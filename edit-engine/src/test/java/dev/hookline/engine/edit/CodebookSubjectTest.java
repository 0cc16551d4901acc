/*
 * codebook-subject (this project's method): codebook-nearest whose rows are gated by their edits' subjects. Checked
 * against independent computations: the gate's admitted columns against a plain string search over the decoded
 * prefix; every position of edited, unedited and corpus prompts against a naive float64 loop over the bundle's
 * whitening and keys restricted to the columns whose subject the position has seen (the base output to the bit
 * elsewhere); a KV-cached forward against the whole sequence; the bundle (format /7) against the editor's hooks.
 */
package dev.hookline.engine.edit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bench.Methods;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.bundle.HookedModel;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.SubjectGate;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.KvCache;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.engine.scope.NearestKeyScopeStrategy;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CodebookSubjectTest {
    private static final int[] LAYERS = {1};
    private static final ValueStepParams FAST = new ValueStepParams(3, 0.5, 4.0, 0.0625, 0.05, 1, 0.02, "subject");

    private static ClosedFormEditor gated(Gpt2Model base, TextTokenizer tok, LayerStatistics stats, double alpha) {
        return ClosedFormEditor.codebookSubject(base, tok, stats, new CodebookNearestParams(LAYERS, alpha, 1, FAST),
                RelationCatalogue.CONTEXT_PREFIXES);
    }

    /** The subjects a prefix of ids mentions, by a string search over its decoded text (the gate's independent twin). */
    private static Set<String> mentioned(TextTokenizer tok, int[] ids, int upTo, List<String> subjects) {
        String text = tok.decode(java.util.Arrays.copyOf(ids, upTo + 1));
        Set<String> out = new LinkedHashSet<>();
        for (String s : subjects) {
            if (text.contains(s)) {
                out.add(s);
            }
        }
        return out;
    }

    @Test
    void theGateAdmitsAColumnFromItsSubjectsLastTokenOnAndNowhereElse() throws Exception {
        try (TextTokenizer tok = EditFixtures.tokenizer()) {
            List<String> subjects = new ArrayList<>();
            for (EditRequest r : EditFixtures.requests().subList(0, 6)) {
                subjects.add(r.subject());
                subjects.add(r.subject()); // two columns per edit, as the scope holds them
            }
            SubjectGate gate = new SubjectGate(subjects, tok);
            List<String> texts = new ArrayList<>();
            for (EditRequest r : EditFixtures.requests().subList(0, 10)) { // 6 gated subjects, 4 others
                texts.add(r.filledPrompt());
                texts.add("We read that " + r.subject() + " said so, then " + EditFixtures.requests().get(0).subject());
                String first = r.subject().split(" ")[0];
                texts.add("Of " + first + " Unknownson we know nothing"); // the first name alone is no mention
            }
            int checked = 0;
            for (String text : texts) {
                int[] ids = tok.encode(text);
                int[][] allowed = gate.allowed(new int[][] {ids}, 0, ids.length);
                for (int t = 0; t < ids.length; t++) {
                    Set<String> expected = mentioned(tok, ids, t, subjects);
                    Set<String> got = new LinkedHashSet<>();
                    if (allowed[t] != null) {
                        for (int c : allowed[t]) {
                            got.add(subjects.get(c));
                        }
                        for (int i = 1; i < allowed[t].length; i++) {
                            assertTrue(allowed[t][i] > allowed[t][i - 1], "ascending columns");
                        }
                        assertEquals(subjects.stream().filter(got::contains).count(), allowed[t].length,
                                "every column of each mentioned subject");
                    }
                    assertEquals(expected, got, "'" + text + "' up to position " + t);
                    checked += expected.isEmpty() ? 0 : 1;
                }
                // The same positions through a cache: earlier tokens given, only the later ones asked for.
                int from = ids.length / 2;
                int[][] later = gate.allowed(new int[][] {ids}, from, ids.length - from);
                for (int t = from; t < ids.length; t++) {
                    assertArrayEquals(allowed[t], later[t - from], "offset position " + t);
                }
            }
            assertTrue(checked > 20, "mentions occur: " + checked);
            assertThrows(IllegalArgumentException.class, () -> new SubjectGate(List.of("a", " "), tok));
        }
    }

    @Test
    void eachPositionTakesTheNearestRowAmongTheSubjectsItHasSeen(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests().subList(0, 12);
        List<String> probe = new ArrayList<>();
        for (EditRequest r : EditFixtures.requests().subList(0, 16)) { // 12 edited, 4 not
            probe.add(r.filledPrompt());
            probe.addAll(r.paraphrasePrompts().subList(0, Math.min(1, r.paraphrasePrompts().size())));
        }
        probe.add("Both " + requests.get(0).subject() + " and " + requests.get(5).subject() + " are known for");
        probe.addAll(EditFixtures.corpus().subList(0, 4));
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer();
                NDManager m = NDManager.newBaseManager(base.device())) {
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS,
                    tmp.resolve("stats"));
            try (ClosedFormEditor editor = gated(base, tok, stats, 0.05)) {
                for (int i = 0; i < 12; i += 4) {
                    editor.apply(requests.subList(i, i + 4));
                }
                assertEquals("codebook-subject", editor.method());
                HookLayer hook = editor.validatedHooks().get(1);
                assertTrue(hook.wantsTokens());
                assertThrows(IllegalStateException.class, () -> hook.replace(1, m.zeros(new Shape(1, 2, 1)),
                        m.zeros(new Shape(1, 2, 1)), m.ones(new Shape(1, 2))), "no gated routing without the tokens");
                HookBundle bundle = editor.snapshot("base", null, "{}");
                assertEquals(HookBundle.FORMAT_NEAREST_CODEBOOK_SUBJECT, bundle.format());
                HookBundle.NearestScope n = bundle.nearestScope();
                List<String> subjects = n.subjects();
                assertEquals(24, subjects.size());
                int ff = base.config().mlpSize();
                int d = base.config().hiddenSize();
                int e = n.keyCount();
                float[] wt = n.whiteningT().get(1); // (d_ff, d_ff), W^T
                float[] a = n.keys().get(1); // (d_ff, E)
                float[] rows = n.codebook().get(1); // (E + 1, d)
                int admitted = 0;
                int gatedOut = 0;
                for (String p : probe) {
                    int[] ids = tok.encode(p);
                    var result = base.forward(m, TokenBatch.single(ids, base.config().eosTokenId()),
                            ForwardOptions.builder().captureKeys(1).computeLogits(false).build());
                    NDArray k = result.keys(1); // (1, T, d_ff)
                    int t = (int) k.getShape().get(1);
                    float[] keys = k.toType(DataType.FLOAT32, false).toFloatArray();
                    float[] original = new float[t * d];
                    for (int i = 0; i < original.length; i++) {
                        original[i] = (float) Math.cos(i);
                    }
                    float[] got = hook.replace(1, k, m.create(original, new Shape(1, t, d)), m.ones(new Shape(1, t)),
                            null, new int[][] {ids}, 0).toType(DataType.FLOAT32, false).toFloatArray();
                    for (int pos = 0; pos < t; pos++) {
                        Set<String> seen = mentioned(tok, ids, pos, subjects);
                        // naive float64: q = W k, score_c = (a_c . q)^2 / |q|^2 over the seen subjects' columns
                        double[] q = new double[ff];
                        for (int i = 0; i < ff; i++) {
                            for (int j = 0; j < ff; j++) {
                                q[i] += (double) wt[j * ff + i] * keys[pos * ff + j];
                            }
                        }
                        double qq = 0;
                        for (double v : q) {
                            qq += v * v;
                        }
                        double best = -1;
                        double anyBest = -1;
                        int column = -1;
                        for (int c = 0; c < e; c++) {
                            double dot = 0;
                            for (int i = 0; i < ff; i++) {
                                dot += a[i * e + c] * q[i];
                            }
                            double score = dot * dot / qq;
                            anyBest = Math.max(anyBest, score);
                            if (seen.contains(subjects.get(c)) && score >= best) {
                                best = score;
                                column = c;
                            }
                        }
                        boolean takes = column >= 0 && best >= 0.05;
                        gatedOut += !takes && anyBest >= 0.05 ? 1 : 0;
                        for (int x = 0; x < d; x++) {
                            float expected = takes ? original[pos * d + x] + rows[(column + 1) * d + x]
                                    : original[pos * d + x];
                            assertEquals(expected, got[pos * d + x], takes ? 1e-5f : 0f,
                                    "'" + p + "' position " + pos + " (best seen column " + column + ", " + best + ")");
                        }
                        admitted += takes ? 1 : 0;
                    }
                }
                assertTrue(admitted > 20, "positions after a mention take rows: " + admitted);
                assertTrue(gatedOut > 20, "the gate keeps out positions the score alone would admit: " + gatedOut);
            }
        }
    }

    @Test
    void aCachedForwardTheBundleAndTheBenchAgreeWithTheEditor(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests().subList(0, 8);
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer();
                NDManager m = NDManager.newBaseManager(base.device())) {
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS,
                    tmp.resolve("stats"));
            try (ClosedFormEditor editor = gated(base, tok, stats, 0.05)) {
                editor.apply(requests.subList(0, 4));
                editor.apply(requests.subList(4, 8));
                Map<Integer, HookLayer> hooks = editor.validatedHooks();
                HookBundle bundle = editor.snapshot("base", null, "{}");
                bundle.write(tmp.resolve("b"));
                HookBundle read = HookBundle.read(tmp.resolve("b"));
                assertEquals(bundle.nearestScope().subjects(), read.nearestScope().subjects());
                Map<Integer, HookLayer> installed = HookedModel.install(base, tok, read, m);
                assertThrows(IllegalArgumentException.class, () -> HookedModel.install(base, read, m),
                        "a gated bundle is not served without the tokenizer");
                for (EditRequest r : requests.subList(2, 6)) {
                    int[] ids = tok.encode("As noted, " + r.filledPrompt());
                    TokenBatch whole = TokenBatch.single(ids, base.config().eosTokenId());
                    float[] full = base.forward(m, whole, ForwardOptions.builder().hooks(hooks).build()).logits()
                            .toType(DataType.FLOAT32, false).toFloatArray();
                    float[] fromBundle = base.forward(m, whole, ForwardOptions.builder().hooks(installed).build())
                            .logits().toType(DataType.FLOAT32, false).toFloatArray();
                    assertArrayEquals(full, fromBundle, 1e-5f, "bundle hooks serve as the editor's");
                    // KV cache: the prefix first (before the subject ends), then the rest, one token at a time
                    int split = 2;
                    try (KvCache cache = base.newCache(m)) {
                        int vocab = (int) (full.length / ids.length);
                        base.forward(m, TokenBatch.single(java.util.Arrays.copyOf(ids, split), base.config().eosTokenId()),
                                ForwardOptions.builder().hooks(hooks).build(), cache);
                        for (int t = split; t < ids.length; t++) {
                            float[] step = base.forward(m, TokenBatch.single(new int[] {ids[t]}, base.config().eosTokenId()),
                                    ForwardOptions.builder().hooks(hooks).build(), cache).logits()
                                    .toType(DataType.FLOAT32, false).toFloatArray();
                            for (int v = 0; v < vocab; v++) {
                                assertEquals(full[t * vocab + v], step[v], 1e-4f, "cached position " + t + " logit " + v);
                            }
                        }
                    }
                }
                // codebook-nearest does not continue a gated bundle, nor codebook-subject an ungated one
                try (ClosedFormEditor plain = ClosedFormEditor.codebookNearest(base, tok, stats,
                        new CodebookNearestParams(LAYERS, 0.05, 1, FAST), RelationCatalogue.CONTEXT_PREFIXES)) {
                    assertThrows(IllegalArgumentException.class, () -> plain.restore(read));
                }
                try (ClosedFormEditor again = gated(base, tok, stats, 0.05)) {
                    again.restore(read);
                    again.apply(EditFixtures.requests().subList(8, 10));
                    assertEquals(20, again.snapshot("base", null, "{}").nearestScope().subjects().size());
                }
            }
            assertTrue(Methods.NAMES.contains("codebook-subject"));
            assertTrue(new NearestKeyScopeStrategy(1.0, tok).gated());
        }
    }
}
