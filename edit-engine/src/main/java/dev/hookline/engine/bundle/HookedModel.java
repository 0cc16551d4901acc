/*
 * Public inference API over a base checkpoint with a hook bundle applied: what the editor worker
 * and the serving nodes call. Java types in and out; no NDArray crosses this boundary.
 * Reference: CoachHooK validated hook layers at inference.
 */
package dev.hookline.engine.bundle;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.hook.CorpusZScore;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.NearestKeyScope;
import dev.hookline.engine.hook.RelationSpanScope;
import dev.hookline.engine.hook.RoutingDirections;
import dev.hookline.engine.hook.ScopeTest;
import dev.hookline.engine.hook.SequenceZScore;
import dev.hookline.engine.hook.SpanScope;
import dev.hookline.engine.hook.SubjectGate;
import dev.hookline.engine.infer.ContinuationScore;
import dev.hookline.engine.infer.Generation;
import dev.hookline.engine.infer.LanguageModel;
import dev.hookline.engine.infer.PromptTarget;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.TokenBatch;
import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A base model with the validated hooks of one bundle installed. Thread-safe for concurrent
 * inference (hooks are immutable). Close to release the model.
 */
public final class HookedModel implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(HookedModel.class);

    /**
     * What the scope test did at one hooked layer and token.
     *
     * @param layer block index
     * @param position token position
     * @param token the token's text
     * @param m ||(W_h - W_0) k||
     * @param z the scope test's score: z for the z-score scopes, rho for the span scope (NaN when undefined)
     * @param alpha the layer's threshold
     * @param swapped whether the hooked output was used
     */
    public record TokenTrace(int layer, int position, String token, double m, double z, double alpha, boolean swapped) {}

    private final LanguageModel base;
    private final NDManager hookManager;
    private final Map<Integer, HookLayer> hooks;
    private final String bundleDigest;
    private final HookBundle bundle;

    private HookedModel(LanguageModel base, HookBundle bundle, String bundleDigest) {
        this.base = base;
        this.bundle = bundle;
        this.bundleDigest = bundleDigest;
        this.hookManager = base.model().manager().newSubManager();
        this.hooks = install(base.model(), base.tokenizer(), bundle, hookManager);
    }

    /**
     * Hooks of {@code bundle} for {@code model}, arrays owned by {@code manager}. A span-scope
     * bundle gets a {@link SpanScope} on its two float64 (d_ff, d_ff) inverses per layer, a
     * span-relation bundle a {@link RelationSpanScope} in its factored serving form (one float32
     * (d_ff, d_ff + sum of the relations' ranks) projection per layer, from the bundle's inverses;
     * q_0 stays float64 where the preserve inverse does not factor), routed by the relations'
     * key sums exactly as the editor routes. The JVM property {@value #DENSE_SCOPE_PROPERTY}=true
     * keeps the dense form (to benchmark the two on one build: {@code hookline bench serving}).
     */
    public static Map<Integer, HookLayer> install(CausalLm model, HookBundle bundle, NDManager manager) {
        return install(model, null, bundle, manager, !Boolean.getBoolean(DENSE_SCOPE_PROPERTY));
    }

    /** As {@link #install(CausalLm, HookBundle, NDManager)}, with the tokenizer a subject-gated bundle needs. */
    public static Map<Integer, HookLayer> install(CausalLm model, TextTokenizer tokenizer, HookBundle bundle,
            NDManager manager) {
        return install(model, tokenizer, bundle, manager, !Boolean.getBoolean(DENSE_SCOPE_PROPERTY));
    }

    /** JVM property that makes {@link #install(CausalLm, HookBundle, NDManager)} keep the dense span-relation form. */
    public static final String DENSE_SCOPE_PROPERTY = "hookline.scope.dense";

    /**
     * As {@link #install(CausalLm, HookBundle, NDManager)}; with {@code factoredScope} false a
     * span-relation bundle keeps the editor's dense float64 form (the reference the factored form is
     * checked and benchmarked against).
     */
    public static Map<Integer, HookLayer> install(CausalLm model, HookBundle bundle, NDManager manager,
            boolean factoredScope) {
        return install(model, null, bundle, manager, factoredScope);
    }

    /**
     * As {@link #install(CausalLm, HookBundle, NDManager, boolean)}; {@code tokenizer} spells a codebook-subject
     * bundle's subjects (such a bundle without one is refused).
     */
    public static Map<Integer, HookLayer> install(CausalLm model, TextTokenizer tokenizer, HookBundle bundle,
            NDManager manager, boolean factoredScope) {
        SubjectGate gate = null;
        if (bundle.nearestScope() != null && bundle.nearestScope().gated()) {
            if (tokenizer == null) {
                throw new IllegalArgumentException("a " + bundle.method() + " bundle gates by subject: installing it"
                        + " needs the model's tokenizer");
            }
            gate = new SubjectGate(bundle.nearestScope().subjects(), tokenizer);
        }
        if (!bundle.architecture().equals(model.architecture().modelType())) {
            throw new IllegalArgumentException("bundle was made for a " + bundle.architecture()
                    + " base model; this base model is " + model.architecture().modelType());
        }
        if (bundle.mlpSize() != model.config().mlpSize() || bundle.hiddenSize() != model.config().hiddenSize()) {
            throw new IllegalArgumentException("bundle shapes (d_ff " + bundle.mlpSize() + ", d " + bundle.hiddenSize()
                    + ") do not fit the model (d_ff " + model.config().mlpSize() + ", d " + model.config().hiddenSize() + ")");
        }
        Map<Integer, HookLayer> out = new LinkedHashMap<>();
        for (int l : bundle.layers()) {
            if (l >= model.config().layerCount()) {
                throw new IllegalArgumentException("bundle hooks layer " + l + " but the model has "
                        + model.config().layerCount() + " layers");
            }
            NDArray delta = manager.create(bundle.deltas().get(l), new Shape(bundle.mlpSize(), bundle.hiddenSize()))
                    .toType(model.dataType(), false);
            ScopeTest scope = switch (bundle.scope()) {
                case "corpus-z" -> new CorpusZScore(bundle.scopeMu().get(l), bundle.scopeSigma().get(l));
                case HookBundle.SPAN -> {
                    Shape square = new Shape(bundle.mlpSize(), bundle.mlpSize());
                    NDArray preserve = manager.create(bundle.scopePreserveInverse().get(l), square); // (d_ff, d_ff) f64
                    NDArray accu = manager.create(bundle.scopeAccuInverse().get(l), square); // (d_ff, d_ff) f64
                    yield new SpanScope(preserve, accu);
                }
                case HookBundle.SPAN_RELATION -> relationScope(bundle, l, manager, factoredScope);
                case HookBundle.NEAREST -> new NearestKeyScope(
                        manager.create(bundle.nearestScope().whiteningT().get(l), new Shape(bundle.mlpSize(), bundle.mlpSize())),
                        manager.create(bundle.nearestScope().keys().get(l),
                                new Shape(bundle.mlpSize(), bundle.nearestScope().keyCount())),
                        bundle.nearestScope().shardStarts(), gate);
                default -> SequenceZScore.INSTANCE;
            };
            List<NDArray> earlierShards = new ArrayList<>(); // alphaedit-shards: deltas of shards 0..S-2
            if (bundle.nearestScope() != null) {
                for (float[] e : bundle.nearestScope().earlierDeltas().getOrDefault(l, List.of())) {
                    earlierShards.add(manager.create(e, new Shape(bundle.mlpSize(), bundle.hiddenSize()))
                            .toType(model.dataType(), false));
                }
            }
            NDArray codebook = bundle.nearestScope() != null && bundle.nearestScope().hasCodebook()
                    ? manager.create(bundle.nearestScope().codebook().get(l),
                            new Shape(bundle.nearestScope().keyCount() + 1L, bundle.hiddenSize()))
                    : null; // codebook-nearest: (E + 1, d) float32
            out.put(l, new HookLayer(l, delta, bundle.alpha().get(l), scope, HookLayer.Mode.VALIDATED, null,
                    earlierShards, codebook));
        }
        return out;
    }

    private static RelationSpanScope relationScope(HookBundle bundle, int l, NDManager manager, boolean factored) {
        HookBundle.RelationScopes rs = bundle.relationScopes();
        RoutingDirections routing = RoutingDirections.of(rs.keySums().get(l).toArray(new double[0][]),
                rs.edits().stream().mapToInt(Integer::intValue).toArray());
        if (factored) {
            // K_r holds one key per edit of relation r, two with the mean and plain keys
            int keysPerEdit = CoachHookParams.SCOPE_KEYS_MEAN_PLAIN.equals(rs.scopeKeys()) ? 2 : 1;
            int[] maxRanks = rs.edits().stream().mapToInt(e -> keysPerEdit * e).toArray();
            RelationSpanScope scope = RelationSpanScope.factored(manager, bundle.mlpSize(),
                    bundle.scopePreserveInverse().get(l), rs.names(), rs.inverses().get(l), maxRanks, routing.mean(),
                    routing.directions(), rs.routes());
            LOG.debug("layer {}: span-relation scope factored (q_0 factored: {}), ranks {} of d_ff {}", l,
                    scope.preserveFactored(), Arrays.toString(scope.factorRanks()), bundle.mlpSize());
            return requireFinite(scope, rs, l, manager);
        }
        Shape square = new Shape(bundle.mlpSize(), bundle.mlpSize());
        List<NDArray> inverses = new ArrayList<>();
        for (double[] inv : rs.inverses().get(l)) {
            inverses.add(manager.create(inv, square)); // (d_ff, d_ff) f64
        }
        return requireFinite(new RelationSpanScope(manager.create(bundle.scopePreserveInverse().get(l), square), rs.names(),
                inverses, routing.mean(), routing.directions(), rs.routes()), rs, l, manager);
    }

    /**
     * Refuses a span-relation bundle whose scope cannot score its own relations' mean edited keys
     * with a finite rho (inverses of an ill-conditioned C0 that are not positive definite, written by
     * an editor before the scope whitened stably): served, its hook would silently never open.
     */
    private static RelationSpanScope requireFinite(RelationSpanScope scope, HookBundle.RelationScopes rs, int l,
            NDManager manager) {
        double[][] means = new double[rs.names().size()][];
        for (int r = 0; r < means.length; r++) {
            means[r] = rs.keySums().get(l).get(r).clone();
            for (int a = 0; a < means[r].length; a++) {
                means[r][a] /= rs.edits().get(r);
            }
        }
        try {
            scope.requireFinite(manager, means, "layer " + l);
        } catch (IllegalStateException broken) {
            throw new IllegalArgumentException("span-relation bundle refused: " + broken.getMessage(), broken);
        }
        return scope;
    }

    /**
     * Loads the checkpoint in {@code modelDir} and applies the bundle in {@code bundleDir}
     * (serving part only, sha256-verified). Refuses a bundle made for another base model.
     */
    public static HookedModel open(Path modelDir, Path bundleDir) throws IOException {
        HookBundle bundle = HookBundle.read(bundleDir, false);
        LanguageModel lm = LanguageModel.load(modelDir);
        try {
            String digest = lm.modelDigest();
            if (!digest.equals(bundle.baseModelDigest())) {
                throw new IllegalArgumentException("bundle " + bundleDir + " was made for base model "
                        + bundle.baseModelDigest() + " but " + modelDir + " is " + digest);
            }
            return new HookedModel(lm, bundle, HookBundle.digest(bundleDir));
        } catch (IOException | RuntimeException e) {
            lm.close();
            throw e;
        }
    }

    /** The manifest digest of the applied bundle (the version identity to report). */
    public String bundleDigest() {
        return bundleDigest;
    }

    /** Alpha per hooked layer. */
    public Map<Integer, Double> alpha() {
        return bundle.alpha();
    }

    /** The applied bundle's scope test: "sequence-z", "corpus-z", "span" or "span-relation" (span scores are rho, not z). */
    public String scope() {
        return bundle.scope();
    }

    /** Number of edits in the applied version. */
    public int edits() {
        return bundle.edits();
    }

    /** Greedy continuation with the hooks installed. */
    public Generation generate(String prompt, int maxNewTokens) {
        return base.generate(List.of(prompt), maxNewTokens, options()).get(0);
    }

    /** Teacher-forced scores of {@code target} after {@code prompt} with the hooks installed. */
    public ContinuationScore score(String prompt, String target) {
        return base.score(List.of(new PromptTarget(prompt, target)), options()).get(0);
    }

    /** Per hooked layer and token of {@code prompt}: m, z, alpha and whether the token swapped. */
    public List<TokenTrace> explain(String prompt) {
        return explain(base, hooks, prompt);
    }

    /** {@link #explain(String)} for any model and hook set (used by the CLI). */
    public static List<TokenTrace> explain(LanguageModel lm, Map<Integer, HookLayer> hooks, String prompt) {
        int[] ids = lm.tokenizer().encode(prompt);
        if (ids.length == 0) {
            throw new IllegalArgumentException("prompt encodes to no tokens");
        }
        List<HookLayer.RowTrace> traces = new ArrayList<>();
        Map<Integer, HookLayer> recording = new LinkedHashMap<>();
        hooks.forEach((l, h) -> recording.put(l, h.withRecorder(traces::add)));
        try (NDManager scope = NDManager.newBaseManager(lm.model().device())) {
            lm.model().forward(scope, TokenBatch.single(ids, lm.model().config().eosTokenId()),
                    ForwardOptions.builder().hooks(recording).computeLogits(false).build());
        }
        List<TokenTrace> out = new ArrayList<>();
        for (HookLayer.RowTrace t : traces) {
            for (int p = 0; p < t.m().length; p++) {
                out.add(new TokenTrace(t.layer(), p, lm.tokenizer().decode(new int[] {ids[p]}), t.m()[p], t.z()[p],
                        t.alpha(), t.swapped()[p]));
            }
        }
        return out;
    }

    /** The forward options with the validated hooks (engine-internal use). */
    public ForwardOptions options() {
        return ForwardOptions.builder().hooks(hooks).build();
    }

    @Override
    public void close() {
        hookManager.close();
        base.close();
    }
}
