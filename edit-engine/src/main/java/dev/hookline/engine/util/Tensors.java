/*
 * Helpers for arrays created from Java data.
 */
package dev.hookline.engine.util;

import ai.djl.ndarray.NDArray;

/** Array utilities shared by the engine packages. */
public final class Tensors {
    private Tensors() {}

    /**
     * A copy of {@code created} whose storage PyTorch owns; closes {@code created}.
     *
     * <p>Why: {@code NDManager.create(java array)} wraps a direct buffer without copying. If such
     * an array enters the autograd graph (an embedding index, a gather index, a mask that is
     * multiplied) the graph keeps a reference to the tensor but not to the Java buffer, so after
     * the creating manager closes, backward reads freed memory (seen as "index 1396... is out of
     * bounds" or, worse, silently wrong gradients). A clone owns its memory.
     */
    public static NDArray owned(NDArray created) {
        NDArray copy = created.duplicate();
        created.close();
        return copy;
    }

    /**
     * A 0-dimensional constant owned by PyTorch, in {@code like}'s manager and dtype. Use it
     * instead of {@code NDArray.mul(Number)} / {@code div(Number)} in anything that will be
     * differentiated: DJL implements those by creating a Java-backed scalar and closing it right
     * after the op, while autograd keeps the scalar for backward (same dangling-buffer issue as
     * above, silently wrong gradients).
     */
    public static NDArray scalar(NDArray like, double value) {
        NDArray created = like.getManager().create(value).toType(like.getDataType(), false);
        return owned(created);
    }
}
