/*
 * alphaedit-shards (this project's method): alphaedit-nearest whose edits fill shards of a fixed size,
 * one hook delta each, a swapped position taking the delta of its nearest edited key's shard. Checked
 * against independent computations: with one shard it is alphaedit-nearest to the bit; each later shard's
 * delta is a fresh alphaedit-nearest editor's on that shard's edits alone (the gate shut to earlier
 * shards); the hook's output at every position equals a naive double-precision loop over the bundle's
 * arrays (whitening, edited keys, shard starts, deltas); an exact tie goes to the newer shard; the bundle
 * (format /5) serves exactly and continues like one editor, and alphaedit-nearest cannot continue it.
 */
package dev.hookline.engine.bundle;

import static dev.hookline.engine.bundle.RelationSpanBundleTest.prompts;
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
import dev.hookline.data.EditRequest;
import dev.hookline.engine.edit.AlphaEditNearestParams;
import dev.hookline.engine.edit.AlphaEditParams;
import dev.hookline.engine.edit.AlphaEditShardsParams;
import dev.hookline.engine.edit.ClosedFormEditor;
import dev.hookline.engine.edit.EditFixtures;
import dev.hookline.engine.edit.LayerStatistics;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.NearestKeyScope;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.engine.model.gpt2.Gpt2Model;
import dev.hookline.world.RelationCatalogue;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlphaEditShardsTest {
    private static final int[] LAYERS = {1};

    /** alphaedit-nearest's record with a null space of every eigenvalue below 1e6 (P = I on the untrained model). */
    private static AlphaEditNearestParams nearest(double alpha) {
        return new AlphaEditNearestParams(new AlphaEditParams(LAYERS, 1e6, 1, HookBundleTest.FAST), alpha, 1);
    }

    private static ClosedFormEditor shards(Gpt2Model base, TextTokenizer tok, LayerStatistics stats, double alpha,
            int shardEdits) {
        return ClosedFormEditor.alphaEditShards(base, tok, stats, new AlphaEditShardsParams(nearest(alpha), shardEdits),
                RelationCatalogue.CONTEXT_PREFIXES);
    }

    private static LayerStatistics stats(Gpt2Model base, TextTokenizer tok, Path tmp) throws Exception {
        return LayerStatistics.loadOrCompute(base, tok, EditFixtures.corpus(), 100, LAYERS, tmp.resolve("stats"));
    }

    @Test
    void withOneShardItIsAlphaEditNearest(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests().subList(0, 12);
        List<String> probe = prompts(requests);
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics stats = stats(base, tok, tmp);
            try (ClosedFormEditor one = shards(base, tok, stats, 0.3, 12);
                    ClosedFormEditor plain = ClosedFormEditor.alphaEditNearest(base, tok, stats, nearest(0.3),
                            RelationCatalogue.CONTEXT_PREFIXES)) {
                for (List<EditRequest> batch : List.of(requests.subList(0, 4), requests.subList(4, 8), requests.subList(8, 12))) {
                    one.apply(batch);
                    plain.apply(batch);
                }
                assertEquals(1, one.shards());
                assertEquals("alphaedit-shards", one.method());
                assertArrayEquals(plain.delta(1), one.delta(1), 0f, "one shard holds alphaedit-nearest's delta");
                assertArrayEquals(logits(base, tok, probe, plain.inferenceOptions()),
                        logits(base, tok, probe, one.inferenceOptions()), 0f, "and serves its outputs");
                assertEquals(HookBundle.FORMAT_NEAREST, one.snapshot(Digests.model(base), null, "{}").format());
            }
        }
    }

    @Test
    void aLaterShardIsAFreshEditorOnItsOwnEdits(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests().subList(0, 8);
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics stats = stats(base, tok, tmp);
            // Threshold 0.9999: the first shard's keys admit none of the second shard's prompts, so the second
            // shard's value step sees the base model, as a fresh editor's does.
            try (ClosedFormEditor sharded = shards(base, tok, stats, 0.9999, 4);
                    ClosedFormEditor fresh = ClosedFormEditor.alphaEditNearest(base, tok, stats, nearest(0.9999),
                            RelationCatalogue.CONTEXT_PREFIXES)) {
                sharded.apply(requests.subList(0, 4));
                float[] first = sharded.delta(1);
                sharded.apply(requests.subList(4, 8));
                fresh.apply(requests.subList(4, 8));
                assertEquals(2, sharded.shards());
                assertEquals(4, sharded.editsInShard());
                float[] second = fresh.delta(1);
                double scale = 0;
                for (float v : second) {
                    scale = Math.max(scale, Math.abs(v));
                }
                assertTrue(scale > 0, "the fresh editor edits");
                double diff = maxAbsDiff(second, sharded.delta(1));
                assertTrue(diff < 1e-4 * scale, "the second shard's delta is the fresh editor's: " + diff + " of " + scale);
                assertTrue(maxAbsDiff(first, sharded.delta(1)) > 0.1 * scale, "and not the first shard's");
            }
        }
    }

    @Test
    void eachPositionTakesItsNearestKeysShardAsANaiveLoopSays(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests().subList(0, 12);
        List<String> probe = prompts(EditFixtures.requests().subList(0, 16)); // 12 edited, 4 not
        probe = new java.util.ArrayList<>(probe);
        probe.addAll(EditFixtures.corpus().subList(0, 4));
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            LayerStatistics stats = stats(base, tok, tmp);
            HookBundle bundle;
            try (ClosedFormEditor editor = shards(base, tok, stats, 0.3, 4)) {
                for (int i = 0; i < 12; i += 4) {
                    editor.apply(requests.subList(i, i + 4));
                }
                assertEquals(3, editor.shards());
                bundle = editor.snapshot(Digests.model(base), null, "{}");
            }
            HookBundle.NearestScope n = bundle.nearestScope();
            assertEquals(3, n.shards());
            assertArrayEquals(new long[] {8, 16}, n.shardStarts(), "two keys per edit, four edits per shard");
            int ff = bundle.mlpSize();
            int d = bundle.hiddenSize();
            int e = n.keyCount();
            float[] wt = n.whiteningT().get(1);
            float[] keys = n.keys().get(1);
            List<float[]> deltas = List.of(n.earlierDeltas().get(1).get(0), n.earlierDeltas().get(1).get(1),
                    bundle.deltas().get(1));
            double alpha = bundle.alpha().get(1);
            int swapped = 0;
            int[] perShard = new int[3];
            try (NDManager m = NDManager.newBaseManager(base.device())) {
                HookLayer hook = HookedModel.install(base, bundle, m).get(1);
                assertEquals(3, hook.shards());
                for (String p : probe) {
                    int[] ids = tok.encode(p);
                    var result = base.forward(m, TokenBatch.single(ids, base.config().eosTokenId()),
                            ForwardOptions.builder().captureKeys(1).computeLogits(false).build());
                    NDArray k = result.keys(1); // (1, T, d_ff)
                    int t = (int) k.getShape().get(1);
                    float[] kv = k.toType(DataType.FLOAT32, false).toFloatArray();
                    NDArray original = m.zeros(new Shape(1, t, d), k.getDataType());
                    float[] got = hook.replace(1, k, original, m.ones(new Shape(1, t))).toType(DataType.FLOAT32, false)
                            .toFloatArray();
                    for (int pos = 0; pos < t; pos++) {
                        double[] q = new double[ff]; // W k
                        for (int i = 0; i < ff; i++) {
                            for (int j = 0; j < ff; j++) {
                                q[j] += kv[pos * ff + i] * (double) wt[i * ff + j];
                            }
                        }
                        double norm = 0;
                        for (double v : q) {
                            norm += v * v;
                        }
                        double best = -1;
                        int column = -1;
                        for (int c = 0; c < e; c++) {
                            double dot = 0;
                            for (int j = 0; j < ff; j++) {
                                dot += keys[j * e + c] * q[j];
                            }
                            if (dot * dot >= best) { // ties: the later column
                                best = dot * dot;
                                column = c;
                            }
                        }
                        double score = Math.min(best / norm, 1);
                        int shard = column >= n.shardStarts()[1] ? 2 : column >= n.shardStarts()[0] ? 1 : 0;
                        boolean swaps = score >= alpha;
                        float[] delta = deltas.get(shard);
                        for (int x = 0; x < d; x++) {
                            double expected = 0;
                            if (swaps) {
                                for (int i = 0; i < ff; i++) {
                                    expected += kv[pos * ff + i] * (double) delta[i * d + x];
                                }
                            }
                            assertEquals(expected, got[pos * d + x], 1e-4 * (1 + Math.abs(expected)),
                                    "'" + p + "' position " + pos + " (score " + score + ", shard " + shard + ")");
                        }
                        if (swaps) {
                            swapped++;
                            perShard[shard]++;
                        }
                    }
                }
            }
            for (int s = 0; s < 3; s++) {
                assertTrue(perShard[s] > 0, "some position takes shard " + s + ": " + java.util.Arrays.toString(perShard));
            }
            assertTrue(swapped > 0);
        }
    }

    @Test
    void anExactTieGoesToTheNewerShard() {
        try (NDManager m = NDManager.newBaseManager()) {
            int ff = 3;
            NDArray identity = m.eye(ff).toType(DataType.FLOAT32, false); // W^T = I
            // Columns: shard 0 holds e0 and e1, shard 1 holds e1 again (the same fact edited later) and e2.
            float[] cols = {1, 0, 0, 0, 0, 1, 1, 0, 0, 0, 0, 1}; // (3, 4) row-major
            NDArray keys = m.create(cols, new Shape(ff, 4));
            NearestKeyScope scope = new NearestKeyScope(identity, keys, new long[] {2});
            NDArray probe = m.create(new float[] {0, 1, 0, 1, 0, 0, 0, 0, 1}, new Shape(1, 3, ff));
            NearestKeyScope.Routed r = scope.routes(probe);
            assertArrayEquals(new int[] {1, 0, 1}, r.shards(), "e1 ties between the shards: the newer wins");
            assertArrayEquals(new double[] {1, 1, 1}, r.scores(), 1e-6);
            assertThrows(IllegalArgumentException.class, () -> new NearestKeyScope(identity, keys, new long[] {0}));
            assertThrows(IllegalArgumentException.class, () -> new NearestKeyScope(identity, keys, new long[] {3, 2}));
        }
    }

    @Test
    void itsBundleServesExactlyAndContinuesLikeOneEditor(@TempDir Path tmp) throws Exception {
        List<EditRequest> requests = EditFixtures.requests();
        List<String> probe = prompts(requests.subList(0, 12));
        try (Gpt2Model base = EditFixtures.untrained(5); TextTokenizer tok = EditFixtures.tokenizer()) {
            String digest = Digests.model(base);
            LayerStatistics stats = stats(base, tok, tmp);
            float[] expected6;
            float[] expected12;
            try (ClosedFormEditor editor = shards(base, tok, stats, 0.3, 4)) {
                editor.apply(requests.subList(0, 3));
                editor.apply(requests.subList(3, 6)); // 3 + 3 > 4: a second shard
                assertEquals(2, editor.shards());
                HookBundle six = editor.snapshot(digest, null, "{}");
                assertEquals(HookBundle.FORMAT_NEAREST_SHARDS, six.format());
                six.write(tmp.resolve("v6"));
                expected6 = logits(base, tok, probe, editor.inferenceOptions());
                try (NDManager hooks = NDManager.newBaseManager(base.device())) {
                    Map<Integer, HookLayer> installed = HookedModel.install(base, HookBundle.read(tmp.resolve("v6"), false),
                            hooks);
                    assertArrayEquals(expected6, logits(base, tok, probe, ForwardOptions.builder().hooks(installed).build()),
                            0f, "the serving part reproduces the editor exactly");
                }
                editor.apply(requests.subList(6, 7)); // 3 + 1 <= 4: the same shard
                editor.apply(requests.subList(7, 12)); // a batch of 5 > 4 fills a shard alone
                assertEquals(3, editor.shards());
                expected12 = logits(base, tok, probe, editor.inferenceOptions());
            }
            try (ClosedFormEditor resumed = shards(base, tok, stats, 0.3, 4)) {
                resumed.restore(HookBundle.read(tmp.resolve("v6")));
                assertEquals(2, resumed.shards());
                assertEquals(3, resumed.editsInShard());
                assertArrayEquals(expected6, logits(base, tok, probe, resumed.inferenceOptions()), 0f,
                        "the restored editor equals the saved version");
                resumed.apply(requests.subList(6, 7));
                resumed.apply(requests.subList(7, 12));
                assertEquals(3, resumed.shards());
                double diff = maxAbsDiff(expected12, logits(base, tok, probe, resumed.inferenceOptions()));
                assertTrue(diff <= 1e-4, "chained 6 + 6 equals 12 in one editor: max |diff| " + diff);
            }
            try (ClosedFormEditor plain = ClosedFormEditor.alphaEditNearest(base, tok, stats, nearest(0.3),
                    RelationCatalogue.CONTEXT_PREFIXES)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> plain.restore(HookBundle.read(tmp.resolve("v6"))));
                assertTrue(e.getMessage().contains("alphaedit-shards"), e.getMessage());
            }
        }
    }
}
