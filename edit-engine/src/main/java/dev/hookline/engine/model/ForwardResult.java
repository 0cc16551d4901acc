/*
 * Outputs of one causal-LM forward pass: logits and the captured internal states.
 */
package dev.hookline.engine.model;

import ai.djl.ndarray.NDArray;
import java.util.List;
import java.util.Map;

/**
 * Arrays of one forward pass, all owned by the manager passed to {@link CausalLm#forward}.
 * B rows, T positions, d hidden size, d_ff MLP width, V vocabulary.
 */
public final class ForwardResult {
    private final NDArray logits;
    private final NDArray embeddings;
    private final List<NDArray> attentionResiduals;
    private final List<NDArray> residuals;
    private final Map<Integer, NDArray> keys;
    private final Map<Integer, NDArray> mlpOutputs;

    ForwardResult(NDArray logits, NDArray embeddings, List<NDArray> attentionResiduals,
            List<NDArray> residuals, Map<Integer, NDArray> keys, Map<Integer, NDArray> mlpOutputs) {
        this.logits = logits;
        this.embeddings = embeddings;
        this.attentionResiduals = attentionResiduals;
        this.residuals = residuals;
        this.keys = keys;
        this.mlpOutputs = mlpOutputs;
    }

    /** Next-token logits, (B, T, V); position t predicts token t + 1. */
    public NDArray logits() {
        if (logits == null) {
            throw new IllegalStateException("logits were not computed (computeLogits(false))");
        }
        return logits;
    }

    /** Token plus position embeddings, the residual stream entering block 0, (B, T, d). */
    public NDArray embeddings() {
        return embeddings;
    }

    /** Residual stream after block {@code layer} (its output, before ln_f for the last), (B, T, d). */
    public NDArray residual(int layer) {
        requireResiduals();
        return residuals.get(layer);
    }

    /** Residual stream inside block {@code layer} after attention, the input of ln_2, (B, T, d). */
    public NDArray attentionResidual(int layer) {
        requireResiduals();
        return attentionResiduals.get(layer);
    }

    /** MLP keys k = gelu(c_fc(ln_2(h))) at {@code layer}, (B, T, d_ff). */
    public NDArray keys(int layer) {
        NDArray k = keys.get(layer);
        if (k == null) {
            throw new IllegalStateException("keys of layer " + layer + " were not captured");
        }
        return k;
    }

    /** MLP output at {@code layer} as used by the block (after any hook), (B, T, d). */
    public NDArray mlpOutput(int layer) {
        NDArray v = mlpOutputs.get(layer);
        if (v == null) {
            throw new IllegalStateException("MLP output of layer " + layer + " was not captured");
        }
        return v;
    }

    private void requireResiduals() {
        if (residuals == null) {
            throw new IllegalStateException("residuals were not captured (captureResiduals(true))");
        }
    }
}
