/*
 * Hook bundles: exact round trip (loading onto the base model reproduces the edited outputs bit
 * for bit), size independent of the number of edits, tamper detection, continued editing.
 */
package dev.hookline.engine.bundle;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDManager;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.edit.ValueStepParams;
import dev.hookline.engine.hook.HookLayer;
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

class HookBundleTest {
    static final ValueStepParams FAST = new ValueStepParams(3, 0.5, 4.0, 0.0625, 0.05, 1, 0.02, "subject");

    private static float[] logits(Gpt2Model model, TextTokenizer tok, List<EditRequest> requests, ForwardOptions options) {
        List<int[]> rows = new ArrayList<>();
        for (EditRequest r : requests) {
            rows.add(tok.encode(r.filledPrompt()));
            rows.add(tok.encode(r.paraphrasePrompts().get(0)));
        }
        try (NDManager scope = NDManager.newBaseManager(model.device())) {
            return model.forward(scope, TokenBatch.of(rows, model.config().eosTokenId()), options).logits().toFloatArray();
        }
    }

    @Test
    void roundTripIsExactAndSizeDoesNotGrowWithEdits(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests();
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            String digest = Digests.model(base);
            int[] layers = {0, 1};
            LayerStatistics stats = LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, layers,
                    tmp.resolve("stats"));
            assertEquals(64, stats.digest().length(), "statistics are cached with a digest");
            CoachHookParams params = new CoachHookParams(layers, 10, 2.2, "sequence", FAST);
            try (ClosedFormEditor editor = ClosedFormEditor.coachHook(base, tok, stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES)) {
                editor.apply(requests.subList(0, 10));
                HookBundle ten = editor.snapshot(digest, null, "{\"note\":\"test\"}");
                String d10 = ten.write(tmp.resolve("v10"));
                float[] expected = logits(base, tok, requests.subList(0, 12), editor.inferenceOptions());

                HookBundle loaded = HookBundle.read(tmp.resolve("v10"));
                assertEquals(10, loaded.edits());
                assertEquals(stats.digest(), loaded.statisticsDigest());
                assertEquals(ten.alpha(), loaded.alpha());
                assertArrayEquals(ten.cAccu().get(1), loaded.cAccu().get(1), "C_accu is stored in float64");
                try (NDManager hooks = NDManager.newBaseManager(base.device())) {
                    Map<Integer, HookLayer> installed = HookedModel.install(base, HookBundle.read(tmp.resolve("v10"), false), hooks);
                    float[] actual = logits(base, tok, requests.subList(0, 12), ForwardOptions.builder().hooks(installed).build());
                    assertArrayEquals(expected, actual, 0f, "loading the bundle reproduces the edited outputs exactly");
                    float[] unedited = logits(base, tok, requests.subList(0, 12), ForwardOptions.defaults());
                    double diff = 0;
                    for (int i = 0; i < unedited.length; i++) {
                        diff = Math.max(diff, Math.abs(unedited[i] - actual[i]));
                    }
                    assertTrue(diff > 1e-4, "the hooks change some output: " + diff);
                }
                assertNull(HookBundle.read(tmp.resolve("v10"), false).cAccu(), "serving read skips C_accu");

                for (int b = 1; b < 10; b++) {
                    editor.apply(requests.subList(10 * b, 10 * b + 10));
                }
                HookBundle hundred = editor.snapshot(digest, d10, "{\"note\":\"test\"}");
                hundred.write(tmp.resolve("v100"));
                assertEquals(100, HookBundle.read(tmp.resolve("v100")).edits());
                assertEquals(d10, HookBundle.read(tmp.resolve("v100")).parentDigest());
                for (String f : List.of(HookBundle.SERVING, HookBundle.EDITING)) {
                    assertEquals(Files.size(tmp.resolve("v10").resolve(f)), Files.size(tmp.resolve("v100").resolve(f)),
                            f + " has the same size after 10 and 100 edits");
                }
                long m10 = Files.size(tmp.resolve("v10").resolve(HookBundle.MANIFEST));
                long m100 = Files.size(tmp.resolve("v100").resolve(HookBundle.MANIFEST));
                assertTrue(Math.abs(m10 - m100) <= 100, "manifest differs only in digits and the parent digest: "
                        + m10 + " vs " + m100);
                long ff = base.config().mlpSize();
                long d = base.config().hiddenSize();
                assertTrue(Files.size(tmp.resolve("v100").resolve(HookBundle.EDITING)) >= 2 * ff * ff * 8);
                assertTrue(Files.size(tmp.resolve("v100").resolve(HookBundle.SERVING)) >= 2 * ff * d * 4);
            }
            // Continued editing from a bundle matches continued editing in memory.
            try (ClosedFormEditor resumed = ClosedFormEditor.coachHook(base, tok, stats, params,
                    RelationCatalogue.CONTEXT_PREFIXES)) {
                resumed.restore(HookBundle.read(tmp.resolve("v10")));
                assertEquals(10, resumed.editCount());
                float[] fromBundle = logits(base, tok, requests.subList(0, 12), resumed.inferenceOptions());
                try (NDManager hooks = NDManager.newBaseManager(base.device())) {
                    Map<Integer, HookLayer> installed = HookedModel.install(base, HookBundle.read(tmp.resolve("v10")), hooks);
                    assertArrayEquals(logits(base, tok, requests.subList(0, 12), ForwardOptions.builder().hooks(installed).build()),
                            fromBundle, 0f);
                }
            }
        }
    }

    @Test
    void tamperedOrForeignBundlesAreRefused(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests();
        try (Gpt2Model base = EditFixtures.untrained(6); TextTokenizer tok = EditFixtures.tokenizer()) {
            int[] layers = {1};
            LayerStatistics stats = LayerStatistics.compute(base, tok, EditFixtures.corpus(), 50, layers, Digests.model(base));
            try (ClosedFormEditor editor = ClosedFormEditor.coachHook(base, tok, stats,
                    new CoachHookParams(layers, 10, 2.2, "corpus", FAST), RelationCatalogue.CONTEXT_PREFIXES)) {
                editor.apply(requests.subList(0, 2));
                editor.snapshot(Digests.model(base), null, "{}").write(tmp.resolve("b"));
            }
            HookBundle ok = HookBundle.read(tmp.resolve("b"));
            assertEquals("corpus-z", ok.scope());
            assertTrue(ok.scopeSigma().get(1) > 0, "corpus scope statistics are stored");
            Path serving = tmp.resolve("b").resolve(HookBundle.SERVING);
            byte[] bytes = Files.readAllBytes(serving);
            bytes[bytes.length - 1] ^= 1;
            Files.write(serving, bytes);
            IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> HookBundle.read(tmp.resolve("b")));
            assertTrue(e.getMessage().contains("sha256"), e.getMessage());
            assertThrows(IllegalArgumentException.class, () -> HookBundle.read(tmp.resolve("missing")));
            assertThrows(IllegalArgumentException.class, () -> ok.write(tmp.resolve("b")), "bundles are immutable");
        }
    }

    @Test
    void aTensorFileAboveTheReadLimitIsRefusedClearly(@TempDir Path tmp) throws Exception {
        Path big = tmp.resolve("big.safetensors");
        try (java.io.RandomAccessFile f = new java.io.RandomAccessFile(big.toFile(), "rw")) {
            f.setLength(TensorFile.MAX_FILE_BYTES + 1); // sparse: no disk space used
        }
        IllegalArgumentException e = assertThrows(IllegalArgumentException.class, () -> TensorFile.read(big));
        assertTrue(e.getMessage().contains("limited to"), e.getMessage());
    }
}
