/*
 * Deep copies of a model for the in-place baselines (MEMIT, no-hook ablation, FT), so the
 * caller's base model is never written.
 */
package dev.hookline.engine.edit;

import ai.djl.ndarray.types.DataType;
import dev.hookline.engine.model.Gpt2Model;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Copies through {@link Gpt2Model#create}, which always allocates fresh parameter storage. */
public final class ModelCopies {
    private ModelCopies() {}

    /**
     * A copy with its own parameter storage. (As of this writing {@code Gpt2Model.copy(sameType)}
     * shares storage with the original, because DJL's PyTorch {@code toType(sameType, true)}
     * returns a view; measured by FtEditor writing through to the base model.)
     */
    public static Gpt2Model deepCopy(Gpt2Model base) {
        try {
            return Gpt2Model.create(base.config(), (name, shape) -> {
                float[] values = base.parameter(name).toType(DataType.FLOAT32, false).toFloatArray();
                ByteBuffer out = ByteBuffer.allocateDirect(4 * values.length).order(ByteOrder.nativeOrder());
                out.asFloatBuffer().put(values);
                return out;
            }, base.device(), base.dataType());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
