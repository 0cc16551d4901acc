/*
 * Hyperparameters of the value step (the target hidden state z of each edit).
 * Reference: MEMIT compute_z (v_num_grad_steps, v_lr, clamp_norm_factor, kl_factor,
 * v_weight_decay); defaults re-tuned for small self-trained models (DESIGN.md section 7:
 * clamp 4 and about 60 steps reached P(new) 0.9-0.98 where GPT2-XL's 0.75 / 20 did not).
 */
package dev.hookline.engine.edit;

/**
 * @param steps Adam steps on delta (stops early once every request's target NLL < stopLoss)
 * @param learningRate Adam learning rate on delta, relative to the hidden scale ||h|| / sqrt(d)
 * @param clampFactor bound {@code ||delta|| <= clampFactor * ||h||}
 * @param klFactor weight of KL(unedited || edited) on "{subject} is a"
 * @param weightDecay weight of {@code ||delta||^2 / ||h||^2}
 * @param contextVariants number of context-prefixed prompt variants besides the plain prompt
 * @param stopLoss early-stop threshold on the mean target NLL of every request
 * @param editToken where keys are read and delta is added: "subject" (the subject's last token,
 *     as ROME/MEMIT/CoachHooK) or "last" (the prompt's last token, for models that retrieve the
 *     fact at the prediction position; measured in docs/BENCHMARKS.md)
 */
public record ValueStepParams(int steps, double learningRate, double clampFactor, double klFactor,
        double weightDecay, int contextVariants, double stopLoss, String editToken) {
    public ValueStepParams {
        if (steps < 1 || steps > 10_000) {
            throw new IllegalArgumentException("value steps must be in [1, 10000], got " + steps);
        }
        if (!(learningRate > 0)) {
            throw new IllegalArgumentException("value learning rate must be > 0, got " + learningRate);
        }
        if (!(clampFactor > 0)) {
            throw new IllegalArgumentException("clamp factor must be > 0, got " + clampFactor);
        }
        if (!(klFactor >= 0) || !(weightDecay >= 0) || !(stopLoss >= 0)) {
            throw new IllegalArgumentException("klFactor, weightDecay and stopLoss must be >= 0");
        }
        if (!"subject".equals(editToken) && !"last".equals(editToken)) {
            throw new IllegalArgumentException("editToken must be 'subject' or 'last', got '" + editToken + "'");
        }
        if (contextVariants < 0 || contextVariants > 8) {
            throw new IllegalArgumentException("contextVariants must be in [0, 8], got " + contextVariants);
        }
    }

    /**
     * Defaults for the fact-world presets, tuned with lambda 1500: 60 steps, clamp 4, keys and
     * values at the prompt's last token, stopLoss 0.002 (not the part-1 0.02), because with that
     * lambda the closed-form update realises only part of the residual and the target must sit
     * further past the decision boundary (tiny, 100 edits, lambda 2000: reliability 0.73 -> 0.885;
     * docs/BENCHMARKS.md).
     */
    public static ValueStepParams defaults() {
        return new ValueStepParams(60, 0.3, 4.0, 0.0625, 0.05, 4, 0.002, "last");
    }

    /** The same record as {@link #defaults()}. */
    public static ValueStepParams tuned() {
        return defaults();
    }
}
