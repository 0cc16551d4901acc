/*
 * The update rule of a closed-form editor: given a batch's keys K at an editing layer, the matrix
 * A with W += R A^T (key-to-value layout (d_ff, d) of CausalLm.mlpProjectionWeight: += A R^T), which covariance term it solves against, what it
 * keeps between batches, and whether the update goes to a hook delta or into the weight.
 * Reference: MEMIT (Meng et al. 2023) eq. 14; CoachHooK (Li et al.) accumulated C_accu;
 * DESIGN.md sections 3 and 8 (one class per update rule).
 */
package dev.hookline.engine.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.hookline.engine.model.CausalLm;
import java.util.List;
import java.util.function.Consumer;

/**
 * One closed-form update rule with its per-layer state. The editor calls {@link #start} once,
 * then per batch and layer {@link #solve} and {@link #commit}, and {@link #addKeys} whose updates
 * run after every layer's key pass. A new method of this family is a new implementation.
 *
 * <p>Shapes: u requests in the batch, d hidden size, d_ff MLP width.
 */
public interface UpdateRule {
    /** True if the update goes to hook deltas on the frozen base; false: into the weight of a private copy. */
    boolean hooked();

    /** Builds the per-layer state (e.g. lambda C0 and its inverse) in the editor's {@code state}. */
    void start(NDManager state, LayerStatistics statistics, int[] layers, int mlpSize);

    /**
     * A for the batch's keys at {@code layer}: the update is A R^T (key-to-value layout (d_ff, d)), R the residuals.
     *
     * @param keys K, (d_ff, u) float64
     * @return A, (d_ff, u) float64, attached to the rule's state (the caller re-attaches it)
     */
    NDArray solve(int layer, NDArray keys);

    /** Applies {@code update} (d_ff, d) to the model's weight when the rule edits in place. */
    default void commit(CausalLm model, int layer, NDArray update) {
        if (!hooked()) {
            model.mlpProjectionWeight(layer).addi(update);
        }
    }

    /**
     * Queues the state updates with the batch's keys of {@code layer}; they run after every layer's
     * key pass, so earlier layers' hooks score with the state from before the batch.
     *
     * @param pending owns {@code keys} until the updates have run
     * @param keys K, (d_ff, u) float64
     */
    void addKeys(NDManager pending, int layer, NDArray keys, List<Runnable> updates);

    /** The kept inverse of the solve's covariance term of {@code layer}, (d_ff, d_ff) float64. */
    NDArray inverse(int layer);

    /** The covariance term of {@code layer} (C_accu, or lambda C0), (d_ff, d_ff) row-major float64. */
    double[] covariance(int layer);

    /**
     * Continues from a saved C_accu of {@code layer} (row-major (d_ff, d_ff)); the replaced inverse
     * goes to {@code retire}.
     *
     * @return the restored C_accu, in the rule's state
     * @throws IllegalStateException if the rule keeps no restorable state
     */
    NDArray restore(int layer, double[] savedCovariance, Consumer<NDArray> retire);

    /**
     * Starts a new shard at {@code layer} (alphaedit-shards): the state of earlier edits is dropped, as
     * the next edits go to a fresh delta that serves only where they are the nearest edited keys.
     *
     * @throws UnsupportedOperationException for rules without shards
     */
    default void openShard(int layer) {
        throw new UnsupportedOperationException(getClass().getSimpleName() + " keeps no shards");
    }

    /**
     * Queues the batch's residuals of {@code layer} (R, (d, u) row-major) for rules that keep them
     * (codebook-nearest); the others keep nothing.
     */
    default void addResiduals(NDManager pending, int layer, double[] residual, int u, int d, List<Runnable> updates) {
    }

    /** True when the hooks serve a codebook ({@link #codebook}) instead of the delta. */
    default boolean servesCodebook() {
        return false;
    }

    /** The codebook of {@code layer}, (E + 1, d) float32, or null (none yet, or a rule without one). */
    default NDArray codebook(int layer) {
        return null;
    }

    /**
     * Continues a codebook of {@code layer} from a bundle's rows ((E + 1, d) row-major, row 0 zeros).
     *
     * @throws IllegalStateException for rules without a codebook
     */
    default void restoreCodebook(NDManager state, int layer, float[] rows, int d) {
        throw new IllegalStateException(getClass().getSimpleName() + " keeps no codebook");
    }

        /** Bytes per layer the hooks serve from: {@code shards} deltas of d_ff x d float32. */
    default long servingBytesPerLayer(long ff, long d, int shards) {
        return shards * ff * d * 4L;
    }

    /** Bytes per layer kept for further editing only (not for serving). */
    long editingBytesPerLayer(long ff);
}
