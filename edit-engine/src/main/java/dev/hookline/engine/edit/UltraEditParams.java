/*
 * Hyperparameters of UltraEdit (lifelong normalisation, one-step closed-form updates).
 * Reference: Gu et al., "UltraEdit: Training-, Subject-, and Memory-Free Lifelong Editing in
 * Large Language Models", 2025 (arXiv 2505.14679); the authors' settings: token "mask" (every
 * real position), one step of size lr, ridge term I.
 */
package dev.hookline.engine.edit;

import java.util.Arrays;

/**
 * @param layers editing layers (their MLP output projections), ascending, distinct
 * @param learningRate step size lr of the pseudo-values {@code v = -lr ||k_hat||^2 g_hat}
 * @param ridge weight of the identity in {@code (K^T K + ridge I)^-1} (the paper's 1)
 */
public record UltraEditParams(int[] layers, double learningRate, double ridge) {
    public UltraEditParams {
        EditParams.requireLayers(layers);
        layers = layers.clone();
        if (!(learningRate > 0) || !Double.isFinite(learningRate)) {
            throw new IllegalArgumentException("learning rate must be finite and > 0, got " + learningRate);
        }
        if (!(ridge > 0) || !Double.isFinite(ridge)) {
            throw new IllegalArgumentException("ridge must be finite and > 0, got " + ridge);
        }
    }

    /** Default step size for the fact-world presets (not yet tuned on a dev stream; see docs/BENCHMARKS.md). */
    public static final double DEFAULT_LEARNING_RATE = 1e-3;

    /** The presets' editing layer, {@link #DEFAULT_LEARNING_RATE}, ridge 1 (the paper's). */
    public static UltraEditParams defaults() {
        return new UltraEditParams(CoachHookParams.PRESET_LAYERS, DEFAULT_LEARNING_RATE, 1);
    }

    /** This record with other layers. */
    public UltraEditParams withLayers(int[] newLayers) {
        return new UltraEditParams(newLayers, learningRate, ridge);
    }

    /** This record with another step size. */
    public UltraEditParams withLearningRate(double newLearningRate) {
        return new UltraEditParams(layers, newLearningRate, ridge);
    }

    @Override
    public String toString() {
        return "UltraEditParams[layers=" + Arrays.toString(layers) + ", learningRate=" + learningRate + ", ridge="
                + ridge + "]";
    }
}
