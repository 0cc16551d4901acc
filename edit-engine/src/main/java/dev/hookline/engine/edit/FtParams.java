/*
 * Hyperparameters of constrained fine-tuning of the editing layers' MLP projections.
 * Reference: ROME's FT-L baseline (Adam on the NLL of the new target, each weight kept within
 * an L-infinity ball of radius normBound around its original value).
 */
package dev.hookline.engine.edit;

import java.util.Arrays;

/**
 * @param layers layers whose hooked MLP projection (c_proj, fc_out, down_proj) is tuned
 * @param steps Adam steps per batch
 * @param learningRate Adam learning rate
 * @param normBound L-infinity bound on W - W_0 (cumulative over all batches)
 * @param contextVariants context-prefixed variants trained on besides the plain prompt
 */
public record FtParams(int[] layers, int steps, double learningRate, double normBound, int contextVariants) {
    public FtParams {
        EditParams.requireLayers(layers);
        layers = layers.clone();
        if (steps < 1 || !(learningRate > 0) || !(normBound > 0) || contextVariants < 0) {
            throw new IllegalArgumentException("FT needs steps >= 1, learningRate > 0, normBound > 0, "
                    + "contextVariants >= 0; got " + steps + ", " + learningRate + ", " + normBound + ", " + contextVariants);
        }
    }

    /** Defaults for the fact-world presets. */
    public static FtParams defaults() {
        return new FtParams(new int[] {0, 1}, 25, 1e-3, 5e-3, 2);
    }

    /**
     * Tuned for the fact-world presets (docs/BENCHMARKS.md): the closed-form methods' layer 2, and
     * a bound and learning rate large enough to move the answer (the defaults' 5e-3 / 1e-3 changed
     * no prediction at all).
     */
    public static FtParams tuned() {
        return new FtParams(CoachHookParams.PRESET_LAYERS, 25, 1e-2, 0.1, 2);
    }

    @Override
    public String toString() {
        return "FtParams[layers=" + Arrays.toString(layers) + ", steps=" + steps + ", learningRate=" + learningRate
                + ", normBound=" + normBound + ", contextVariants=" + contextVariants + "]";
    }
}
