/*
 * Hyperparameters of AlphaEdit (null-space constrained knowledge editing).
 * Reference: Fang et al., "AlphaEdit: Null-Space Constrained Knowledge Editing for Language
 * Models", ICLR 2025; the authors' hparams (gpt2-xl: nullspace_threshold 2e-2, L2 10).
 */
package dev.hookline.engine.edit;

import java.util.Arrays;

/**
 * @param layers editing layers, ascending, distinct
 * @param nullspaceThreshold eigenvalues of C0 = E[k k^T] below this span the null space that the
 *     projector P keeps (absolute, on the same scale as C0, as in the authors' code)
 * @param l2 the ridge term added to {@code P (K K^T + K_p K_p^T)} (the paper's I, the code's L2)
 * @param valueStep value-step hyperparameters (MEMIT's, shared with the other closed-form methods)
 */
public record AlphaEditParams(int[] layers, double nullspaceThreshold, double l2, ValueStepParams valueStep) {
    public AlphaEditParams {
        EditParams.requireLayers(layers);
        layers = layers.clone();
        if (!(nullspaceThreshold > 0) || !Double.isFinite(nullspaceThreshold)) {
            throw new IllegalArgumentException("null-space threshold must be finite and > 0, got " + nullspaceThreshold);
        }
        if (!(l2 > 0) || !Double.isFinite(l2)) {
            throw new IllegalArgumentException("L2 must be finite and > 0, got " + l2);
        }
        if (valueStep == null) {
            throw new IllegalArgumentException("valueStep is required");
        }
    }

    /** The authors' GPT2-XL threshold. */
    public static final double DEFAULT_THRESHOLD = 2e-2;
    /** The authors' GPT2-XL L2. */
    public static final double DEFAULT_L2 = 10;

    /** The presets' editing layer with the authors' threshold and L2 and {@link ValueStepParams#defaults()}. */
    public static AlphaEditParams defaults() {
        return new AlphaEditParams(CoachHookParams.PRESET_LAYERS, DEFAULT_THRESHOLD, DEFAULT_L2,
                ValueStepParams.defaults());
    }

    /** This record with other layers. */
    public AlphaEditParams withLayers(int[] newLayers) {
        return new AlphaEditParams(newLayers, nullspaceThreshold, l2, valueStep);
    }

    @Override
    public String toString() {
        return "AlphaEditParams[layers=" + Arrays.toString(layers) + ", nullspaceThreshold=" + nullspaceThreshold
                + ", l2=" + l2 + ", valueStep=" + valueStep + "]";
    }
}
