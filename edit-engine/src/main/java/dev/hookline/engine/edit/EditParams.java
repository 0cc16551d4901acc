/*
 * Shared validation of editing hyperparameters.
 */
package dev.hookline.engine.edit;

final class EditParams {
    private EditParams() {}

    static void requireLayers(int[] layers) {
        if (layers == null || layers.length == 0) {
            throw new IllegalArgumentException("at least one editing layer is required");
        }
        for (int i = 0; i < layers.length; i++) {
            if (layers[i] < 0 || (i > 0 && layers[i] <= layers[i - 1])) {
                throw new IllegalArgumentException("editing layers must be >= 0, ascending and distinct, got "
                        + java.util.Arrays.toString(layers));
            }
        }
    }
}
