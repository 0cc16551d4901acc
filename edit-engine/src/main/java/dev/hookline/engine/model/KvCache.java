/*
 * Keys and values of past positions for incremental (KV-cached) decoding.
 * Reference: transformers' DynamicCache (per layer, keys and values after rotary, before the
 * grouped-query repeat, concatenated along the sequence axis).
 */
package dev.hookline.engine.model;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;

/**
 * Per-layer attention keys and values, (B, H_kv, S, hs), of the S positions already processed,
 * owned by the cache's own manager. Created by {@link CausalLm#newCache}; one cache per decoded
 * batch, closed with it.
 */
public final class KvCache implements AutoCloseable {
    private final NDManager manager;
    private final NDArray[] keys;
    private final NDArray[] values;
    private int length;
    private int[][] tokens; // per row the token ids of the S cached positions (for hooks that read them), or null

    KvCache(NDManager parent, int layers) {
        this.manager = parent.newSubManager();
        this.keys = new NDArray[layers];
        this.values = new NDArray[layers];
    }

    /** Positions already in the cache, S. */
    public int length() {
        return length;
    }

    /** Cached keys of {@code layer}, (B, H_kv, S, hs), or null when empty. */
    NDArray keys(int layer) {
        return keys[layer];
    }

    /** Cached values of {@code layer}, (B, H_kv, S, hs), or null when empty. */
    NDArray values(int layer) {
        return values[layer];
    }

    /** Replaces a layer's entries by {@code k}, {@code v} (past plus new), which the cache takes over. */
    void store(int layer, NDArray k, NDArray v) {
        NDArray oldK = keys[layer];
        NDArray oldV = values[layer];
        k.attach(manager);
        v.attach(manager);
        keys[layer] = k;
        values[layer] = v;
        if (oldK != null && oldK != k) {
            oldK.close();
        }
        if (oldV != null && oldV != v) {
            oldV.close();
        }
    }

    /** Called by the model after every layer stored its new entries, with the batch whose positions they are. */
    void advance(int newPositions, TokenBatch batch) {
        tokens = tokensWith(batch);
        length += newPositions;
    }

    /** Per row the cached positions' token ids followed by {@code batch}'s row (no padding with a cache). */
    int[][] tokensWith(TokenBatch batch) {
        int[][] out = new int[batch.size()][];
        for (int b = 0; b < batch.size(); b++) {
            int[] earlier = tokens == null ? new int[0] : tokens[b];
            int[] row = batch.row(b);
            out[b] = java.util.Arrays.copyOf(earlier, earlier.length + row.length);
            System.arraycopy(row, 0, out[b], earlier.length, row.length);
        }
        return out;
    }

    @Override
    public void close() {
        manager.close();
    }
}
