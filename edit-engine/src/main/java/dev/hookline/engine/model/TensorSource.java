/*
 * Where a model's parameter values come from when it is built (a checkpoint, a random init, a copy).
 */
package dev.hookline.engine.model;

import java.io.IOException;
import java.nio.ByteBuffer;

/** Supplies float32 values for a named parameter of a given shape, in the model's own layout. */
@FunctionalInterface
public interface TensorSource {
    /** Little-endian or native-order float32 values, row-major in {@code shape}. */
    ByteBuffer float32(String name, long[] shape) throws IOException;
}
