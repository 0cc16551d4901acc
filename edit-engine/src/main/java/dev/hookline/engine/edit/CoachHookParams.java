/*
 * Hyperparameters of CoachHooK and of its no-hook ablation.
 * Reference: CoachHooK (Li et al.): editing layers, lambda (covariance weight), alpha0 = 2.2;
 * lambda re-tuned for small models (DESIGN.md section 7: 15000 killed edits, 10-100 worked).
 */
package dev.hookline.engine.edit;

import java.util.Arrays;

/**
 * @param layers editing layers, ascending, distinct
 * @param lambda weight of C0 in the initial C_accu = lambda * C0
 * @param alpha0 initial scope threshold
 * @param scope "sequence" (the paper's per-sequence z-score) or "corpus" (m standardised by its
 *     distribution over a corpus key sample at the layer)
 * @param valueStep value-step hyperparameters
 */
public record CoachHookParams(int[] layers, double lambda, double alpha0, String scope, ValueStepParams valueStep) {
    public CoachHookParams {
        EditParams.requireLayers(layers);
        layers = layers.clone();
        if (!(lambda > 0) || !Double.isFinite(lambda)) {
            throw new IllegalArgumentException("lambda must be finite and > 0, got " + lambda);
        }
        if (!Double.isFinite(alpha0)) {
            throw new IllegalArgumentException("alpha0 must be finite, got " + alpha0);
        }
        if (!scope.equals("sequence") && !scope.equals("corpus")) {
            throw new IllegalArgumentException("scope must be 'sequence' or 'corpus', got '" + scope + "'");
        }
        if (valueStep == null) {
            throw new IllegalArgumentException("valueStep is required");
        }
    }

    /** Defaults for the fact-world presets (layers 0-1, lambda 10, alpha0 2.2, faithful scope). */
    public static CoachHookParams defaults() {
        return new CoachHookParams(new int[] {0, 1}, 10, 2.2, "sequence", ValueStepParams.defaults());
    }

    @Override
    public String toString() {
        return "CoachHookParams[layers=" + Arrays.toString(layers) + ", lambda=" + lambda + ", alpha0=" + alpha0
                + ", scope=" + scope + ", valueStep=" + valueStep + "]";
    }
}
