/*
 * The editor-side half of a scope test: which ScopeTest each hooked layer serves with, and the
 * state the editor keeps to build it (nothing for the z-scores, inverses for the span scopes),
 * updated with each batch's keys and saved in and restored from hook bundles.
 * Reference: CoachHooK (Li et al.) validated hooks; DESIGN.md sections 3 and 8.
 */
package dev.hookline.engine.scope;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.hook.ScopeTest;
import dev.hookline.engine.hook.SequenceZScore;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * One scope test's state in a closed-form editor. The editor calls {@link #start} once, then per
 * batch {@link #addBatchKeys} for each layer (the updates run after every layer's key pass),
 * {@link #afterBatch}, and {@link #beforeAlphaRule} before the min rule. The default methods are
 * those of a scope without state of its own; a new scope test is a new subclass.
 *
 * <p>Shapes: u requests in the batch, d_ff MLP width.
 */
public abstract class ScopeStrategy {
    /** The editor this strategy serves (set by {@link #start}). */
    protected ScopeContext context;
    /** The current scope test per layer. */
    protected final Map<Integer, ScopeTest> tests = new LinkedHashMap<>();

    /** The strategy of {@code params.scope()}: sequence, corpus, span or span-relation. */
    public static ScopeStrategy of(CoachHookParams params) {
        return switch (params.scope()) {
            case "corpus" -> new CorpusZScopeStrategy();
            case "span" -> new SpanScopeStrategy(params.scopeLambda());
            case "span-relation" -> new RelationSpanScopeStrategy(params.scopeLambda(), params.scopeKeys(),
                    params.scopeRoutes());
            case "sequence" -> new SequenceZScopeStrategy();
            case "nearest" -> new NearestKeyScopeStrategy(params.scopeLambda());
            default -> throw new IllegalArgumentException("unknown scope '" + params.scope() + "'");
        };
    }

    /** The scope's name in hook bundles ({@link HookBundle#scope()}). */
    public abstract String bundleName();

    /** Binds the strategy to its editor and installs the initial test of every layer. */
    public void start(ScopeContext editor) {
        this.context = editor;
        for (int l : editor.layers()) {
            tests.put(l, SequenceZScore.INSTANCE);
        }
    }

    /** The scope test {@code layer} serves with now. */
    public ScopeTest test(int layer) {
        return tests.get(layer);
    }

    /** The test boost rounds score a candidate delta of {@code layer} with (coachhook-plus). */
    public ScopeTest candidateTest(int layer, NDArray candidateDelta) {
        return SequenceZScore.INSTANCE;
    }

    /** True if the editor should also gather the plain prompts' keys for {@link #addBatchKeys}. */
    public boolean wantsPlainKeys() {
        return false;
    }

    /**
     * Takes a batch's keys at {@code layer}; updates of kept arrays go to {@code updates}, which the
     * editor runs after every layer's key pass (so earlier layers' hooks score with the state from
     * before the batch).
     *
     * @param pending owns {@code kept} until the updates have run
     * @param kept the batch's (mean) keys, (d_ff, u) float64
     * @param keys the same keys, (d_ff, u) row-major
     * @param plainKeys null, or the plain prompts' keys, (d_ff, u) row-major (see {@link #wantsPlainKeys})
     */
    public void addBatchKeys(NDManager pending, int layer, NDArray kept, double[] keys, double[] plainKeys,
            List<EditRequest> batch, List<Runnable> updates) {}

    /** After a batch's updates have run: refresh what depends on them. */
    public void afterBatch(List<EditRequest> batch) {}

    /** Before the alpha min rule reads scores of the new deltas. */
    public void beforeAlphaRule() {}

    /**
     * A restored layer's C_accu, (d_ff, d_ff) float64 in the editor's state, after the update rule
     * has taken it.
     */
    public void restoreLayer(int layer, NDArray cAccu) {}

    /** After a restore: rebuild the tests from the restored state. */
    public void refresh() {}

    /**
     * Starts a new shard: later edited keys route to the next delta (alphaedit-shards).
     *
     * @throws UnsupportedOperationException for scopes without shards
     */
    public void openShard() {
        throw new UnsupportedOperationException("the " + bundleName() + " scope keeps no shards");
    }

    /** Bytes per layer that serving carries besides the delta. */
    public long servingBytesPerLayer(long ff) {
        return 0;
    }

    /** Refuses a restore from bare arrays where the scope's own state lives only in bundles. */
    public void requireBundleRestore(String method) {}

    /** Refuses a bundle this strategy cannot continue (lambda, scope lambda, keys). */
    public void checkBundle(HookBundle bundle, String method) {}

    /**
     * Refuses a bundle made with another scope lambda, and logs where its statistics differ from the
     * editor's ({@code kind} names the scope, {@code consequence} says what the editor uses then).
     */
    protected void checkScopeLambdaAndStatistics(HookBundle bundle, double scopeLambda, String kind, String consequence) {
        if (bundle.scopeLambda() != scopeLambda) {
            throw new IllegalArgumentException(kind + " bundle was made with scope lambda " + bundle.scopeLambda()
                    + ", the editor has scope lambda " + scopeLambda + ": continue with the bundle's");
        }
        if (!bundle.statisticsDigest().equals(context.statistics().digest())) {
            org.slf4j.LoggerFactory.getLogger(getClass()).warn("{} bundle statistics {} differ from the editor's {}: {}",
                    kind, bundle.statisticsDigest(), context.statistics().digest(), consequence);
        }
    }

    /** Takes the scope's own state from {@code bundle} (before the update rule's restore). */
    public void restoreFromBundle(HookBundle bundle) {}

    /** Bundle part: (lambda_s C0)^-1 per layer, or null. */
    public Map<Integer, double[]> preserveInverses() {
        return null;
    }

    /** Bundle part: the one-span scope's accumulated inverse per layer, or null. */
    public Map<Integer, double[]> accumulatedInverses() {
        return null;
    }

    /** Bundle part: the lambda the scope's score uses. */
    public double bundleScopeLambda() {
        return context.lambda();
    }

    /** Bundle part: the nearest-edit scope's whitening and edited keys, or null. */
    public HookBundle.NearestScope nearestScope() {
        return null;
    }

    /** Bundle part: the per-relation spans, or null. */
    public HookBundle.RelationScopes relationScopes(String method) {
        return null;
    }
}
