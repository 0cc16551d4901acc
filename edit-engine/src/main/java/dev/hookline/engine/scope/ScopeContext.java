/*
 * What a scope strategy reads from the closed-form editor it serves: the editor's state manager,
 * key statistics, layers, update lambda, the update rule's kept inverse and the hook deltas.
 * Reference: DESIGN.md section 8 (one class per scope test).
 */
package dev.hookline.engine.scope;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import dev.hookline.engine.edit.LayerStatistics;

/** The editor's side of a {@link ScopeStrategy}; shapes: d_ff MLP width, d hidden size. */
public interface ScopeContext {
    /** The editor's long-lived manager: arrays a strategy keeps are attached to it. */
    NDManager state();

    /** The key statistics (C0, corpus key sample) of the editing layers. */
    LayerStatistics statistics();

    /** The editing layers, ascending. */
    int[] layers();

    /** d_ff. */
    int mlpSize();

    /** The model's floating type (the hook deltas' type). */
    DataType dataType();

    /** The update's lambda (weight of C0). */
    double lambda();

    /**
     * The update rule's kept inverse of {@code layer}, (d_ff, d_ff) float64: for the accumulating
     * rules {@code C_accu^-1 = (lambda C0 + sum K K^T)^-1}, updated in place batch after batch.
     */
    NDArray solveInverse(int layer);

    /** The hook delta W_h - W_0 of {@code layer}, (d_ff, d). */
    NDArray delta(int layer);

    /** Hands over an array the strategy no longer reads; the editor frees it once the scopes are refreshed. */
    void retire(NDArray old);
}
