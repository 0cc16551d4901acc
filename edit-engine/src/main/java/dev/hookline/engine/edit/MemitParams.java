/*
 * Hyperparameters of MEMIT applied sequentially (in place, no accumulation).
 * Reference: MEMIT (Meng et al. 2023): layers, mom2_update_weight (lambda), value step.
 */
package dev.hookline.engine.edit;

import java.util.Arrays;

/**
 * @param layers editing layers, ascending, distinct
 * @param lambda weight of C0: A = solve(lambda * C0 + K K^T, K)
 * @param valueStep value-step hyperparameters
 */
public record MemitParams(int[] layers, double lambda, ValueStepParams valueStep) {
    public MemitParams {
        EditParams.requireLayers(layers);
        layers = layers.clone();
        if (!(lambda > 0) || !Double.isFinite(lambda)) {
            throw new IllegalArgumentException("lambda must be finite and > 0, got " + lambda);
        }
        if (valueStep == null) {
            throw new IllegalArgumentException("valueStep is required");
        }
    }

    /**
     * Defaults for the fact-world presets, tuned by the sweep in docs/BENCHMARKS.md: the last
     * block (layer 2 of 3), lambda {@value CoachHookParams#DEFAULT_LAMBDA}, {@link ValueStepParams#defaults()}.
     */
    public static MemitParams defaults() {
        return new MemitParams(CoachHookParams.PRESET_LAYERS, CoachHookParams.DEFAULT_LAMBDA, ValueStepParams.defaults());
    }

    /** The same record as {@link #defaults()}. */
    public static MemitParams tuned() {
        return defaults();
    }

    @Override
    public String toString() {
        return "MemitParams[layers=" + Arrays.toString(layers) + ", lambda=" + lambda + ", valueStep=" + valueStep + "]";
    }
}
