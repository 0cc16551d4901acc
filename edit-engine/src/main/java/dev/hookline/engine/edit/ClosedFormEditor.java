/*
 * The closed-form editors (CoachHooK, its no-hook ablation, MEMIT-sequential and the project's
 * scope variants): value step, then a float64 least-squares update of each editing layer,
 * spreading the residual over the layers. What differs between methods lives in two strategies
 * chosen by the method record: the update rule (edit/UpdateRule: where the update goes and which
 * covariance it solves against) and the scope (scope/ScopeStrategy: which test the hooks serve
 * with and the state it keeps).
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
import dev.hookline.engine.hook.ScopeTest;
import dev.hookline.engine.hook.SpanScope;
import dev.hookline.engine.infer.TextTokenizer;
import dev.hookline.engine.model.ForwardOptions;
import dev.hookline.engine.model.CausalLm;
import dev.hookline.engine.model.TokenBatch;
import dev.hookline.engine.scope.NearestKeyScopeStrategy;
import dev.hookline.engine.scope.RelationSpanScopeStrategy;
import dev.hookline.engine.scope.ScopeContext;
import dev.hookline.engine.scope.ScopeStrategy;
import dev.hookline.engine.scope.SequenceZScopeStrategy;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One editor for the closed-form methods. The batch step (value targets, key passes layer by
 * layer with temporary hooks, residual spreading, alpha rule) is shared; the {@link UpdateRule}
 * decides A and where {@code A R^T} goes, the {@link ScopeStrategy} the hooks' scope test.
 *
 * <p>Shapes: u requests in the batch, d hidden size, d_ff MLP width, m editing layers.
 */
public final class ClosedFormEditor implements SequentialEditor {
    private static final Logger LOG = LoggerFactory.getLogger(ClosedFormEditor.class);

    private final String method;
    private final UpdateRule rule;
    private final ScopeStrategy scope;
    private final CausalLm model;
    private final boolean ownsModel;
    private final TextTokenizer tokenizer;
    private final List<String> contextPrefixes;
    private final int[] layers;
    private final double lambda;
    private final HookLayer.Mode valueHookMode; // how the value step sees the hooks (VALIDATED: the paper)
    private final ValueStepParams valueStep;
    private final boolean adaptAlpha;
    private final double alpha0;
    private final int boostRounds;
    private final LayerStatistics statistics;
    private final NDManager state;
    private final Map<Integer, NDArray> deltas = new LinkedHashMap<>(); // layer -> (d_ff, d), model type; the current shard's
    private final Map<Integer, List<NDArray>> earlierShards = new LinkedHashMap<>(); // alphaedit-shards: frozen deltas
    private int shardEdits; // alphaedit-shards: most edits per shard; 0: one shard (every other method)
    private int editsInShard;
    private final Map<Integer, Double> alpha = new LinkedHashMap<>();
    private final List<NDArray> retiredInverses = new ArrayList<>();
    private int edits;
    private int boostedColumns;

    /**
     * A closed-form editor of {@code method} with its update rule and scope strategy.
     *
     * @param rule the update rule (a fresh instance: it keeps this editor's state)
     * @param scope the scope strategy (a fresh instance; hooked rules only serve with it)
     * @param valueHooks {@link CoachHookParams#VALUE_HOOKS_VALIDATED} or {@link CoachHookParams#VALUE_HOOKS_TEMPORARY}
     * @param adaptAlpha true: the min rule lowers alpha after each batch (hooked rules only)
     * @param boostRounds coachhook-plus boost rounds (0: none)
     */
    public ClosedFormEditor(String method, UpdateRule rule, ScopeStrategy scope, CausalLm base,
            TextTokenizer tokenizer, LayerStatistics statistics, int[] layers, double lambda, String valueHooks,
            double alpha0, boolean adaptAlpha, int boostRounds, ValueStepParams valueStep,
            List<String> contextPrefixes) {
        for (int l : layers) {
            if (l >= base.config().layerCount()) {
                throw new IllegalArgumentException("editing layer " + l + " but the model has "
                        + base.config().layerCount() + " layers");
            }
        }
        this.method = method;
        this.rule = rule;
        this.scope = scope;
        this.ownsModel = !rule.hooked();
        this.model = ownsModel ? ModelCopies.deepCopy(base) : base;
        this.model.setTrainable(false);
        this.tokenizer = tokenizer;
        this.statistics = statistics;
        this.layers = layers.clone();
        this.lambda = lambda;
        this.valueHookMode = CoachHookParams.VALUE_HOOKS_TEMPORARY.equals(valueHooks) ? HookLayer.Mode.TEMPORARY
                : HookLayer.Mode.VALIDATED;
        this.adaptAlpha = adaptAlpha && rule.hooked();
        this.alpha0 = alpha0;
        this.boostRounds = rule.hooked() ? boostRounds : 0;
        this.valueStep = valueStep;
        this.contextPrefixes = List.copyOf(contextPrefixes);
        this.state = NDManager.newBaseManager(base.device());
        int ff = base.config().mlpSize();
        int d = base.config().hiddenSize();
        for (int l : layers) {
            deltas.put(l, state.zeros(new Shape(ff, d), base.dataType()));
            earlierShards.put(l, new ArrayList<>());
            alpha.put(l, alpha0);
        }
        rule.start(state, statistics, this.layers, ff);
        scope.start(new Context());
    }

    /** What the scope strategy reads from this editor. */
    private final class Context implements ScopeContext {
        @Override
        public NDManager state() {
            return state;
        }

        @Override
        public LayerStatistics statistics() {
            return statistics;
        }

        @Override
        public int[] layers() {
            return layers.clone();
        }

        @Override
        public int mlpSize() {
            return model.config().mlpSize();
        }

        @Override
        public DataType dataType() {
            return model.dataType();
        }

        @Override
        public double lambda() {
            return lambda;
        }

        @Override
        public NDArray solveInverse(int layer) {
            return rule.inverse(layer);
        }

        @Override
        public NDArray delta(int layer) {
            return deltas.get(layer);
        }

        @Override
        public void retire(NDArray old) {
            retiredInverses.add(old);
        }
    }

    /** CoachHooK with hook layers; {@code params.scope()} picks the faithful or the corpus scope test. */
    public static ClosedFormEditor coachHook(CausalLm base, TextTokenizer tokenizer, LayerStatistics statistics,
            CoachHookParams params, List<String> contextPrefixes) {
        String name = switch (params.scope()) {
            case "corpus" -> "coachhook-corpus";
            case "span" -> "coachhook-span";
            default -> "coachhook";
        };
        return coachHook(base, tokenizer, statistics, params, contextPrefixes, name);
    }

    /** CoachHooK with hook layers under the method name {@code method} (e.g. "coachhook-plus"). */
    public static ClosedFormEditor coachHook(CausalLm base, TextTokenizer tokenizer, LayerStatistics statistics,
            CoachHookParams params, List<String> contextPrefixes, String method) {
        return hooked(base, tokenizer, statistics, params, contextPrefixes, method, true);
    }

    /**
     * CoachHooK with the span scope test ({@link SpanScope}) under {@code method}; {@code adaptAlpha}
     * false keeps alpha at {@code params.alpha0()} (no min rule).
     */
    public static ClosedFormEditor span(CausalLm base, TextTokenizer tokenizer, LayerStatistics statistics,
            CoachHookParams params, List<String> contextPrefixes, String method, boolean adaptAlpha) {
        if (!params.scope().equals("span") && !params.scope().equals("span-relation") && !params.scope().equals("nearest")) {
            throw new IllegalArgumentException("span editor needs scope 'span', 'span-relation' or 'nearest', got '"
                    + params.scope() + "'");
        }
        return hooked(base, tokenizer, statistics, params, contextPrefixes, method, adaptAlpha);
    }

    private static ClosedFormEditor hooked(CausalLm base, TextTokenizer tokenizer, LayerStatistics statistics,
            CoachHookParams params, List<String> contextPrefixes, String method, boolean adaptAlpha) {
        return new ClosedFormEditor(method, new CoachHookUpdate(params.lambda()), ScopeStrategy.of(params), base,
                tokenizer, statistics, params.layers(), params.lambda(), params.valueHooks(), params.alpha0(),
                adaptAlpha, params.boostRounds(), params.valueStep(), contextPrefixes);
    }

    /** CoachHooK's algebra without hooks, on a private copy of {@code base}. */
    public static ClosedFormEditor noHook(CausalLm base, TextTokenizer tokenizer, LayerStatistics statistics,
            CoachHookParams params, List<String> contextPrefixes) {
        return new ClosedFormEditor("coachhook-nohook", new NoHookUpdate(params.lambda()),
                new SequenceZScopeStrategy(), base, tokenizer, statistics, params.layers(), params.lambda(),
                CoachHookParams.VALUE_HOOKS_VALIDATED, params.alpha0(), false, 0, params.valueStep(),
                contextPrefixes);
    }

    /** MEMIT applied batch after batch, on a private copy of {@code base}. */
    public static ClosedFormEditor memit(CausalLm base, TextTokenizer tokenizer, LayerStatistics statistics,
            MemitParams params, List<String> contextPrefixes) {
        return new ClosedFormEditor("memit", new MemitUpdate(params.lambda()), new SequenceZScopeStrategy(), base,
                tokenizer, statistics, params.layers(), params.lambda(), CoachHookParams.VALUE_HOOKS_VALIDATED, 0,
                false, 0, params.valueStep(), contextPrefixes);
    }

    /**
     * AlphaEdit (ICLR 2025) applied batch after batch, on a private copy of {@code base}: MEMIT's value
     * step and residual spreading with the null-space projected update of {@link AlphaEditUpdate}.
     */
    public static ClosedFormEditor alphaEdit(CausalLm base, TextTokenizer tokenizer, LayerStatistics statistics,
            AlphaEditParams params, List<String> contextPrefixes) {
        return new ClosedFormEditor("alphaedit", new AlphaEditUpdate(params), new SequenceZScopeStrategy(), base,
                tokenizer, statistics, params.layers(), 0, CoachHookParams.VALUE_HOOKS_VALIDATED, 0, false, 0,
                params.valueStep(), contextPrefixes);
    }

    /**
     * alphaedit-nearest (this project's method): AlphaEdit's projected update of {@link AlphaEditUpdate} in
     * hook deltas on the frozen {@code base}, served under the nearest-edit scope
     * ({@link NearestKeyScopeStrategy}) at the fixed threshold {@code params.alpha0()}; the value step
     * sees the current hooks as they serve (validated), like coachhook-nearest's.
     */
    public static ClosedFormEditor alphaEditNearest(CausalLm base, TextTokenizer tokenizer, LayerStatistics statistics,
            AlphaEditNearestParams params, List<String> contextPrefixes) {
        AlphaEditParams update = params.update();
        return new ClosedFormEditor(ALPHAEDIT_NEAREST, new AlphaEditUpdate(update, true),
                new NearestKeyScopeStrategy(params.scopeLambda()), base, tokenizer, statistics, update.layers(), 0,
                CoachHookParams.VALUE_HOOKS_VALIDATED, params.alpha0(), false, 0, update.valueStep(), contextPrefixes);
    }

    /**
     * alphaedit-shards (this project's method): alphaedit-nearest whose edits fill shards of at most
     * {@code params.shardEdits()} edits, one hook delta each; a batch that would overfill the current shard
     * opens the next (a fresh delta, AlphaEdit's K_p K_p^T emptied), and a position the nearest-edit scope
     * admits takes the delta of its nearest edited key's shard. One linear delta per layer holds only as
     * many edits as the null space of C0 leaves room for (docs/BENCHMARKS.md, twentieth session).
     */
    public static ClosedFormEditor alphaEditShards(CausalLm base, TextTokenizer tokenizer, LayerStatistics statistics,
            AlphaEditShardsParams params, List<String> contextPrefixes) {
        AlphaEditParams update = params.nearest().update();
        ClosedFormEditor editor = new ClosedFormEditor(ALPHAEDIT_SHARDS, new AlphaEditUpdate(update, true),
                new NearestKeyScopeStrategy(params.nearest().scopeLambda()), base, tokenizer, statistics,
                update.layers(), 0, CoachHookParams.VALUE_HOOKS_VALIDATED, params.nearest().alpha0(), false, 0,
                update.valueStep(), contextPrefixes);
        editor.shardEdits = params.shardEdits();
        return editor;
    }

    /**
     * codebook-nearest (this project's method, not a paper's; GRACE's codebook idea): the value step and the
     * key pass of the closed-form methods, then each edit's residual at the editing layer becomes the codebook
     * row of its two edited keys ({@link CodebookUpdate}); a position the nearest-edit scope admits at the
     * fixed threshold {@code params.alpha0()} takes its nearest edited key's row. One layer; no update solved.
     */
    public static ClosedFormEditor codebookNearest(CausalLm base, TextTokenizer tokenizer, LayerStatistics statistics,
            CodebookNearestParams params, List<String> contextPrefixes) {
        return new ClosedFormEditor(CODEBOOK_NEAREST, new CodebookUpdate(),
                new NearestKeyScopeStrategy(params.scopeLambda()), base, tokenizer, statistics, params.layers(), 0,
                CoachHookParams.VALUE_HOOKS_VALIDATED, params.alpha0(), false, 0, params.valueStep(), contextPrefixes);
    }

    /** The method name of {@link #codebookNearest}. */
    public static final String CODEBOOK_NEAREST = "codebook-nearest";

    /**
     * codebook-subject (this project's method): codebook-nearest whose scope lets a position take an edit's row only
     * after the edit's subject has appeared in the text ({@link dev.hookline.engine.hook.SubjectGate}); among the
     * edits whose subjects it has seen, the nearest edited key at {@code params.alpha0()} decides as before.
     */
    public static ClosedFormEditor codebookSubject(CausalLm base, TextTokenizer tokenizer, LayerStatistics statistics,
            CodebookNearestParams params, List<String> contextPrefixes) {
        return new ClosedFormEditor(CODEBOOK_SUBJECT, new CodebookUpdate(),
                new NearestKeyScopeStrategy(params.scopeLambda(), tokenizer), base, tokenizer, statistics,
                params.layers(), 0, CoachHookParams.VALUE_HOOKS_VALIDATED, params.alpha0(), false, 0, params.valueStep(),
                contextPrefixes);
    }

    /** The method name of {@link #codebookSubject}. */
    public static final String CODEBOOK_SUBJECT = "codebook-subject";

    /** Shards of the hooks (1 for every method but alphaedit-shards). */
    public int shards() {
        return earlierShards.get(layers[0]).size() + 1;
    }

    /** Edits in the current shard. */
    public int editsInShard() {
        return editsInShard;
    }

    /** Freezes every layer's delta as an earlier shard and starts the next at zero. */
    private void openShard() {
        int ff = model.config().mlpSize();
        int d = model.config().hiddenSize();
        for (int l : layers) {
            earlierShards.get(l).add(deltas.get(l));
            deltas.put(l, state.zeros(new Shape(ff, d), model.dataType()));
            rule.openShard(l);
        }
        scope.openShard();
        LOG.info("{}: shard {} opened after {} edits", method, shards(), edits);
        editsInShard = 0;
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
        scope.requireBundleRestore(method);
        restoreState(savedDeltas, savedCAccu, savedAlpha, savedEdits);
    }

    private void restoreState(Map<Integer, float[]> savedDeltas, Map<Integer, double[]> savedCAccu,
            Map<Integer, Double> savedAlpha, int savedEdits) {
        if (!rule.hooked()) {
            throw new IllegalStateException("only hook state can be restored");
        }
        int ff = model.config().mlpSize();
        int d = model.config().hiddenSize();
        for (int l : layers) {
            if (!savedDeltas.containsKey(l) || !savedCAccu.containsKey(l) || !savedAlpha.containsKey(l)) {
                throw new IllegalArgumentException("saved state lacks layer " + l);
            }
            deltas.put(l, state.create(savedDeltas.get(l), new Shape(ff, d)).toType(model.dataType(), false));
            NDArray cAccu = rule.restore(l, savedCAccu.get(l), retiredInverses::add);
            scope.restoreLayer(l, cAccu);
            alpha.put(l, adaptAlpha ? savedAlpha.get(l) : alpha0);
        }
        scope.refresh();
        releaseRetiredInverses();
        edits = savedEdits;
        editsInShard = savedEdits;
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

    /** The update rule of this editor. */
    public UpdateRule updateRule() {
        return rule;
    }

    /** The scope test of {@code layer}. */
    public ScopeTest scope(int layer) {
        return scope.test(layer);
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
        if (shardEdits > 0 && editsInShard > 0 && editsInShard + u > shardEdits) {
            openShard();
        }
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
                try (NDManager pass = state.newSubManager()) {
                    var result = model.forward(pass, keyBatch, ForwardOptions.builder()
                            .hooks(hooks(HookLayer.Mode.TEMPORARY, layer))
                            .captureKeys(layer).captureResiduals(true).computeLogits(false).build());
                    double[] keys = new double[ff * u]; // (d_ff, u) row-major
                    // span-relation with scopeKeys mean+plain: the plain prompt's key (variant 0) too, (d_ff, u)
                    double[] plainKeys = scope.wantsPlainKeys() ? new double[ff * u] : null;
                    for (int i = 0; i < u; i++) {
                        double[][] k = Positions.gather(pass, result.keys(layer), rowsOf.get(i), posOf.get(i));
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
                    double[][] cur = Positions.gather(pass, result.residual(last), plainRow, plainPos);
                    double[] residual = new double[d * u]; // (d, u): R = (Z - cur) / (m - j)
                    for (int i = 0; i < u; i++) {
                        for (int a = 0; a < d; a++) {
                            residual[a * u + i] = (values.targets()[i][a] - cur[i][a]) / (m - j);
                        }
                    }
                    NDArray k = pass.create(keys, new Shape(ff, u)); // (d_ff, u)
                    NDArray r = pass.create(residual, new Shape(d, u)); // (d, u)
                    // A from the update rule, e.g. (C + K K^T)^-1 K with C = lambda C0 (MEMIT) or C_accu.
                    NDArray a = rule.solve(layer, k); // (d_ff, u)
                    a.attach(pass);
                    // W (d, d_ff) += R A^T; key-to-value layout (d_ff, d) += A R^T.
                    NDArray update = a.matMul(r.transpose()).toType(model.dataType(), false); // (d_ff, d)
                    if (boostRounds > 0) {
                        update = boost(pass, layer, result.keys(layer), keyBatch, plainRow, a, residual, update, u, d);
                    }
                    rule.addResiduals(pending, layer, residual, u, d, inverseUpdates); // codebook-nearest
                    rule.commit(model, layer, update); // in-place rules: the weight too
                    deltas.get(layer).addi(update);
                    NDArray kept = pending.create(keys, new Shape(ff, u)); // (d_ff, u), for the updates below
                    rule.addKeys(pending, layer, kept, inverseUpdates);
                    scope.addBatchKeys(pending, layer, kept, keys, plainKeys, batch, inverseUpdates);
                }
            }
            for (Runnable update : inverseUpdates) {
                update.run(); // in place, block by block (NormalEquations)
            }
        }
        scope.afterBatch(batch);
        releaseRetiredInverses();
        // 4. Alpha rule, layer by layer so later layers see the new alpha of earlier ones.
        if (adaptAlpha) {
            scope.beforeAlphaRule();
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
                try (NDManager pass = state.newSubManager()) {
                    model.forward(pass, promptBatch, ForwardOptions.builder().hooks(hooks)
                            .computeLogits(false).build());
                }
                alpha.put(layer, Math.min(alpha.get(layer), minOfMax[0] - ScopeTest.ALPHA_MARGIN));
            }
        }
        edits += u;
        editsInShard += u;
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
    private NDArray boost(NDManager pass, int layer, NDArray keys, TokenBatch keyBatch, int[] plainRow, NDArray a,
            double[] residual, NDArray update, int u, int d) {
        NDArray current = update;
        double threshold = alpha.get(layer);
        for (int round = 0; round < boostRounds; round++) {
            NDArray candidate = deltas.get(layer).add(current); // (d_ff, d)
            candidate.attach(pass);
            ScopeTest test = scope.candidateTest(layer, candidate);
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
            NDArray r = pass.create(residual, new Shape(d, u)); // (d, u)
            current = a.matMul(r.transpose()).toType(model.dataType(), false); // (d_ff, d)
        }
        return current;
    }

    /** The method name of {@link #alphaEditNearest}. */
    public static final String ALPHAEDIT_NEAREST = "alphaedit-nearest";
    /** The method name of {@link #alphaEditShards}. */
    public static final String ALPHAEDIT_SHARDS = "alphaedit-shards";

    /** The per-relation scope's group of edits without a relation label. */
    public static final String UNLABELLED = RelationSpanScopeStrategy.UNLABELLED;

    private void releaseRetiredInverses() {
        for (NDArray old : retiredInverses) {
            old.close();
        }
        retiredInverses.clear();
    }

    /**
     * Hooks of the current state: for {@code temporaryFrom >= 0}, layers >= temporaryFrom are
     * temporary and earlier ones validated; otherwise all in {@code mode}. Empty without hooks.
     */
    private Map<Integer, HookLayer> hooks(HookLayer.Mode mode, int temporaryFrom) {
        return hooks(mode, temporaryFrom, null);
    }

    /** {@link #hooks(HookLayer.Mode, int)} with {@code threshold} on every layer instead of alpha, unless null. */
    private Map<Integer, HookLayer> hooks(HookLayer.Mode mode, int temporaryFrom, Double threshold) {
        Map<Integer, HookLayer> out = new LinkedHashMap<>();
        if (!rule.hooked()) {
            return out;
        }
        for (int l : layers) {
            HookLayer.Mode mo = temporaryFrom >= 0 ? (l >= temporaryFrom ? HookLayer.Mode.TEMPORARY
                    : HookLayer.Mode.VALIDATED) : mode;
            if (rule.servesCodebook() && mo == HookLayer.Mode.TEMPORARY) {
                // A codebook row replaces the output shift of its key, so a new residual is measured against
                // the base output (the key pass), not against an older row the position may take.
                continue;
            }
            out.put(l, new HookLayer(l, deltas.get(l), threshold != null ? threshold : alpha.get(l), scope.test(l), mo,
                    null, earlierShards.get(l), rule.codebook(l)));
        }
        return out;
    }

    /** The validated hooks of the current version (empty for in-place variants). */
    public Map<Integer, HookLayer> validatedHooks() {
        return hooks(HookLayer.Mode.VALIDATED, -1);
    }

    @Override
    public CausalLm model() {
        return model;
    }

    @Override
    public ForwardOptions inferenceOptions() {
        return ForwardOptions.builder().hooks(validatedHooks()).build();
    }

    /** Fixed-threshold hooked editors (no min rule): the validated hooks with {@code threshold} on every layer. */
    @Override
    public java.util.Optional<ForwardOptions> inferenceOptionsAtThreshold(double threshold) {
        if (!rule.hooked() || adaptAlpha) {
            return java.util.Optional.empty();
        }
        if (!(threshold >= 0 && threshold < 1)) {
            throw new IllegalArgumentException("a swept threshold must be in [0, 1), got " + threshold);
        }
        return java.util.Optional.of(ForwardOptions.builder().hooks(hooks(HookLayer.Mode.VALIDATED, -1, threshold)).build());
    }

    @Override
    public long stateBytes() {
        long ff = model.config().mlpSize();
        long d = model.config().hiddenSize();
        // Serving: the delta and what the scope test reads (the span scopes' inverses); editing: the rule's C_accu.
        long serving = layers.length * (rule.servingBytesPerLayer(ff, d, shards()) + scope.servingBytesPerLayer(ff));
        long editing = layers.length * rule.editingBytesPerLayer(ff);
        return serving + editing + (rule.hooked() ? layers.length * 8L : 0);
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
        return rule.hooked() ? Map.copyOf(alpha) : Map.of();
    }

    /** W_h - W_0 of {@code layer}, (d_ff, d) row-major float32. */
    public float[] delta(int layer) {
        return deltas.get(layer).toType(DataType.FLOAT32, false).toFloatArray();
    }

    /**
     * What {@code layer}'s hook adds to the base model, as one flat float32 array: the delta (d_ff x d) followed by
     * codebook-nearest's rows ((E + 1) x d, row 0 zeros; none for the other methods). Rows are only ever appended,
     * so a parent's state is a prefix of its child's: the step of a batch is the difference with the shorter array
     * padded with zeros (the registry's tensor diff stacks a layer's tensors the same way).
     */
    public float[] hookState(int layer) {
        float[] d = delta(layer);
        NDArray codebook = rule.servesCodebook() ? rule.codebook(layer) : null; // null too before the first edit
        if (codebook == null) {
            return d;
        }
        float[] rows = codebook.toFloatArray(); // float32, as the bundle writes it
        float[] out = java.util.Arrays.copyOf(d, d.length + rows.length);
        System.arraycopy(rows, 0, out, d.length, rows.length);
        return out;
    }

    /** C_accu of {@code layer}, (d_ff, d_ff) row-major float64 (MEMIT: lambda C0). */
    public double[] cAccu(int layer) {
        return rule.covariance(layer);
    }

    /**
     * The current hook version as a bundle (hook variants only).
     *
     * @param baseModelDigest digest of the base model
     * @param parentDigest the parent version's digest, or null
     * @param hyperparametersJson the method's hyperparameters as a JSON object text
     */
    public HookBundle snapshot(String baseModelDigest, String parentDigest, String hyperparametersJson) {
        if (!rule.hooked()) {
            throw new IllegalStateException(method + " changes the model in place and has no hook bundle");
        }
        Map<Integer, float[]> d = new LinkedHashMap<>();
        Map<Integer, double[]> c = new LinkedHashMap<>();
        Map<Integer, Double> mu = new LinkedHashMap<>();
        Map<Integer, Double> sigma = new LinkedHashMap<>();
        for (int l : layers) {
            d.put(l, delta(l));
            if (!rule.servesCodebook()) { // a codebook bundle has no editing part: its keys and rows are in serving
                c.put(l, cAccu(l));
            }
            if (scope.test(l) instanceof CorpusZScore cz) {
                mu.put(l, cz.mu());
                sigma.put(l, cz.sigma());
            }
        }
        // Span scopes: serving scores keys with the very inverses the editor uses, so they travel in the bundle.
        HookBundle.RelationScopes relations = scope.relationScopes(method);
        HookBundle.NearestScope nearest = scope.nearestScope();
        if (nearest != null && shards() > 1) {
            Map<Integer, List<float[]>> earlier = new LinkedHashMap<>();
            for (int l : layers) {
                List<float[]> list = new ArrayList<>();
                for (NDArray e : earlierShards.get(l)) {
                    list.add(e.toType(DataType.FLOAT32, false).toFloatArray());
                }
                earlier.put(l, list);
            }
            nearest = new HookBundle.NearestScope(nearest.whiteningT(), nearest.keys(), nearest.keyCount(),
                    nearest.shardStarts(), earlier);
        }
        if (nearest != null && rule.servesCodebook()) {
            Map<Integer, float[]> rows = new LinkedHashMap<>();
            for (int l : layers) {
                rows.put(l, rule.codebook(l).toFloatArray()); // (E + 1, d) row-major
            }
            nearest = new HookBundle.NearestScope(nearest.whiteningT(), nearest.keys(), nearest.keyCount(),
                    nearest.shardStarts(), nearest.earlierDeltas(), rows, nearest.subjects());
        }
        return new HookBundle(method, hyperparametersJson, baseModelDigest, parentDigest, statistics.digest(), edits,
                lambda, layers, model.config().mlpSize(), model.config().hiddenSize(), new LinkedHashMap<>(alpha),
                scope.bundleName(), mu, sigma, d, rule.servesCodebook() ? null : c, scope.preserveInverses(),
                scope.accumulatedInverses(),
                scope.bundleScopeLambda(), relations, model.architecture().modelType(), nearest);
    }

    /**
     * Continues from a saved version: its deltas, C_accu, alpha (a fixed-threshold editor keeps its
     * own) and edit count. For the span scope
     * the inverses are recomputed from C_accu and the editor's statistics (the bundle's copies are
     * for serving), so a bundle made with another lambda is refused.
     */
    public void restore(HookBundle bundle) {
        if (!bundle.architecture().equals(model.architecture().modelType())) {
            throw new IllegalArgumentException("bundle was made for a " + bundle.architecture()
                    + " base model; this base model is " + model.architecture().modelType());
        }
        if (!Arrays.equals(bundle.layers(), layers)) {
            throw new IllegalArgumentException("bundle layers " + Arrays.toString(bundle.layers())
                    + " differ from the editor's " + Arrays.toString(layers));
        }
        boolean codebookBundle = bundle.nearestScope() != null && bundle.nearestScope().hasCodebook();
        if (rule.servesCodebook() != codebookBundle) {
            throw new IllegalArgumentException("bundle was made by " + bundle.method() + "; " + method
                    + " cannot continue it (a codebook of residuals against linear hook deltas)");
        }
        if (codebookBundle) {
            scope.checkBundle(bundle, method);
            scope.restoreFromBundle(bundle);
            for (int l : layers) {
                rule.restoreCodebook(state, l, bundle.nearestScope().codebook().get(l), model.config().hiddenSize());
                alpha.put(l, alpha0); // a fixed threshold: the editor's own (callers pass the version's to keep it)
            }
            edits = bundle.edits();
            editsInShard = bundle.edits();
            return;
        }
        if (bundle.cAccu() == null) {
            throw new IllegalArgumentException("bundle was read without its editing part (C_accu)");
        }
        if ((rule instanceof AlphaEditUpdate) != (ALPHAEDIT_NEAREST.equals(bundle.method())
                || ALPHAEDIT_SHARDS.equals(bundle.method()))) {
            // The editing part means another thing per rule: C_accu (CoachHooK) or K_p K_p^T (AlphaEdit).
            throw new IllegalArgumentException("bundle was made by " + bundle.method() + "; " + method
                    + " cannot continue it (their editing state differs: C_accu against AlphaEdit's K_p K_p^T)");
        }
        if (!bundle.scope().equals(scope.bundleName())) {
            throw new IllegalArgumentException("bundle scope test " + bundle.scope() + " differs from the editor's ("
                    + scope.bundleName() + ")");
        }
        if (!method.equals(bundle.method()) && (ALPHAEDIT_SHARDS.equals(method) || ALPHAEDIT_SHARDS.equals(bundle.method()))) {
            // A shard bundle's deltas serve only under their routing; alphaedit-nearest has one delta for every edit.
            throw new IllegalArgumentException("bundle was made by " + bundle.method() + "; " + method
                    + " cannot continue it (one delta against a delta per shard)");
        }
        scope.checkBundle(bundle, method);
        scope.restoreFromBundle(bundle);
        restoreState(bundle.deltas(), bundle.cAccu(), bundle.alpha(), bundle.edits());
        HookBundle.NearestScope nearest = bundle.nearestScope();
        if (nearest != null && nearest.shards() > 1) {
            int ff = model.config().mlpSize();
            int d = model.config().hiddenSize();
            for (int l : layers) {
                List<NDArray> list = earlierShards.get(l);
                list.forEach(NDArray::close);
                list.clear();
                for (float[] e : nearest.earlierDeltas().get(l)) {
                    list.add(state.create(e, new Shape(ff, d)).toType(model.dataType(), false));
                }
            }
            long last = nearest.shardStarts()[nearest.shardStarts().length - 1];
            editsInShard = (int) ((nearest.keyCount() - last) / NearestKeyScopeStrategy.KEYS_PER_EDIT);
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
