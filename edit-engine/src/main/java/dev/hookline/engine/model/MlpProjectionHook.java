/*
 * Hook point on the output of a block's MLP projection (c_proj), the matrix CoachHooK edits.
 * Reference: CoachHooK (hook layers replacing W_0 k + b by W_h k + b where a z-score test fires).
 */
package dev.hookline.engine.model;

import ai.djl.ndarray.NDArray;

/**
 * Replaces the output of {@code mlp.c_proj} at one hooked layer.
 *
 * <p>Called once per forward for each layer it is installed at (see
 * {@link ForwardOptions.Builder#hook(int, MlpProjectionHook)}). Shapes: B rows, T positions,
 * d = hidden size, d_ff = MLP width.
 *
 * <p>Arrays the hook creates by operating on {@code keys} or {@code original} belong to the
 * forward's scratch manager and are released with it; the returned array may require gradient.
 */
@FunctionalInterface
public interface MlpProjectionHook {

    /**
     * @param layer the block index
     * @param keys the MLP keys k = gelu(c_fc(ln_2(h))), (B, T, d_ff)
     * @param original W_0 k + b, the unhooked c_proj output including its bias, (B, T, d)
     * @param mask 1 at real positions and 0 at padding, (B, T), in the model's dtype
     * @return the output to use instead of {@code original}, (B, T, d)
     */
    NDArray replace(int layer, NDArray keys, NDArray original, NDArray mask);

    /**
     * As {@link #replace(int, NDArray, NDArray, NDArray)}, told that only the positions from
     * {@code readFrom[b]} on are read in row b (the forward's {@link ForwardOptions#readFrom()} at the
     * last block; null elsewhere). A hook may then skip work at earlier positions of that block. By
     * default it ignores the hint.
     */
    default NDArray replace(int layer, NDArray keys, NDArray original, NDArray mask, int[] readFrom) {
        return replace(layer, keys, original, mask);
    }

    /**
     * Whether the hook reads the token ids ({@link #replace(int, NDArray, NDArray, NDArray, int[], int[][], int)}):
     * the model then hands them over. False by default.
     */
    default boolean wantsTokens() {
        return false;
    }

    /**
     * As {@link #replace(int, NDArray, NDArray, NDArray, int[])}, with the token ids: {@code tokens[b]} holds row b's
     * ids from position 0 on (a KV-cached forward's earlier positions included), its keys' positions being
     * {@code offset .. offset + T - 1}. Called instead of the other forms when {@link #wantsTokens()}.
     */
    default NDArray replace(int layer, NDArray keys, NDArray original, NDArray mask, int[] readFrom, int[][] tokens,
            int offset) {
        return replace(layer, keys, original, mask, readFrom);
    }

    /**
     * Whether the output at each position depends only on that position's key and original
     * output (a corpus z-score or an unconditional hook does; a sequence z-score, which
     * standardises against the whole sequence, does not). Only positionwise hooks can run on the
     * new positions of a KV cache alone; generation with any other hook reruns the whole
     * sequence, as the hooked model's earlier positions may change with each new token. False
     * unless a hook says otherwise, which is always correct.
     */
    default boolean positionwise() {
        return false;
    }
}
