/*
 * CoachHooK and the closed-form baselines (MEMIT-sequential, CoachHooK without hooks): value
 * step, then a float64 least-squares update of each editing layer, spreading the residual.
 * Reference: CoachHooK (Li et al.), DESIGN.md section 3; MEMIT (Meng et al. 2023) algorithm 1.
 */
package dev.hookline.engine.edit;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.hook.CorpusZScore;
import dev.hookline.engine.hook.HookLayer;
import dev.hookline.engine.hook.KeyScope;
import dev.hookline.engine.hook.RelationSpanScope;
import dev.hookline.engine.hook.RoutingDirections;
import dev.hookline.engine.hook.ScopeTest;
import dev.hookline.engine.hook.SequenceZScore;
import dev.hookline.engine.hook.SpanScope;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.Gpt2Model;
import dev.hookline.engine.model.TokenBatch;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One editor for the three closed-form methods; they differ only in where the update goes
 * (hook delta or the weight in place), which covariance term is used (accumulated C_accu or a
 * fresh lambda C0) and whether alpha exists.
 *
 * <p>Shapes: u requests in the batch, d hidden size, d_ff MLP width, m editing layers.
 */
public final class ClosedFormEditor implements SequentialEditor {
    private static final Logger LOG = LoggerFactory.getLogger(ClosedFormEditor.class);

    /** The three variants. */
    public enum Variant {
        /** Hook layers on the frozen base model, accumulated C_accu, alpha rule. */
        COACHHOOK,
        /** Same algebra, W changed in place, no hooks (the paper's ablation). */
        COACHHOOK_NOHOOK,
        /** lambda C0 + K K^T each batch, no accumulation, W in place. */
        MEMIT
    }

    private final Variant variant;
    private final String method;
    private final Gpt2Model model;
    private final boolean ownsModel;
    private final TextTokenizer tokenizer;
    private final List<String> contextPrefixes;
    private final int[] layers;
    private final double lambda;
    private final double scopeLambda; // span scope: lambda_s inside rho (= lambda unless set apart)
    private final HookLayer.Mode valueHookMode; // how the value step sees the hooks (VALIDATED: the paper)
    private final ValueStepParams valueStep;
    private final boolean corpusScope;
    private final boolean spanScope;
    private final boolean relationScope; // span scope with one span per relation, routed by key (span-relation)
    private final String scopeKeys; // span-relation: CoachHookParams.scopeKeys, which keys each relation's span holds
    private final int scopeRoutes; // span-relation: CoachHookParams.scopeRoutes, nearest relations scoring a key
    private final boolean adaptAlpha;
    private final double alpha0;
    private final int boostRounds;
    private final LayerStatistics statistics;
    private final NDManager state;
    private final Map<Integer, NDArray> deltas = new LinkedHashMap<>(); // layer -> (d_ff, d) float32
    private final Map<Integer, NDArray> cAccu = new LinkedHashMap<>(); // layer -> (d_ff, d_ff) float64
    private final Map<Integer, Double> alpha = new LinkedHashMap<>();
    private final Map<Integer, ScopeTest> scopes = new LinkedHashMap<>();
    private final Map<Integer, NDArray> preserveInverse = new LinkedHashMap<>(); // span scope: (lambda_s C0)^-1
    // span scope with lambda_s != lambda: (lambda_s C0 + sum K K^T)^-1, Woodbury-updated with the same keys
    // as the solve's inverse; with lambda_s = lambda the scope reads solveInverse itself.
    private final Map<Integer, NDArray> scopeInverse = new LinkedHashMap<>(); // layer -> (d_ff, d_ff) float64
    // C^-1 of the solve, kept between batches (Woodbury updates, O(d_ff^2 u) per batch instead of an
    // O(d_ff^3) inverse): MEMIT (lambda C0)^-1, fixed; the accumulating variants C_accu^-1, which the
    // span scope also reads.
    private final Map<Integer, NDArray> solveInverse = new LinkedHashMap<>(); // layer -> (d_ff, d_ff) float64
    private final List<NDArray> retiredInverses = new ArrayList<>();
    // span-relation: per layer and relation (lambda_s C0 + K_r K_r^T)^-1 and the sum of the relation's
    // edited keys (for the routing directions); edits per relation.
    private final Map<Integer, Map<String, NDArray>> relationInverse = new LinkedHashMap<>();
    private final Map<Integer, Map<String, double[]>> relationKeySum = new LinkedHashMap<>();
    private final Map<String, Integer> relationEdits = new LinkedHashMap<>();
    private int edits;
    private int boostedColumns;

    private ClosedFormEditor(Variant variant, String method, Gpt2Model base, TextTokenizer tokenizer,
            LayerStatistics statistics, int[] layers, double lambda, double scopeLambda, String valueHooks,
            String scopeKeys, int scopeRoutes, double alpha0, String scopeKind,
            boolean adaptAlpha, int boostRounds, ValueStepParams valueStep, List<String> contextPrefixes) {
        for (int l : layers) {
            if (l >= base.config().layerCount()) {
                throw new IllegalArgumentException("editing layer " + l + " but the model has "
                        + base.config().layerCount() + " layers");
            }
        }
        this.variant = variant;
        this.method = method;
        this.ownsModel = variant != Variant.COACHHOOK;
        this.model = ownsModel ? ModelCopies.deepCopy(base) : base;
        this.model.setTrainable(false);
        this.tokenizer = tokenizer;
        this.statistics = statistics;
        this.layers = layers.clone();
        this.lambda = lambda;
        this.scopeLambda = scopeLambda;
        this.valueHookMode = CoachHookParams.VALUE_HOOKS_TEMPORARY.equals(valueHooks) ? HookLayer.Mode.TEMPORARY
                : HookLayer.Mode.VALIDATED;
        this.corpusScope = scopeKind.equals("corpus");
        this.spanScope = scopeKind.equals("span") || scopeKind.equals("span-relation");
        this.relationScope = scopeKind.equals("span-relation");
        this.scopeKeys = scopeKeys;
        this.scopeRoutes = scopeRoutes;
        this.adaptAlpha = adaptAlpha;
        this.alpha0 = alpha0;
        this.boostRounds = boostRounds;
        this.valueStep = valueStep;
        this.contextPrefixes = List.copyOf(contextPrefixes);
        this.state = NDManager.newBaseManager(base.device());
        int ff = base.config().mlpSize();
        int d = base.config().hiddenSize();
        for (int l : layers) {
            deltas.put(l, state.zeros(new Shape(ff, d), base.dataType()));
            NDArray preserve = state.create(statistics.c0(l), new Shape(ff, ff)).mul(lambda); // lambda C0
            solveInverse.put(l, preserve.inverse());
            if (variant != Variant.MEMIT) {
                cAccu.put(l, preserve);
            } else {
                preserve.close();
            }
            alpha.put(l, alpha0);
            scopes.put(l, corpusScope ? new CorpusZScore(0, 0) : SequenceZScore.INSTANCE);
        }
        if (spanScope) {
            for (int l : layers) {
                if (scopeLambda != lambda) {
                    try (NDManager work = state.newSubManager()) {
                        NDArray inv = work.create(statistics.c0(l), new Shape(ff, ff)).mul(scopeLambda).inverse();
                        inv.attach(state);
                        preserveInverse.put(l, inv); // (lambda_s C0)^-1
                    }
                } else {
                    preserveInverse.put(l, solveInverse.get(l).duplicate()); // C_accu starts as lambda C0
                }
                if (scopeDecoupled()) {
                    scopeInverse.put(l, preserveInverse.get(l).duplicate()); // no edits yet
                }
                relationInverse.put(l, new LinkedHashMap<>());
                relationKeySum.put(l, new LinkedHashMap<>());
            }
            refreshSpanScopes();
        }
    }

    /**
     * True for a one-span scope whose lambda differs from the update's (it keeps an inverse of its
     * own). The per-relation scope always keeps its own inverses.
     */
    private boolean scopeDecoupled() {
        return spanScope && !relationScope && scopeLambda != lambda;
    }

    /** CoachHooK with hook layers; {@code params.scope()} picks the faithful or the corpus scope test. */
    public static ClosedFormEditor coachHook(Gpt2Model base, TextTokenizer tokenizer, LayerStatistics statistics,
            CoachHookParams params, List<String> contextPrefixes) {
        String name = switch (params.scope()) {
            case "corpus" -> "coachhook-corpus";
            case "span" -> "coachhook-span";
            default -> "coachhook";
        };
        return coachHook(base, tokenizer, statistics, params, contextPrefixes, name);
    }

    /** CoachHooK with hook layers under the method name {@code method} (e.g. "coachhook-plus"). */
    public static ClosedFormEditor coachHook(Gpt2Model base, TextTokenizer tokenizer, LayerStatistics statistics,
            CoachHookParams params, List<String> contextPrefixes, String method) {
        return new ClosedFormEditor(Variant.COACHHOOK, method, base, tokenizer, statistics, params.layers(),
                params.lambda(), params.scopeLambda(), params.valueHooks(), params.scopeKeys(), params.scopeRoutes(),
                params.alpha0(), params.scope(), true,
                params.boostRounds(),
                params.valueStep(), contextPrefixes);
    }

    /**
     * CoachHooK with the span scope test ({@link SpanScope}) under {@code method}; {@code adaptAlpha}
     * false keeps alpha at {@code params.alpha0()} (no min rule).
     */
    public static ClosedFormEditor span(Gpt2Model base, TextTokenizer tokenizer, LayerStatistics statistics,
            CoachHookParams params, List<String> contextPrefixes, String method, boolean adaptAlpha) {
        if (!params.scope().equals("span") && !params.scope().equals("span-relation")) {
            throw new IllegalArgumentException("span editor needs scope 'span' or 'span-relation', got '"
                    + params.scope() + "'");
        }
        return new ClosedFormEditor(Variant.COACHHOOK, method, base, tokenizer, statistics, params.layers(),
                params.lambda(), params.scopeLambda(), params.valueHooks(), params.scopeKeys(), params.scopeRoutes(),
                params.alpha0(), params.scope(), adaptAlpha,
                params.boostRounds(), params.valueStep(), contextPrefixes);
    }

    /** CoachHooK's algebra without hooks, on a private copy of {@code base}. */
    public static ClosedFormEditor noHook(Gpt2Model base, TextTokenizer tokenizer, LayerStatistics statistics,
            CoachHookParams params, List<String> contextPrefixes) {
        return new ClosedFormEditor(Variant.COACHHOOK_NOHOOK, "coachhook-nohook", base, tokenizer, statistics,
                params.layers(), params.lambda(), params.lambda(), CoachHookParams.VALUE_HOOKS_VALIDATED,
                CoachHookParams.SCOPE_KEYS_MEAN, 1, params.alpha0(),
                "sequence", false, 0, params.valueStep(),
                contextPrefixes);
    }

    /** MEMIT applied batch after batch, on a private copy of {@code base}. */
    public static ClosedFormEditor memit(Gpt2Model base, TextTokenizer tokenizer, LayerStatistics statistics,
            MemitParams params, List<String> contextPrefixes) {
        return new ClosedFormEditor(Variant.MEMIT, "memit", base, tokenizer, statistics, params.layers(),
                params.lambda(), params.lambda(), CoachHookParams.VALUE_HOOKS_VALIDATED, CoachHookParams.SCOPE_KEYS_MEAN,
                1, 0,
                "sequence", false, 0,
                params.valueStep(), contextPrefixes);
    }

    /**
     * Restores hook state saved earlier (continued editing): deltas (d_ff, d) and C_accu
     * (d_ff, d_ff) row-major per layer, alpha per layer, the number of edits so far. An editor with a
     * fixed threshold (no min rule, e.g. coachhook-span) keeps its own {@code alpha0} instead of the
     * saved alpha: the threshold is its hyperparameter, and callers that continue a version pass
     * that version's threshold when they mean to keep it (as {@code hookline edit} does).
     */
    public void restore(Map<Integer, float[]> savedDeltas, Map<Integer, double[]> savedCAccu,
            Map<Integer, Double> savedAlpha, int savedEdits) {
        if (relationScope) {
            throw new IllegalStateException(method + ": the per-relation span scope is restored from its bundle"
                    + " (restore(HookBundle)), which carries the relations' inverses and key sums");
        }
        restoreState(savedDeltas, savedCAccu, savedAlpha, savedEdits);
    }

    private void restoreState(Map<Integer, float[]> savedDeltas, Map<Integer, double[]> savedCAccu,
            Map<Integer, Double> savedAlpha, int savedEdits) {
        if (variant != Variant.COACHHOOK) {
            throw new IllegalStateException("only hook state can be restored");
        }
        int ff = model.config().mlpSize();
        int d = model.config().hiddenSize();
        for (int l : layers) {
            if (!savedDeltas.containsKey(l) || !savedCAccu.containsKey(l) || !savedAlpha.containsKey(l)) {
                throw new IllegalArgumentException("saved state lacks layer " + l);
            }
            deltas.put(l, state.create(savedDeltas.get(l), new Shape(ff, d)).toType(model.dataType(), false));
            cAccu.put(l, state.create(savedCAccu.get(l), new Shape(ff, ff)));
            replaceInverse(l, cAccu.get(l).inverse());
            if (scopeDecoupled()) {
                // lambda_s C0 + sum K K^T = C_accu + (lambda_s - lambda) C0
                try (NDManager work = state.newSubManager()) {
                    NDArray shift = work.create(statistics.c0(l), new Shape(ff, ff)).mul(scopeLambda - lambda);
                    NDArray inv = cAccu.get(l).add(shift).inverse();
                    inv.attach(state);
                    retireAndPut(scopeInverse, l, inv);
                }
            }
            alpha.put(l, adaptAlpha ? savedAlpha.get(l) : alpha0);
        }
        if (corpusScope) {
            refreshCorpusScopes();
        }
        if (spanScope) {
            refreshSpanScopes();
        }
        releaseRetiredInverses();
        edits = savedEdits;
    }

    @Override
    public String method() {
        return method;
    }

    /** The editing layers. */
    public int[] layers() {
        return layers.clone();
    }

    /** lambda of this editor. */
    public double lambda() {
        return lambda;
    }

    /** The key statistics in use. */
    public LayerStatistics statistics() {
        return statistics;
    }

    /** The scope test of {@code layer}. */
    public ScopeTest scope(int layer) {
        return scopes.get(layer);
    }

    @Override
    public BatchOutcome apply(List<EditRequest> batch) {
        if (batch.isEmpty()) {
            throw new IllegalArgumentException("empty edit batch");
        }
        long start = System.nanoTime();
        List<EditPrompts> prompts = new ArrayList<>();
        for (EditRequest r : batch) {
            prompts.add(EditPrompts.of(r, tokenizer, contextPrefixes, valueStep.editToken().equals("last")));
        }
        int u = prompts.size();
        int m = layers.length;
        int last = layers[m - 1];
        int d = model.config().hiddenSize();
        int ff = model.config().mlpSize();
        // 1. Value targets with the current version installed (valueHooks "temporary": W_h at every position).
        ValueStep.Result values = ValueStep.compute(model, hooks(valueHookMode, -1), prompts, last, valueStep);
        // Rows of the key pass: the prompts (no target) and their context variants.
        List<int[]> rows = new ArrayList<>();
        List<int[]> rowsOf = new ArrayList<>();
        List<int[]> posOf = new ArrayList<>();
        int[] plainRow = new int[u];
        int[] plainPos = new int[u];
        for (int i = 0; i < u; i++) {
            EditPrompts p = prompts.get(i);
            int variants = Math.min(p.variants().size(), 1 + valueStep.contextVariants());
            int[] rs = new int[variants];
            int[] ps = new int[variants];
            for (int v = 0; v < variants; v++) {
                rs[v] = rows.size();
                ps[v] = p.subjectLast()[v];
                rows.add(p.variants().get(v));
            }
            plainRow[i] = rs[0];
            plainPos[i] = ps[0];
            rowsOf.add(rs);
            posOf.add(ps);
        }
        TokenBatch keyBatch = TokenBatch.of(rows, model.config().eosTokenId());
        // 2-3. Layer by layer, ascending: temporary hooks at layers not yet updated. The covariance
        // and inverse updates wait until every layer's key pass is done (inverseUpdates), so the
        // validated hooks of earlier layers score with the state from before the batch.
        List<Runnable> inverseUpdates = new ArrayList<>();
        try (NDManager pending = state.newSubManager()) {
            for (int j = 0; j < m; j++) {
                int layer = layers[j];
                try (NDManager scope = state.newSubManager()) {
                    var result = model.forward(scope, keyBatch, ForwardOptions.builder()
                            .hooks(hooks(HookLayer.Mode.TEMPORARY, layer))
                            .captureKeys(layer).captureResiduals(true).computeLogits(false).build());
                    double[] keys = new double[ff * u]; // (d_ff, u) row-major
                    // span-relation with scopeKeys mean+plain: the plain prompt's key (variant 0) too, (d_ff, u)
                    double[] plainKeys = relationScope && CoachHookParams.SCOPE_KEYS_MEAN_PLAIN.equals(scopeKeys)
                            ? new double[ff * u] : null;
                    for (int i = 0; i < u; i++) {
                        double[][] k = Positions.gather(scope, result.keys(layer), rowsOf.get(i), posOf.get(i));
                        for (double[] kv : k) {
                            for (int a = 0; a < ff; a++) {
                                keys[a * u + i] += kv[a] / k.length;
                            }
                        }
                        if (plainKeys != null) {
                            for (int a = 0; a < ff; a++) {
                                plainKeys[a * u + i] = k[0][a];
                            }
                        }
                    }
                    double[][] cur = Positions.gather(scope, result.residual(last), plainRow, plainPos);
                    double[] residual = new double[d * u]; // (d, u): R = (Z - cur) / (m - j)
                    for (int i = 0; i < u; i++) {
                        for (int a = 0; a < d; a++) {
                            residual[a * u + i] = (values.targets()[i][a] - cur[i][a]) / (m - j);
                        }
                    }
                    NDArray k = scope.create(keys, new Shape(ff, u)); // (d_ff, u)
                    NDArray r = scope.create(residual, new Shape(d, u)); // (d, u)
                    // (C + K K^T)^-1 K with C = lambda C0 (MEMIT) or C_accu, from the kept C^-1.
                    NDArray a = NormalEquations.solveWithInverse(solveInverse.get(layer), k); // (d_ff, u)
                    a.attach(scope);
                    // W (d, d_ff) += R A^T; Conv1D layout (d_ff, d) += A R^T.
                    NDArray update = a.matMul(r.transpose()).toType(model.dataType(), false); // (d_ff, d)
                    if (variant == Variant.COACHHOOK && boostRounds > 0) {
                        update = boost(scope, layer, result.keys(layer), keyBatch, plainRow, a, residual, update, u, d);
                    }
                    if (variant == Variant.COACHHOOK) {
                        deltas.get(layer).addi(update);
                    } else {
                        model.mlpProjectionWeight(layer).addi(update);
                        deltas.get(layer).addi(update);
                    }
                    NDArray kept = pending.create(keys, new Shape(ff, u)); // (d_ff, u), for the updates below
                    if (variant != Variant.MEMIT) {
                        inverseUpdates.add(() -> {
                            NormalEquations.addGram(cAccu.get(layer), kept, 1);
                            NormalEquations.updateInverse(solveInverse.get(layer), kept).attach(pending);
                        });
                    }
                    if (scopeDecoupled()) {
                        inverseUpdates.add(() ->
                                NormalEquations.updateInverse(scopeInverse.get(layer), kept).attach(pending));
                    }
                    if (relationScope) {
                        addRelationKeys(pending, layer, keys, plainKeys, batch, inverseUpdates);
                    }
                }
            }
            for (Runnable update : inverseUpdates) {
                update.run(); // in place, block by block (NormalEquations)
            }
        }
        if (relationScope) {
            for (EditRequest r : batch) {
                relationEdits.merge(relationOf(r), 1, Integer::sum);
            }
        }
        if (spanScope) {
            refreshSpanScopes();
        }
        releaseRetiredInverses();
        // 4. Alpha rule, layer by layer so later layers see the new alpha of earlier ones.
        if (variant == Variant.COACHHOOK && adaptAlpha) {
            if (corpusScope) {
                refreshCorpusScopes();
            }
            List<int[]> plain = new ArrayList<>();
            for (EditPrompts p : prompts) {
                plain.add(p.variants().get(0));
            }
            TokenBatch promptBatch = TokenBatch.of(plain, model.config().eosTokenId());
            for (int layer : layers) {
                double[] minOfMax = {Double.POSITIVE_INFINITY};
                Map<Integer, HookLayer> hooks = new LinkedHashMap<>(hooks(HookLayer.Mode.VALIDATED, -1));
                hooks.put(layer, hooks.get(layer).withRecorder(t -> {
                    double max = ScopeTest.maxScore(t.z());
                    if (!Double.isNaN(max)) {
                        minOfMax[0] = Math.min(minOfMax[0], max);
                    }
                }));
                try (NDManager scope = state.newSubManager()) {
                    model.forward(scope, promptBatch, ForwardOptions.builder().hooks(hooks)
                            .computeLogits(false).build());
                }
                alpha.put(layer, Math.min(alpha.get(layer), minOfMax[0] - ScopeTest.ALPHA_MARGIN));
            }
        }
        edits += u;
        double seconds = (System.nanoTime() - start) / 1e9;
        LOG.debug("{}: batch of {} in {} s, P(new|delta) {}, alpha {}", method, u, seconds,
                Arrays.toString(values.probabilityNew()), alpha);
        return new BatchOutcome(u, seconds, values.probabilityNew(), alphas());
    }

    /**
     * Boost rounds (coachhook-plus): while an edited prompt's largest score at {@code layer} with the
     * new delta stays below the current alpha, scale its residual column by
     * {@link CoachHookParams#BOOST_FACTOR} and recompute the update (A does not depend on R).
     * Keys are the plain prompts' keys of this pass (all real positions), so the score is the one the
     * validated hook will compute, up to the earlier layers' hooks being temporary in this pass.
     *
     * @param keys keys of the key pass at {@code layer}, (B, T, d_ff)
     * @param residual (d, u) row-major, scaled in place
     * @return the update to commit, (d_ff, d)
     */
    private NDArray boost(NDManager scope, int layer, NDArray keys, TokenBatch keyBatch, int[] plainRow, NDArray a,
            double[] residual, NDArray update, int u, int d) {
        NDArray current = update;
        double threshold = alpha.get(layer);
        for (int round = 0; round < boostRounds; round++) {
            NDArray candidate = deltas.get(layer).add(current); // (d_ff, d)
            candidate.attach(scope);
            ScopeTest test = corpusScope ? corpusScope(layer, candidate) : SequenceZScore.INSTANCE;
            boolean[] weak = new boolean[u];
            int weakCount = 0;
            for (int i = 0; i < u; i++) {
                int n = keyBatch.length(plainRow[i]);
                NDArray rowKeys = keys.get(plainRow[i]).get(new ai.djl.ndarray.index.NDIndex("0:" + n)); // (n, d_ff)
                double[] m = rowKeys.matMul(candidate.toType(rowKeys.getDataType(), false)).norm(new int[] {1})
                        .toType(DataType.FLOAT64, false).toDoubleArray(); // (n)
                double max = ScopeTest.maxScore(test.scores(m));
                weak[i] = !(max >= threshold);
                weakCount += weak[i] ? 1 : 0;
            }
            if (weakCount == 0) {
                break;
            }
            boostedColumns += weakCount;
            for (int i = 0; i < u; i++) {
                if (weak[i]) {
                    for (int x = 0; x < d; x++) {
                        residual[x * u + i] *= CoachHookParams.BOOST_FACTOR;
                    }
                }
            }
            LOG.debug("{}: layer {} boost round {}: {} of {} prompts below alpha {}", method, layer, round + 1,
                    weakCount, u, threshold);
            NDArray r = scope.create(residual, new Shape(d, u)); // (d, u)
            current = a.matMul(r.transpose()).toType(model.dataType(), false); // (d_ff, d)
        }
        return current;
    }

    /** The corpus scope test of {@code layer} if its delta were {@code delta}. */
    private CorpusZScore corpusScope(int layer, NDArray delta) {
        int ff = model.config().mlpSize();
        float[] sample = statistics.corpusKeys(layer);
        try (NDManager scope = state.newSubManager()) {
            NDArray keys = scope.create(sample, new Shape(sample.length / ff, ff)).toType(model.dataType(), false);
            double[] mv = keys.matMul(delta.toType(model.dataType(), false)).norm(new int[] {1})
                    .toType(DataType.FLOAT64, false).toDoubleArray(); // (S)
            double mean = 0;
            for (double v : mv) {
                mean += v;
            }
            mean /= mv.length;
            double ss = 0;
            for (double v : mv) {
                ss += (v - mean) * (v - mean);
            }
            return new CorpusZScore(mean, Math.sqrt(ss / Math.max(1, mv.length - 1)));
        }
    }

    /** Relation label of an edit for the per-relation scope: its relation, or {@link #UNLABELLED}. */
    static String relationOf(EditRequest r) {
        return r.relation() != null ? r.relation() : UNLABELLED;
    }

    /** The per-relation scope's group of edits without a relation label. */
    public static final String UNLABELLED = "_";

    /**
     * span-relation: adds the (mean) keys of the batch to their relations' key sums at {@code layer},
     * and to {@code updates} the Woodbury update of each batch relation's (lambda_s C0 + K_r K_r^T)^-1
     * with the batch's keys of that relation (and their plain-prompt keys, if given).
     *
     * @param pending owns the key arrays until the updates have run
     * @param keys the batch keys at the layer, (d_ff, u) row-major, u = batch size
     * @param plainKeys null, or the plain prompts' keys at the layer, (d_ff, u) row-major
     */
    private void addRelationKeys(NDManager pending, int layer, double[] keys, double[] plainKeys,
            List<EditRequest> batch, List<Runnable> updates) {
        int ff = model.config().mlpSize();
        int u = batch.size();
        Map<String, List<Integer>> columns = new LinkedHashMap<>();
        for (int i = 0; i < u; i++) {
            columns.computeIfAbsent(relationOf(batch.get(i)), r -> new ArrayList<>()).add(i);
        }
        for (Map.Entry<String, List<Integer>> e : columns.entrySet()) {
            List<Integer> cols = e.getValue();
            int ur = cols.size();
            int width = plainKeys == null ? ur : 2 * ur;
            double[] kr = new double[ff * width]; // (d_ff, u_r) or (d_ff, 2 u_r): mean keys, then plain keys
            double[] sum = relationKeySum.get(layer).computeIfAbsent(e.getKey(), r -> new double[ff]);
            for (int a = 0; a < ff; a++) {
                for (int j = 0; j < ur; j++) {
                    double v = keys[a * u + cols.get(j)];
                    kr[a * width + j] = v;
                    sum[a] += v;
                    if (plainKeys != null) {
                        kr[a * width + ur + j] = plainKeys[a * u + cols.get(j)];
                    }
                }
            }
            NDArray k = pending.create(kr, new Shape(ff, width));
            updates.add(() -> {
                NDArray inverse = relationInverse.get(layer).computeIfAbsent(e.getKey(), r -> {
                    NDArray fresh = preserveInverse.get(layer).duplicate(); // (lambda_s C0)^-1: no edits yet
                    fresh.attach(state);
                    return fresh;
                });
                NormalEquations.updateInverse(inverse, k).attach(pending);
            });
        }
    }

    /** Installs the span scope tests on the current (lambda_s C0 + sum K K^T)^-1 per layer. */
    private void refreshSpanScopes() {
        for (int l : layers) {
            scopes.put(l, relationScope ? relationScope(l)
                    : new SpanScope(preserveInverse.get(l), scopeAccumulatedInverse(l)));
        }
    }

    /**
     * The per-relation scope of layer l: routing directions from the relations' key sums. Before any
     * edit the one-span scope on (lambda_s C0)^-1 alone (rho 0 everywhere).
     */
    private KeyScope relationScope(int l) {
        Map<String, NDArray> inverses = relationInverse.get(l);
        if (inverses.isEmpty()) {
            return new SpanScope(preserveInverse.get(l), preserveInverse.get(l));
        }
        List<String> names = new ArrayList<>(inverses.keySet());
        double[][] sums = new double[names.size()][];
        int[] counts = new int[names.size()];
        for (int r = 0; r < names.size(); r++) {
            sums[r] = relationKeySum.get(l).get(names.get(r));
            counts[r] = relationEdits.getOrDefault(names.get(r), 0);
        }
        RoutingDirections dirs = RoutingDirections.of(sums, counts);
        return new RelationSpanScope(preserveInverse.get(l), names, names.stream().map(inverses::get).toList(),
                dirs.mean(), dirs.directions(), scopeRoutes);
    }

    /** The span scope's accumulated inverse of layer l: its own when decoupled, else C_accu^-1. */
    private NDArray scopeAccumulatedInverse(int l) {
        return scopeDecoupled() ? scopeInverse.get(l) : solveInverse.get(l);
    }

    /**
     * Keeps {@code inverse} (attached to the editor's state) as layer l's C^-1 on a restore. The old
     * one is freed by {@link #releaseRetiredInverses} once the span scopes, refreshed after it, no
     * longer read it. (A batch updates the inverses in place.)
     */
    private void replaceInverse(int l, NDArray inverse) {
        inverse.attach(state);
        retireAndPut(solveInverse, l, inverse);
    }

    /** Puts {@code inverse} (attached to the state) as key l's entry and retires the old one. */
    private <K> void retireAndPut(Map<K, NDArray> inverses, K l, NDArray inverse) {
        NDArray old = inverses.put(l, inverse);
        if (old != null && old != inverse) {
            retiredInverses.add(old);
        }
    }

    private void releaseRetiredInverses() {
        for (NDArray old : retiredInverses) {
            old.close();
        }
        retiredInverses.clear();
    }

    /** Recomputes mu and sigma of m = ||k delta|| over the corpus key sample per layer. */
    private void refreshCorpusScopes() {
        for (int l : layers) {
            scopes.put(l, corpusScope(l, deltas.get(l)));
        }
    }

    /**
     * Hooks of the current state: for {@code temporaryFrom >= 0}, layers >= temporaryFrom are
     * temporary and earlier ones validated; otherwise all in {@code mode}. Empty without hooks.
     */
    private Map<Integer, HookLayer> hooks(HookLayer.Mode mode, int temporaryFrom) {
        Map<Integer, HookLayer> out = new LinkedHashMap<>();
        if (variant != Variant.COACHHOOK) {
            return out;
        }
        for (int l : layers) {
            HookLayer.Mode mo = temporaryFrom >= 0 ? (l >= temporaryFrom ? HookLayer.Mode.TEMPORARY
                    : HookLayer.Mode.VALIDATED) : mode;
            out.put(l, new HookLayer(l, deltas.get(l), alpha.get(l), scopes.get(l), mo, null));
        }
        return out;
    }

    /** The validated hooks of the current version (empty for in-place variants). */
    public Map<Integer, HookLayer> validatedHooks() {
        return hooks(HookLayer.Mode.VALIDATED, -1);
    }

    @Override
    public Gpt2Model model() {
        return model;
    }

    @Override
    public ForwardOptions inferenceOptions() {
        return ForwardOptions.builder().hooks(validatedHooks()).build();
    }

    @Override
    public long stateBytes() {
        long ff = model.config().mlpSize();
        long d = model.config().hiddenSize();
        // Span scope: the serving part also carries (lambda_s C0)^-1 and the accumulated inverse per layer;
        // span-relation one accumulated inverse and one key sum per relation (fixed in the number of edits,
        // growing with the number of relations).
        long spanInverses = relationScope ? 1 + Math.max(1, relationEdits.size()) : spanScope ? 2 : 0;
        long routing = relationScope ? Math.max(1, relationEdits.size()) * (ff * 8L + 8L) : 0;
        long serving = layers.length * (ff * d * 4L + spanInverses * ff * ff * 8L + routing);
        long editing = variant == Variant.MEMIT ? 0 : layers.length * ff * ff * 8L;
        return serving + editing + (variant == Variant.COACHHOOK ? layers.length * 8L : 0);
    }

    /** Residual columns scaled by boost rounds so far (coachhook-plus; 0 for the paper's rule). */
    public int boostedColumns() {
        return boostedColumns;
    }

    @Override
    public int editCount() {
        return edits;
    }

    @Override
    public Map<Integer, Double> alphas() {
        return variant == Variant.COACHHOOK ? Map.copyOf(alpha) : Map.of();
    }

    /** W_h - W_0 of {@code layer}, (d_ff, d) row-major float32. */
    public float[] delta(int layer) {
        return deltas.get(layer).toType(DataType.FLOAT32, false).toFloatArray();
    }

    /** C_accu of {@code layer}, (d_ff, d_ff) row-major float64 (MEMIT: lambda C0). */
    public double[] cAccu(int layer) {
        NDArray c = cAccu.get(layer);
        return c != null ? c.toDoubleArray() : scaled(statistics.c0(layer));
    }

    private double[] scaled(double[] c0) {
        double[] out = c0.clone();
        for (int i = 0; i < out.length; i++) {
            out[i] *= lambda;
        }
        return out;
    }

    /**
     * The current hook version as a bundle (hook variants only).
     *
     * @param baseModelDigest digest of the base model
     * @param parentDigest the parent version's digest, or null
     * @param hyperparametersJson the method's hyperparameters as a JSON object text
     */
    public HookBundle snapshot(String baseModelDigest, String parentDigest, String hyperparametersJson) {
        if (variant != Variant.COACHHOOK) {
            throw new IllegalStateException(method + " changes the model in place and has no hook bundle");
        }
        Map<Integer, float[]> d = new LinkedHashMap<>();
        Map<Integer, double[]> c = new LinkedHashMap<>();
        Map<Integer, Double> mu = new LinkedHashMap<>();
        Map<Integer, Double> sigma = new LinkedHashMap<>();
        // Span scope: serving scores keys with the very inverses the editor uses, so they travel in the bundle.
        Map<Integer, double[]> preserveInv = spanScope ? new LinkedHashMap<>() : null;
        Map<Integer, double[]> accuInv = spanScope ? new LinkedHashMap<>() : null;
        for (int l : layers) {
            d.put(l, delta(l));
            c.put(l, cAccu(l));
            if (scopes.get(l) instanceof CorpusZScore cz) {
                mu.put(l, cz.mu());
                sigma.put(l, cz.sigma());
            }
            if (spanScope) {
                preserveInv.put(l, preserveInverse.get(l).toDoubleArray()); // (d_ff, d_ff) float64
            }
            if (spanScope && !relationScope) {
                accuInv.put(l, scopeAccumulatedInverse(l).toDoubleArray()); // (d_ff, d_ff) float64
            }
        }
        if (relationScope && relationEdits.isEmpty()) {
            throw new IllegalStateException(method + ": no edits yet, so no relation scope to save");
        }
        return new HookBundle(method, hyperparametersJson, baseModelDigest, parentDigest, statistics.digest(), edits,
                lambda, layers, model.config().mlpSize(), model.config().hiddenSize(), new LinkedHashMap<>(alpha),
                bundleScope(), mu, sigma, d, c, preserveInv, relationScope ? null : accuInv,
                spanScope ? scopeLambda : lambda, relationScope ? relationScopes() : null);
    }

    /** The per-relation scope's state in bundle form (relations in the order of their first edit). */
    private HookBundle.RelationScopes relationScopes() {
        List<String> names = new ArrayList<>(relationEdits.keySet());
        Map<Integer, List<double[]>> inverses = new LinkedHashMap<>();
        Map<Integer, List<double[]>> sums = new LinkedHashMap<>();
        for (int l : layers) {
            inverses.put(l, names.stream().map(r -> relationInverse.get(l).get(r).toDoubleArray()).toList());
            sums.put(l, names.stream().map(r -> relationKeySum.get(l).get(r).clone()).toList());
        }
        return new HookBundle.RelationScopes(names, names.stream().map(relationEdits::get).toList(), inverses, sums,
                scopeKeys, scopeRoutes);
    }

    /** The bundle's name of this editor's scope test. */
    private String bundleScope() {
        return relationScope ? HookBundle.SPAN_RELATION : spanScope ? HookBundle.SPAN
                : corpusScope ? "corpus-z" : "sequence-z";
    }

    /**
     * Continues from a saved version: its deltas, C_accu, alpha (a fixed-threshold editor keeps its
     * own) and edit count. For the span scope
     * the inverses are recomputed from C_accu and the editor's statistics (the bundle's copies are
     * for serving), so a bundle made with another lambda is refused.
     */
    public void restore(HookBundle bundle) {
        if (!Arrays.equals(bundle.layers(), layers)) {
            throw new IllegalArgumentException("bundle layers " + Arrays.toString(bundle.layers())
                    + " differ from the editor's " + Arrays.toString(layers));
        }
        if (bundle.cAccu() == null) {
            throw new IllegalArgumentException("bundle was read without its editing part (C_accu)");
        }
        if (!bundle.scope().equals(bundleScope())) {
            throw new IllegalArgumentException("bundle scope test " + bundle.scope() + " differs from the editor's ("
                    + bundleScope() + ")");
        }
        if (spanScope && bundle.lambda() != lambda) {
            throw new IllegalArgumentException("span bundle was made with lambda " + bundle.lambda()
                    + ", the editor has lambda " + lambda + ": rho needs C_accu and (lambda C0)^-1 on one lambda");
        }
        if (spanScope && bundle.scopeLambda() != scopeLambda) {
            throw new IllegalArgumentException("span bundle was made with scope lambda " + bundle.scopeLambda()
                    + ", the editor has scope lambda " + scopeLambda + ": continue with the bundle's");
        }
        if (spanScope && !bundle.statisticsDigest().equals(statistics.digest())) {
            LOG.warn("span bundle statistics {} differ from the editor's {}: rho uses the editor's (lambda C0)^-1",
                    bundle.statisticsDigest(), statistics.digest());
        }
        if (relationScope && !bundle.relationScopes().scopeKeys().equals(scopeKeys)) {
            throw new IllegalArgumentException("span-relation bundle's relation spans hold the edits' "
                    + bundle.relationScopes().scopeKeys() + " keys, the editor's " + scopeKeys
                    + ": continue with the bundle's");
        }
        if (relationScope) {
            restoreRelations(bundle.relationScopes());
        }
        restoreState(bundle.deltas(), bundle.cAccu(), bundle.alpha(), bundle.edits());
    }

    /** span-relation: the relations' inverses, key sums and edit counts of a saved version. */
    private void restoreRelations(HookBundle.RelationScopes saved) {
        int ff = model.config().mlpSize();
        relationEdits.clear();
        for (int j = 0; j < saved.names().size(); j++) {
            relationEdits.put(saved.names().get(j), saved.edits().get(j));
        }
        for (int l : layers) {
            for (NDArray old : relationInverse.get(l).values()) {
                retiredInverses.add(old);
            }
            relationInverse.get(l).clear();
            relationKeySum.get(l).clear();
            for (int j = 0; j < saved.names().size(); j++) {
                relationInverse.get(l).put(saved.names().get(j),
                        state.create(saved.inverses().get(l).get(j), new Shape(ff, ff))); // (d_ff, d_ff) float64
                relationKeySum.get(l).put(saved.names().get(j), saved.keySums().get(l).get(j).clone());
            }
        }
    }

    @Override
    public void close() {
        state.close();
        if (ownsModel) {
            model.close();
        }
    }
}
