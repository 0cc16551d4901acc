/*
 * Intervention on the residual stream: add a vector to a block's output at chosen positions.
 * Reference: ROME/MEMIT's value step, which optimises delta added at the subject's last token.
 */
package dev.hookline.engine.model;

import ai.djl.ndarray.NDArray;

/**
 * Adds {@code vector} (d), which may require gradient, to the output of block {@code layer} at
 * each {@code (rows[i], positions[i])} pair.
 *
 * @param layer the block whose output (residual stream after the block) is changed
 * @param vector the vector to add, (d)
 * @param rows batch rows, one per pair
 * @param positions sequence positions, one per pair
 */
public record ResidualAddition(int layer, NDArray vector, int[] rows, int[] positions) {
    public ResidualAddition {
        if (rows.length != positions.length || rows.length == 0) {
            throw new IllegalArgumentException("rows and positions must be non-empty and of equal "
                    + "length, got " + rows.length + " and " + positions.length);
        }
        rows = rows.clone();
        positions = positions.clone();
    }
}
