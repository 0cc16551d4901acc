/*
 * Hyperparameters of CoachHooK, of its no-hook ablation and of this project's named variants.
 * Reference: CoachHooK (Li et al.): editing layers, lambda (covariance weight), alpha0 = 2.2;
 * layers and lambda re-tuned for the fact-world presets by the sweep in docs/BENCHMARKS.md, and
 * that tuned record is the default (the part-1 values, layers 0-1 and lambda 10, measured far
 * below it and are no longer a named record; `--layers 0,1 --lambda 10 --value-stop 0.02`
 * reproduces them).
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
 * @param boostRounds 0 for the paper's rule (alpha falls to the weakest edited prompt's score);
 *     n > 0: before alpha is lowered, up to n rounds scale up the residual of every edited prompt
 *     whose score at the layer is below alpha (x {@link #BOOST_FACTOR} per round), so one weak
 *     edit does not open the scope for every prompt; the min rule still runs afterwards
 * @param scopeLambda span scope only: the lambda inside its score rho (which reads
 *     {@code (scopeLambda C0)^-1} and {@code (scopeLambda C0 + sum K K^T)^-1}); the update keeps
 *     {@code lambda}. Equal to {@code lambda} unless set apart: with the update's lambda (hundreds)
 *     an edited key's own rho is only about w2 / (1 + w2) ~ 0.5, with a small one (~15) it is near 1
 *     while unrelated keys stay low (docs/BENCHMARKS.md, sixth session). Unused by the other scopes.
 * @param valueHooks how the value step sees the current hook state: {@code "validated"} (the paper:
 *     each hook swaps where its scope test says) or {@code "temporary"} (every hook swaps at every
 *     position: the value step starts from W_h's output, the output an edited prompt gets once its
 *     key is in scope; measured for coachhook-span in docs/BENCHMARKS.md, seventh session)
 * @param scopeKeys span-relation only: which keys of an edit its relation's span holds,
 *     {@value #SCOPE_KEYS_MEAN} (the update's key, averaged over the plain prompt and its
 *     context-prefixed variants) or {@value #SCOPE_KEYS_MEAN_PLAIN} (that key and the plain prompt's
 *     own key, two columns per edit; better at 300 edits, far worse at 1000: docs/BENCHMARKS.md,
 *     eleventh session). The update and the
 *     routing use the mean key either way. The other scopes take {@value #SCOPE_KEYS_MEAN} only.
 * @param scopeRoutes span-relation only: under how many nearest relations a key is scored, 1 or 2
 *     (the larger rho counts; docs/BENCHMARKS.md, thirteenth session). The other scopes take 1.
 */
public record CoachHookParams(int[] layers, double lambda, double alpha0, String scope, ValueStepParams valueStep,
        int boostRounds, double scopeLambda, String valueHooks, String scopeKeys, int scopeRoutes) {
    /** Residual scale per boost round. */
    public static final double BOOST_FACTOR = 1.5;

    public CoachHookParams {
        EditParams.requireLayers(layers);
        layers = layers.clone();
        if (!(lambda > 0) || !Double.isFinite(lambda)) {
            throw new IllegalArgumentException("lambda must be finite and > 0, got " + lambda);
        }
        if (!Double.isFinite(alpha0)) {
            throw new IllegalArgumentException("alpha0 must be finite, got " + alpha0);
        }
        if (!"sequence".equals(scope) && !"corpus".equals(scope) && !"span".equals(scope)
                && !"span-relation".equals(scope) && !"nearest".equals(scope)) {
            throw new IllegalArgumentException("scope must be 'sequence', 'corpus', 'span', 'span-relation' or 'nearest', got '"
                    + scope + "'");
        }
        if (valueStep == null) {
            throw new IllegalArgumentException("valueStep is required");
        }
        if (boostRounds < 0 || boostRounds > 10) {
            throw new IllegalArgumentException("boostRounds must be in [0, 10], got " + boostRounds);
        }
        if (!(scopeLambda > 0) || !Double.isFinite(scopeLambda)) {
            throw new IllegalArgumentException("scope lambda must be finite and > 0, got " + scopeLambda);
        }
        if (!VALUE_HOOKS_VALIDATED.equals(valueHooks) && !VALUE_HOOKS_TEMPORARY.equals(valueHooks)) {
            throw new IllegalArgumentException("valueHooks must be 'validated' or 'temporary', got '" + valueHooks + "'");
        }
        if (!SCOPE_KEYS_MEAN.equals(scopeKeys) && !SCOPE_KEYS_MEAN_PLAIN.equals(scopeKeys)) {
            throw new IllegalArgumentException("scopeKeys must be '" + SCOPE_KEYS_MEAN + "' or '" + SCOPE_KEYS_MEAN_PLAIN
                    + "', got '" + scopeKeys + "'");
        }
        if (SCOPE_KEYS_MEAN_PLAIN.equals(scopeKeys) && !"span-relation".equals(scope) && !"nearest".equals(scope)) {
            throw new IllegalArgumentException("scopeKeys '" + SCOPE_KEYS_MEAN_PLAIN
                    + "' is a span-relation option; scope '" + scope + "' takes '" + SCOPE_KEYS_MEAN + "'");
        }
        if (scopeRoutes != 1 && scopeRoutes != 2) {
            throw new IllegalArgumentException("scopeRoutes must be 1 or 2, got " + scopeRoutes);
        }
        if (scopeRoutes != 1 && !"span-relation".equals(scope)) {
            throw new IllegalArgumentException("scopeRoutes " + scopeRoutes + " is a span-relation option; scope '"
                    + scope + "' takes 1");
        }
    }

    /** A record whose relation spans (if any) score each key under its nearest relation only. */
    public CoachHookParams(int[] layers, double lambda, double alpha0, String scope, ValueStepParams valueStep,
            int boostRounds, double scopeLambda, String valueHooks, String scopeKeys) {
        this(layers, lambda, alpha0, scope, valueStep, boostRounds, scopeLambda, valueHooks, scopeKeys, 1);
    }

    /** A record whose span scope (if any) holds the edits' mean keys. */
    public CoachHookParams(int[] layers, double lambda, double alpha0, String scope, ValueStepParams valueStep,
            int boostRounds, double scopeLambda, String valueHooks) {
        this(layers, lambda, alpha0, scope, valueStep, boostRounds, scopeLambda, valueHooks, SCOPE_KEYS_MEAN);
    }

    /** {@link #scopeKeys()}: a relation's span holds each edit's mean key (the update's key). */
    public static final String SCOPE_KEYS_MEAN = "mean";
    /** {@link #scopeKeys()}: a relation's span holds each edit's mean key and its plain prompt's key. */
    public static final String SCOPE_KEYS_MEAN_PLAIN = "mean+plain";

    /** A record whose span scope (if any) uses the update's lambda. */
    public CoachHookParams(int[] layers, double lambda, double alpha0, String scope, ValueStepParams valueStep,
            int boostRounds) {
        this(layers, lambda, alpha0, scope, valueStep, boostRounds, lambda, VALUE_HOOKS_VALIDATED);
    }

    /** {@link #valueHooks()}: the value step sees the hooks as they serve (the paper's). */
    public static final String VALUE_HOOKS_VALIDATED = "validated";
    /** {@link #valueHooks()}: the value step sees W_h at every position. */
    public static final String VALUE_HOOKS_TEMPORARY = "temporary";

    /** The paper's alpha rule (no boost rounds). */
    public CoachHookParams(int[] layers, double lambda, double alpha0, String scope, ValueStepParams valueStep) {
        this(layers, lambda, alpha0, scope, valueStep, 0);
    }

    /** Blocks of the fact-world presets (tiny and demo: d 96, 3 blocks). */
    public static final int PRESET_BLOCKS = 3;

    /** Tuned editing layers of the fact-world presets: their last block (docs/BENCHMARKS.md). */
    static final int[] PRESET_LAYERS = {PRESET_BLOCKS - 1};

    /** Default lambda, from the sweep in docs/BENCHMARKS.md (10 let later batches overwrite earlier edits). */
    public static final double DEFAULT_LAMBDA = 1500;

    /**
     * The default editing layers of a model with {@code blockCount} transformer blocks: its last
     * block, {@code {blockCount - 1}}. The layer sweep on the 3-block presets found the last block
     * best by far (layer 2: reliability 0.99 over 100 edits where layers 0-1 reached 0.855;
     * docs/BENCHMARKS.md); for other depths this is the same rule, not a measured optimum.
     *
     * @throws IllegalArgumentException if {@code blockCount < 1}
     */
    public static int[] defaultLayers(int blockCount) {
        if (blockCount < 1) {
            throw new IllegalArgumentException("a model has at least one block, got " + blockCount);
        }
        return new int[] {blockCount - 1};
    }

    /**
     * The default record for the fact-world presets: faithful CoachHooK (sequence z-score, min
     * alpha rule, the paper's alpha0 2.2) on the last block (layer 2 of 3), lambda
     * {@value #DEFAULT_LAMBDA} and {@link ValueStepParams#defaults()}, i.e. the record measured in
     * docs/BENCHMARKS.md (tiny world, 100 edits: 0.990 / 0.895 / 0.928). For a model of another
     * depth use {@link #defaults(int)}.
     */
    public static CoachHookParams defaults() {
        return defaults(PRESET_BLOCKS);
    }

    /** {@link #defaults()} with the editing layer resolved against a model of {@code blockCount} blocks. */
    public static CoachHookParams defaults(int blockCount) {
        return new CoachHookParams(defaultLayers(blockCount), DEFAULT_LAMBDA, 2.2, "sequence", ValueStepParams.defaults());
    }

    /** The same record as {@link #defaults()} (the name the bench reports used before it became the default). */
    public static CoachHookParams tuned() {
        return defaults();
    }

    /** CoachHooK with the corpus-calibrated scope test, tuned for the presets. */
    public static CoachHookParams corpusTuned() {
        return new CoachHookParams(PRESET_LAYERS, DEFAULT_LAMBDA, 2.2, "corpus", ValueStepParams.defaults());
    }

    /** The no-hook ablation, tuned for the presets (scope and alpha0 are unused). */
    public static CoachHookParams noHookTuned() {
        return new CoachHookParams(PRESET_LAYERS, DEFAULT_LAMBDA, 2.2, "sequence", ValueStepParams.defaults());
    }

    /** coachhook-plus: corpus scope and up to 3 boost rounds before alpha is lowered. */
    public static CoachHookParams plusTuned() {
        return new CoachHookParams(PRESET_LAYERS, DEFAULT_LAMBDA, 2.2, "corpus", ValueStepParams.defaults(), 3);
    }

    /**
     * coachhook-span: the span scope test (rho, the whitened share of a key in the span of the edited
     * keys) with a fixed threshold {@link #SPAN_ALPHA0} and its own lambda {@link #SPAN_SCOPE_LAMBDA};
     * the paper's value step (validated hooks). Tuned for the setting, 1000 consecutive edits,
     * on the demo-d256 preset, where it measured best (docs/BENCHMARKS.md, seventh session: 0.899 /
     * 0.769 / 0.919 at batch 10, 0.927 / 0.803 / 0.915 at batch 100; the value step from W_h, valueHooks
     * "temporary", gains at batch 10, 0.931 / 0.806 / 0.913, and loses at batch 100, 0.805 / 0.662 /
     * 0.911, so it is not the default). The threshold is per model: on the d 96
     * presets the best measured points were lower (demo-wide 0.95 at scope lambda 15, sixth session;
     * the 384-wide demo model at <= 250 edits 0.7 with the scope on the update's lambda 300).
     */
    public static CoachHookParams spanTuned() {
        return new CoachHookParams(PRESET_LAYERS, SPAN_LAMBDA, SPAN_ALPHA0, "span", ValueStepParams.defaults(), 0,
                SPAN_SCOPE_LAMBDA, VALUE_HOOKS_VALIDATED);
    }

    /**
     * coachhook-span-relation: {@link #spanTuned()} with one span per relation, each prompt position
     * routed to the relation whose centred mean edit key is nearest in direction
     * ({@link dev.hookline.engine.hook.RelationSpanScope}); threshold {@link #SPAN_RELATION_ALPHA0};
     * each relation's span holds its edits' mean keys and their plain prompts' keys
     * ({@link #SCOPE_KEYS_MEAN_PLAIN}). With the plain keys in the span every edit prompt scores rho
     * ~1, so the threshold can be high enough to keep same-relation neighbours out at 1000 edits
     * (docs/BENCHMARKS.md, eleventh session: demo-d256x, 1000 edits, both batch sizes). Each key is
     * scored under its two nearest relations ({@link #SPAN_RELATION_ROUTES}): a paraphrase routed to
     * the wrong relation still opens (thirteenth session: at 1000 edits, batch 10, +0.020 reliability
     * and +0.017 generality for -0.004 locality on the same edited state).
     */
    public static CoachHookParams spanRelationTuned() {
        return new CoachHookParams(PRESET_LAYERS, SPAN_LAMBDA, SPAN_RELATION_ALPHA0, "span-relation",
                ValueStepParams.defaults(), 0, SPAN_SCOPE_LAMBDA, VALUE_HOOKS_VALIDATED, SCOPE_KEYS_MEAN_PLAIN,
                SPAN_RELATION_ROUTES);
    }

    /**
     * coachhook-nearest: span-relation's record (update, value step, lambda_s 15, mean and plain keys)
     * with the nearest-edit scope ({@link dev.hookline.engine.hook.NearestKeyScope}) and its threshold
     * {@link #NEAREST_ALPHA0}. Needs no relation labels.
     */
    public static CoachHookParams nearestTuned() {
        return new CoachHookParams(PRESET_LAYERS, SPAN_LAMBDA, NEAREST_ALPHA0, "nearest", ValueStepParams.defaults(), 0,
                SPAN_SCOPE_LAMBDA, VALUE_HOOKS_VALIDATED, SCOPE_KEYS_MEAN_PLAIN, 1);
    }

    /**
     * Threshold of {@link #nearestTuned()} on the largest single-key score, chosen on the demo-d256x
     * dev stream (500 edits, batch 100, lambda 5000, no labels) among 0.3 / 0.45 / 0.6 by the best
     * mean of reliability, generality and locality: 0.817 / 0.808 / 0.789 (docs/BENCHMARKS.md,
     * seventeenth session; `hookline scope-geometry` put the range there: 0.425 keeps 97 % of the
     * neighbours' keys out after 500 edits).
     */
    public static final double NEAREST_ALPHA0 = 0.3;

    /** Nearest relations that score a key in {@link #spanRelationTuned()}. */
    public static final int SPAN_RELATION_ROUTES = 2;

    /**
     * Threshold on rho of {@link #spanRelationTuned()}, for its mean and plain keys: those put every
     * edit prompt at rho ~1, and 0.65 keeps same-relation neighbours out at 1000 edits on demo-d256x
     * (docs/BENCHMARKS.md, eleventh session; with the mean keys alone 0.5 measured best, ninth and
     * tenth sessions).
     */
    public static final double SPAN_RELATION_ALPHA0 = 0.65;

    /** Update lambda of {@link #spanTuned()}. */
    public static final double SPAN_LAMBDA = 400;

    /** lambda inside the scope score of {@link #spanTuned()}. */
    public static final double SPAN_SCOPE_LAMBDA = 15;

    /** Threshold on rho of {@link #spanTuned()} (rho lies in [0, 1)). */
    public static final double SPAN_ALPHA0 = 0.99;

    /**
     * This record with other layers and lambda; a scope lambda that was the update's lambda follows
     * the new one, one set apart is kept.
     */
    public CoachHookParams withLayersAndLambda(int[] newLayers, double newLambda) {
        return new CoachHookParams(newLayers, newLambda, alpha0, scope, valueStep, boostRounds,
                scopeDecoupled() ? scopeLambda : newLambda, valueHooks, scopeKeys, scopeRoutes);
    }

    /** This record with another scope lambda (span scope). */
    public CoachHookParams withScopeLambda(double newScopeLambda) {
        return new CoachHookParams(layers, lambda, alpha0, scope, valueStep, boostRounds, newScopeLambda, valueHooks,
                scopeKeys, scopeRoutes);
    }

    /** True if the span scope's lambda differs from the update's. */
    public boolean scopeDecoupled() {
        return scopeLambda != lambda;
    }

    /** This record with another value step. */
    public CoachHookParams withValueStep(ValueStepParams newValueStep) {
        return new CoachHookParams(layers, lambda, alpha0, scope, newValueStep, boostRounds, scopeLambda, valueHooks,
                scopeKeys, scopeRoutes);
    }

    /** This record with another alpha0. */
    public CoachHookParams withAlpha0(double newAlpha0) {
        return new CoachHookParams(layers, lambda, newAlpha0, scope, valueStep, boostRounds, scopeLambda, valueHooks,
                scopeKeys, scopeRoutes);
    }

    /** This record with the value step seeing the hooks {@code newValueHooks} ("validated" or "temporary"). */
    public CoachHookParams withValueHooks(String newValueHooks) {
        return new CoachHookParams(layers, lambda, alpha0, scope, valueStep, boostRounds, scopeLambda, newValueHooks,
                scopeKeys, scopeRoutes);
    }

    /** This record with a relation's span holding {@code newScopeKeys} ("mean" or "mean+plain"). */
    public CoachHookParams withScopeKeys(String newScopeKeys) {
        return new CoachHookParams(layers, lambda, alpha0, scope, valueStep, boostRounds, scopeLambda, valueHooks,
                newScopeKeys, scopeRoutes);
    }

    /** This record scoring each key under its {@code newScopeRoutes} nearest relations (span-relation: 1 or 2). */
    public CoachHookParams withScopeRoutes(int newScopeRoutes) {
        return new CoachHookParams(layers, lambda, alpha0, scope, valueStep, boostRounds, scopeLambda, valueHooks,
                scopeKeys, newScopeRoutes);
    }

    @Override
    public String toString() {
        return "CoachHookParams[layers=" + Arrays.toString(layers) + ", lambda=" + lambda + ", alpha0=" + alpha0
                + ", scope=" + scope +  (scope.startsWith("span") ? ", scopeLambda=" + scopeLambda : "") + ", valueStep=" + valueStep
                + ", boostRounds=" + boostRounds
                + (valueHooks.equals(VALUE_HOOKS_VALIDATED) ? "" : ", valueHooks=" + valueHooks)
                + (scopeKeys.equals(SCOPE_KEYS_MEAN) ? "" : ", scopeKeys=" + scopeKeys)
                + (scopeRoutes == 1 ? "" : ", scopeRoutes=" + scopeRoutes) + "]";
    }
}
