/*
 * KV-cached decoding with hooks: a positionwise hook on the new positions only gives the same
 * tokens as rerunning the whole sequence; a hook that reads the whole sequence makes the decoder
 * rerun the sequence; the forward refuses such a hook with a cache.
 */
package dev.hookline.engine.infer;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import ai.djl.engine.Engine;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.hookline.engine.io.Checkpoint;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.HfArchitecturesTest;
import dev.hookline.engine.model.KvCache;
import dev.hookline.engine.model.MlpProjectionHook;
import dev.hookline.engine.model.TokenBatch;
import java.util.List;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class DecoderHooksTest {

    /** Adds 3 x the output where the key's first entry is positive: depends on the position alone. */
    private record Gated(boolean positionwise) implements MlpProjectionHook {
        @Override
        public NDArray replace(int layer, NDArray keys, NDArray original, NDArray mask) {
            NDArray gate = keys.get(":, :, 0:1").gt(0).toType(original.getDataType(), false); // (B, T, 1)
            return original.add(original.mul(gate).mul(3)); // (B, T, d)
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"hf-gptj-micro", "hf-llama-micro", "hf-qwen2-micro", "hf-gpt2-micro"})
    void positionwiseHooksDecodeTheSameWithTheCache(String fixture) throws Exception {
        try (CausalLm model = Checkpoint.loadModel(HfArchitecturesTest.fixture(fixture),
                Engine.getInstance().defaultDevice())) {
            ForwardOptions hooked = ForwardOptions.builder().hook(0, new Gated(true))
                    .hook(model.config().layerCount() - 1, new Gated(true)).build();
            List<int[]> prompts = List.of(new int[] {5, 17, 42, 9}, new int[] {3, 3, 8, 120}, new int[] {77, 1});
            Decoder cached = new Decoder(model, hooked, true);
            assertTrue(cached.usesCache());
            List<int[]> a = cached.greedy(prompts, 12, -1);
            List<int[]> b = new Decoder(model, hooked, false).greedy(prompts, 12, -1);
            List<int[]> plain = new Decoder(model, ForwardOptions.defaults(), true).greedy(prompts, 12, -1);
            boolean hookMatters = false;
            for (int i = 0; i < prompts.size(); i++) {
                assertArrayEquals(b.get(i), a.get(i), fixture + " prompt " + i);
                hookMatters |= !java.util.Arrays.equals(plain.get(i), a.get(i));
            }
            assertTrue(hookMatters, "the hook changes some continuation, so the comparison means something");

            ForwardOptions sequenceWide = ForwardOptions.builder().hook(0, new Gated(false)).build();
            assertFalse(new Decoder(model, sequenceWide, true).usesCache());
            try (NDManager scope = NDManager.newBaseManager(); KvCache cache = model.newCache(scope)) {
                IllegalArgumentException e = assertThrows(IllegalArgumentException.class,
                        () -> model.forward(scope, TokenBatch.single(new int[] {1, 2}, 0), sequenceWide, cache));
                assertTrue(e.getMessage().contains("not positionwise"), e.getMessage());
            }
        }
    }
}
