/*
 * Greedy decoding of any CausalLm, with a KV cache (each step runs the new token only) or
 * without (each step reruns the whole sequence).
 * Reference: transformers' generate() greedy search with DynamicCache; stop at eos.
 */
package dev.hookline.engine.infer;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.index.NDIndex;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.KvCache;
import dev.hookline.engine.model.MlpProjectionHook;
import dev.hookline.engine.model.TokenBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Greedy generation. Prompts are grouped by length so that every row of a group sits at the same
 * positions and needs no padding; each group decodes in lockstep and a row stops after its eos
 * (the group keeps going while any row is active; finished rows' extra tokens are dropped).
 *
 * <p>With the cache, hooks run on the new position only, which is exact for
 * {@link MlpProjectionHook#positionwise() positionwise} hooks. A hook that reads the whole
 * sequence (a sequence z-score scope standardises each key against the sequence's others) may
 * change earlier positions' outputs as the sequence grows, so cached keys and values would be
 * stale: with such a hook installed the decoder reruns the whole sequence each step instead
 * ({@link #usesCache}).
 */
public final class Decoder {
    private final CausalLm model;
    private final ForwardOptions options;
    private final boolean cached;

    /**
     * @param options hooks to run with (no residual additions, no captures)
     * @param useCache whether to use a KV cache when the hooks allow it
     */
    public Decoder(CausalLm model, ForwardOptions options, boolean useCache) {
        if (!options.additions().isEmpty() || options.readFrom() != null) {
            throw new IllegalArgumentException("decoding options must not hold residual additions or readFrom");
        }
        this.model = model;
        this.options = options;
        boolean positionwise = options.hooks().values().stream().allMatch(MlpProjectionHook::positionwise);
        this.cached = useCache && positionwise;
    }

    /** Whether steps run on the new token only (true) or rerun the sequence (false). */
    public boolean usesCache() {
        return cached;
    }

    /** Up to {@code maxNewTokens} greedy tokens after each prompt, stopping after {@code eos} (or never when < 0). */
    public List<int[]> greedy(List<int[]> prompts, int maxNewTokens, int eos) {
        if (maxNewTokens < 0) {
            throw new IllegalArgumentException("maxNewTokens must be >= 0, got " + maxNewTokens);
        }
        Map<Integer, List<Integer>> byLength = new LinkedHashMap<>();
        for (int i = 0; i < prompts.size(); i++) {
            if (prompts.get(i).length == 0) {
                throw new IllegalArgumentException("prompt " + i + " has no tokens");
            }
            byLength.computeIfAbsent(prompts.get(i).length, k -> new ArrayList<>()).add(i);
        }
        int[][] out = new int[prompts.size()][];
        for (List<Integer> group : byLength.values()) {
            List<int[]> rows = new ArrayList<>();
            for (int i : group) {
                rows.add(prompts.get(i));
            }
            List<int[]> generated = decodeGroup(rows, maxNewTokens, eos);
            for (int g = 0; g < group.size(); g++) {
                out[group.get(g)] = generated.get(g);
            }
        }
        return Arrays.asList(out);
    }

    private List<int[]> decodeGroup(List<int[]> prompts, int maxNewTokens, int eos) {
        int n = prompts.size();
        int promptLength = prompts.get(0).length;
        int steps = Math.min(maxNewTokens, model.config().maxPositions() - promptLength);
        List<List<Integer>> generated = new ArrayList<>();
        for (int i = 0; i < n; i++) {
            generated.add(new ArrayList<>());
        }
        boolean[] done = new boolean[n];
        int active = n;
        int pad = model.config().eosTokenId();
        try (NDManager scope = NDManager.newBaseManager(model.device());
                KvCache cache = cached ? model.newCache(scope) : null) {
            List<int[]> input = new ArrayList<>(prompts);
            for (int step = 0; step < steps && active > 0; step++) {
                int[] next;
                try (NDManager stepScope = scope.newSubManager()) {
                    TokenBatch batch = TokenBatch.of(input, pad);
                    int last = batch.length() - 1;
                    ForwardOptions stepOptions = options;
                    // Only each row's last position is read (also in a cached prefill): the last
                    // block's hook scores that position alone.
                    if (!options.captureResiduals()
                            && !options.mlpOutputLayers().contains(model.config().layerCount() - 1)) {
                        int[] readFrom = new int[n];
                        Arrays.fill(readFrom, last);
                        stepOptions = options.withReadFrom(readFrom);
                    }
                    NDArray logits = model.forward(stepScope, batch, stepOptions, cache).logits(); // (B, T, V)
                    NDArray lastLogits = logits.get(new NDIndex(":, " + last)); // (B, V)
                    long[] best = lastLogits.argMax(1).toLongArray(); // (B)
                    next = new int[n];
                    for (int b = 0; b < n; b++) {
                        next[b] = (int) best[b];
                    }
                }
                for (int b = 0; b < n; b++) {
                    if (!done[b]) {
                        generated.get(b).add(next[b]);
                        if (next[b] == eos) {
                            done[b] = true;
                            active--;
                        }
                    }
                }
                List<int[]> following = new ArrayList<>();
                for (int b = 0; b < n; b++) {
                    if (cached) {
                        following.add(new int[] {next[b]});
                    } else {
                        int[] seq = Arrays.copyOf(input.get(b), input.get(b).length + 1);
                        seq[seq.length - 1] = next[b];
                        following.add(seq);
                    }
                }
                input = following;
            }
        }
        List<int[]> out = new ArrayList<>();
        for (List<Integer> g : generated) {
            out.add(g.stream().mapToInt(Integer::intValue).toArray());
        }
        return out;
    }
}
