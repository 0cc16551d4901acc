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

    /** Defaults for the fact-world presets. */
    public static MemitParams defaults() {
        return new MemitParams(new int[] {0, 1}, 10, ValueStepParams.defaults());
    }

    /** Tuned for the fact-world presets (docs/BENCHMARKS.md): layer 2, lambda 1500. */
    public static MemitParams tuned() {
        return new MemitParams(CoachHookParams.PRESET_LAYERS, 1500, ValueStepParams.tuned());
    }

    @Override
    public String toString() {
        return "MemitParams[layers=" + Arrays.toString(layers) + ", lambda=" + lambda + ", valueStep=" + valueStep + "]";
    }
}
