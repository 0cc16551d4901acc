/*
 * The serving fast path of the validated hook equals the engine's HookLayer bit for bit: logits
 * of single and padded batched forwards over edited and unrelated prompts, with both the
 * "nothing swaps" shortcut and the swapping path exercised (counted, so the test cannot pass
 * vacuously).
 */
package dev.hookline.serving.model;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.hookline.data.CounterFactDataset;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.bundle.HookedModel;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.ScopeTest;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.MlpProjectionHook;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.serving.TestBundles;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class ServingHookTest {

    @Test
    void fastPathEqualsTheReferenceHookBitForBit() throws Exception {
        TestBundles.Fixture fx = TestBundles.tiny();
        List<String> prompts = new ArrayList<>();
        for (EditRequest r : CounterFactDataset.toEditRequests(fx.casesB())) {
            prompts.add(r.prompt().replace("{}", r.subject()));
            prompts.addAll(r.neighborhoodPrompts().subList(0, Math.min(2, r.neighborhoodPrompts().size())));
            prompts.addAll(r.paraphrasePrompts().subList(0, Math.min(1, r.paraphrasePrompts().size())));
        }
        assertFastPathEqualsReference(fx.model(), fx.bundleB(), prompts);
    }

    /**
     * Asserts that {@link ServingHook} over the hooks of {@code bundle} gives logits bit-equal to
     * the engine's {@link HookLayer} on {@code prompts}, alone and in padded batches of three, and
     * that both the nothing-swaps shortcut and the swapping path ran; returns the reference hooks'
     * scope tests by layer.
     */
    static Map<Integer, ScopeTest> assertFastPathEqualsReference(Path model, Path bundle, List<String> prompts)
            throws Exception {
        Map<Integer, ScopeTest> scopes = new LinkedHashMap<>();
        AtomicInteger unchanged = new AtomicInteger();
        AtomicInteger swapped = new AtomicInteger();
        try (LanguageModel lm = LanguageModel.load(model); NDManager hooksManager = lm.model().manager().newSubManager()) {
            Map<Integer, HookLayer> reference = HookedModel.install(lm.model(), HookBundle.read(bundle, false), hooksManager);
            reference.forEach((l, h) -> scopes.put(l, h.scope()));
            Map<Integer, MlpProjectionHook> fast = new LinkedHashMap<>();
            reference.forEach((l, h) -> fast.put(l, (layer, keys, original, mask) -> {
                NDArray out = new ServingHook(h).replace(layer, keys, original, mask);
                (out == original ? unchanged : swapped).incrementAndGet();
                return out;
            }));
            ForwardOptions ref = ForwardOptions.builder().hooks(reference).build();
            ForwardOptions opt = ForwardOptions.builder().hooks(fast).build();
            Map<Integer, MlpProjectionHook> direct = new LinkedHashMap<>();
            reference.forEach((l, h) -> direct.put(l, new ServingHook(h)));
            ForwardOptions optDirect = ForwardOptions.builder().hooks(direct).build();
            int eos = lm.model().config().eosTokenId();
            List<List<int[]>> batches = new ArrayList<>();
            for (String p : prompts) {
                batches.add(List.of(lm.tokenizer().encode(p)));
            }
            for (int i = 0; i + 3 <= prompts.size(); i += 3) {
                // Rows of different lengths: right padding in the same batch.
                batches.add(List.of(lm.tokenizer().encode(prompts.get(i)), lm.tokenizer().encode(prompts.get(i + 1)),
                        lm.tokenizer().encode(prompts.get(i + 2))));
            }
            for (List<int[]> rows : batches) {
                try (NDManager scope = NDManager.newBaseManager(lm.model().device())) {
                    float[] a = lm.model().forward(scope, TokenBatch.of(rows, eos), ref).logits()
                            .toType(DataType.FLOAT32, false).toFloatArray();
                    float[] b = lm.model().forward(scope, TokenBatch.of(rows, eos), opt).logits()
                            .toType(DataType.FLOAT32, false).toFloatArray();
                    assertArrayEquals(a, b, "logits differ for a batch of " + rows.size());
                    // Reading each row's last position only (generation): the same as the reference hook.
                    int[] readFrom = rows.stream().mapToInt(r -> r.length - 1).toArray();
                    float[] c = lm.model().forward(scope, TokenBatch.of(rows, eos), ref.withReadFrom(readFrom)).logits()
                            .toType(DataType.FLOAT32, false).toFloatArray();
                    float[] e = lm.model().forward(scope, TokenBatch.of(rows, eos), optDirect.withReadFrom(readFrom))
                            .logits().toType(DataType.FLOAT32, false).toFloatArray();
                    assertArrayEquals(c, e, "logits differ with readFrom for a batch of " + rows.size());
                }
            }
        }
        assertTrue(unchanged.get() > 0, "the nothing-swaps shortcut was exercised: " + unchanged.get());
        assertTrue(swapped.get() > 0, "the swapping path was exercised: " + swapped.get());
        return scopes;
    }
}
