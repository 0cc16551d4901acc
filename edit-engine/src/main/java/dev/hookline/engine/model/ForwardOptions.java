/*
 * What a forward pass captures and which interventions it applies.
 */
package dev.hookline.engine.model;

import ai.djl.ndarray.NDArray;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;

/** Immutable options of {@link CausalLm#forward}; build with {@link #builder()}. */
public final class ForwardOptions {
    private static final ForwardOptions DEFAULTS = builder().build();

    private final Map<Integer, MlpProjectionHook> hooks;
    private final List<ResidualAddition> additions;
    private final Set<Integer> keyLayers;
    private final Set<Integer> mlpOutputLayers;
    private final boolean captureResiduals;
    private final boolean computeLogits;
    private final int[] readFrom; // per row, the first position whose logits are read; null: all
    private final int resumeLayer; // -1: run every block
    private final NDArray resumeResidual; // (B, T, d), the output of block resumeLayer

    private ForwardOptions(Builder b) {
        this.hooks = Collections.unmodifiableMap(new HashMap<>(b.hooks));
        this.additions = List.copyOf(b.additions);
        this.keyLayers = Set.copyOf(b.keyLayers);
        this.mlpOutputLayers = Set.copyOf(b.mlpOutputLayers);
        this.captureResiduals = b.captureResiduals;
        this.computeLogits = b.computeLogits;
        this.readFrom = null;
        this.resumeLayer = b.resumeLayer;
        this.resumeResidual = b.resumeResidual;
    }

    private ForwardOptions(ForwardOptions o, int[] readFrom) {
        this.hooks = o.hooks;
        this.additions = o.additions;
        this.keyLayers = o.keyLayers;
        this.mlpOutputLayers = o.mlpOutputLayers;
        this.captureResiduals = o.captureResiduals;
        this.computeLogits = o.computeLogits;
        this.readFrom = readFrom;
        this.resumeLayer = o.resumeLayer;
        this.resumeResidual = o.resumeResidual;
    }

    /** Plain forward: logits only, no hooks. */
    public static ForwardOptions defaults() {
        return DEFAULTS;
    }

    public static Builder builder() {
        return new Builder();
    }

    /** Installed c_proj replacement hooks by layer. */
    public Map<Integer, MlpProjectionHook> hooks() {
        return hooks;
    }

    /** Residual additions, applied in order after the block's MLP residual add. */
    public List<ResidualAddition> additions() {
        return additions;
    }

    /** Layers whose MLP keys (B, T, d_ff) are captured. */
    public Set<Integer> keyLayers() {
        return keyLayers;
    }

    /** Layers whose MLP outputs (after any hook, B, T, d) are captured. */
    public Set<Integer> mlpOutputLayers() {
        return mlpOutputLayers;
    }

    /** Whether every block's residual stream (after attention and after the block) is captured. */
    public boolean captureResiduals() {
        return captureResiduals;
    }

    /** Whether ln_f and the LM head run (false when only hidden states are needed). */
    public boolean computeLogits() {
        return computeLogits;
    }

    /**
     * Per row, the first position whose logits the caller reads, or null (every position is read).
     * The last block's hook is told (see {@link MlpProjectionHook}) and may skip work before it (a
     * validated hook with a key scope keeps W_0 there): no later block reads those positions, so
     * the logits from this position on are exactly the hooked model's, and the logits before it
     * may not be. Used by teacher-forced scoring, where a span scope would otherwise score every
     * prompt position.
     */
    public int[] readFrom() {
        return readFrom == null ? null : readFrom.clone();
    }

    /**
     * The block after whose output the forward starts, or -1 (every block runs). See
     * {@link Builder#resumeAfter}.
     */
    public int resumeLayer() {
        return resumeLayer;
    }

    /** The output of block {@link #resumeLayer()} the forward starts from, (B, T, d), or null. */
    public NDArray resumeResidual() {
        return resumeResidual;
    }

    /** These options with {@link #readFrom()} set (one entry per batch row, each >= 0). */
    public ForwardOptions withReadFrom(int[] firstRead) {
        for (int f : firstRead) {
            if (f < 0) {
                throw new IllegalArgumentException("first read position must be >= 0, got " + f);
            }
        }
        return new ForwardOptions(this, firstRead.clone());
    }

    /** Builder of {@link ForwardOptions}. */
    public static final class Builder {
        private final Map<Integer, MlpProjectionHook> hooks = new HashMap<>();
        private final List<ResidualAddition> additions = new ArrayList<>();
        private final Set<Integer> keyLayers = new HashSet<>();
        private final Set<Integer> mlpOutputLayers = new HashSet<>();
        private boolean captureResiduals;
        private boolean computeLogits = true;
        private int resumeLayer = -1;
        private NDArray resumeResidual;

        private Builder() {}

        /**
         * Starts the forward after block {@code layer} from {@code residual}, that block's output
         * (B, T, d) as an earlier forward of the same batch captured it: blocks 0..layer do not run,
         * residual additions at {@code layer} are added to it, and the later blocks, ln_f and the
         * head run as usual. For callers that change nothing before that point (the value step adds
         * its vector at {@code layer}, so every step shares the blocks below). Not with a KV cache
         * or captures at or below {@code layer}; the residual is read, never changed or closed.
         */
        public Builder resumeAfter(int layer, NDArray residual) {
            if (layer < 0 || residual == null) {
                throw new IllegalArgumentException("resume needs a layer >= 0 and its residual");
            }
            this.resumeLayer = layer;
            this.resumeResidual = residual;
            return this;
        }

        /** Installs {@code hook} on the c_proj output of block {@code layer} (replaces any). */
        public Builder hook(int layer, MlpProjectionHook hook) {
            hooks.put(layer, hook);
            return this;
        }

        /** Installs all hooks of the map. */
        public Builder hooks(Map<Integer, ? extends MlpProjectionHook> byLayer) {
            hooks.putAll(byLayer);
            return this;
        }

        /** Adds a residual-stream intervention. */
        public Builder add(ResidualAddition addition) {
            additions.add(addition);
            return this;
        }

        /** Captures MLP keys at these layers. */
        public Builder captureKeys(int... layers) {
            for (int l : layers) {
                keyLayers.add(l);
            }
            return this;
        }

        /** Captures MLP outputs at these layers. */
        public Builder captureMlpOutputs(int... layers) {
            for (int l : layers) {
                mlpOutputLayers.add(l);
            }
            return this;
        }

        /** Captures the residual stream of every block. */
        public Builder captureResiduals(boolean capture) {
            this.captureResiduals = capture;
            return this;
        }

        /** Skips ln_f and the LM head when false. */
        public Builder computeLogits(boolean compute) {
            this.computeLogits = compute;
            return this;
        }

        public ForwardOptions build() {
            return new ForwardOptions(this);
        }
    }
}
