/*
 * Deep copies of a model for the in-place baselines (MEMIT, no-hook ablation, FT), so the
 * caller's base model is never written.
 */
package dev.hookline.engine.edit;

import dev.hookline.engine.model.CausalLm;

/** Copies through {@link CausalLm#copy()}, which always allocates fresh parameter storage. */
public final class ModelCopies {
    private ModelCopies() {}

    /** A copy of any architecture with its own parameter storage. */
    public static CausalLm deepCopy(CausalLm base) {
        return base.copy();
    }
}
