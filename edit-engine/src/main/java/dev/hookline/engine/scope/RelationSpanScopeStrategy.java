/*
 * The per-relation span scope's editor-side state (coachhook-span-relation): per layer and
 * relation label (lambda_s C0 + K_r K_r^T)^-1 and the sum of the relation's edited keys, from
 * which RelationSpanScope routes each key to its nearest relations and scores rho there.
 * Reference: this project's span-relation scope (docs/BENCHMARKS.md, ninth to thirteenth sessions).
 */
package dev.hookline.engine.scope;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.NormalEquations;
import dev.hookline.engine.hook.KeyScope;
import dev.hookline.engine.hook.RelationSpanScope;
import dev.hookline.engine.hook.RoutingDirections;
import dev.hookline.engine.hook.SpanScope;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link RelationSpanScope} per layer; shapes: d_ff MLP width, u batch size, u_r edits of relation r. */
public final class RelationSpanScopeStrategy extends SpanScopeStrategy {
    /** The relation group of edits without a relation label. */
    public static final String UNLABELLED = "_";

    private final String scopeKeys;
    private final int scopeRoutes;
    private final Map<Integer, Map<String, NDArray>> relationInverse = new LinkedHashMap<>();
    private final Map<Integer, Map<String, double[]>> relationKeySum = new LinkedHashMap<>();
    private final Map<String, Integer> relationEdits = new LinkedHashMap<>();

    /**
     * @param scopeLambda lambda_s inside rho
     * @param scopeKeys {@link CoachHookParams#scopeKeys()}: which keys a relation's span holds
     * @param scopeRoutes {@link CoachHookParams#scopeRoutes()}: nearest relations scoring a key
     */
    public RelationSpanScopeStrategy(double scopeLambda, String scopeKeys, int scopeRoutes) {
        super(scopeLambda);
        this.scopeKeys = scopeKeys;
        this.scopeRoutes = scopeRoutes;
    }

    /** Relation label of an edit: its relation, or {@link #UNLABELLED}. */
    public static String relationOf(EditRequest r) {
        return r.relation() != null ? r.relation() : UNLABELLED;
    }

    @Override
    public String bundleName() {
        return HookBundle.SPAN_RELATION;
    }

    @Override
    protected boolean decoupled() {
        return false; // every relation keeps its own inverse
    }

    @Override
    public void start(ScopeContext editor) {
        for (int l : editor.layers()) {
            relationInverse.put(l, new LinkedHashMap<>());
            relationKeySum.put(l, new LinkedHashMap<>());
        }
        super.start(editor);
    }

    @Override
    public boolean wantsPlainKeys() {
        return CoachHookParams.SCOPE_KEYS_MEAN_PLAIN.equals(scopeKeys);
    }

    /**
     * Adds the (mean) keys of the batch to their relations' key sums at {@code layer}, and to
     * {@code updates} the Woodbury update of each batch relation's (lambda_s C0 + K_r K_r^T)^-1 with
     * the batch's keys of that relation (and their plain-prompt keys, if given).
     */
    @Override
    public void addBatchKeys(NDManager pending, int layer, NDArray kept, double[] keys, double[] plainKeys,
            List<EditRequest> batch, List<Runnable> updates) {
        int ff = context.mlpSize();
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
                    fresh.attach(context.state());
                    return fresh;
                });
                NormalEquations.updateInverse(inverse, k).attach(pending);
            });
        }
    }

    @Override
    public void afterBatch(List<EditRequest> batch) {
        for (EditRequest r : batch) {
            relationEdits.merge(relationOf(r), 1, Integer::sum);
        }
        refresh();
    }

    @Override
    public void refresh() {
        for (int l : context.layers()) {
            tests.put(l, relationScope(l));
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

    /**
     * One accumulated inverse and one key sum per relation besides (lambda_s C0)^-1: fixed in the
     * number of edits, growing with the number of relations.
     */
    @Override
    public long servingBytesPerLayer(long ff) {
        long relations = Math.max(1, relationEdits.size());
        return (1 + relations) * ff * ff * 8L + relations * (ff * 8L + 8L);
    }

    @Override
    public void requireBundleRestore(String method) {
        throw new IllegalStateException(method + ": the per-relation span scope is restored from its bundle"
                + " (restore(HookBundle)), which carries the relations' inverses and key sums");
    }

    @Override
    public void checkBundle(HookBundle bundle, String method) {
        super.checkBundle(bundle, method);
        if (!bundle.relationScopes().scopeKeys().equals(scopeKeys)) {
            throw new IllegalArgumentException("span-relation bundle's relation spans hold the edits' "
                    + bundle.relationScopes().scopeKeys() + " keys, the editor's " + scopeKeys
                    + ": continue with the bundle's");
        }
    }

    /** The relations' inverses, key sums and edit counts of a saved version. */
    @Override
    public void restoreFromBundle(HookBundle bundle) {
        HookBundle.RelationScopes saved = bundle.relationScopes();
        int ff = context.mlpSize();
        relationEdits.clear();
        for (int j = 0; j < saved.names().size(); j++) {
            relationEdits.put(saved.names().get(j), saved.edits().get(j));
        }
        for (int l : context.layers()) {
            for (NDArray old : relationInverse.get(l).values()) {
                context.retire(old);
            }
            relationInverse.get(l).clear();
            relationKeySum.get(l).clear();
            for (int j = 0; j < saved.names().size(); j++) {
                relationInverse.get(l).put(saved.names().get(j),
                        context.state().create(saved.inverses().get(l).get(j), new Shape(ff, ff))); // (d_ff, d_ff)
                relationKeySum.get(l).put(saved.names().get(j), saved.keySums().get(l).get(j).clone());
            }
        }
    }

    /** The relations' spans do not use a one-span accumulated inverse. */
    @Override
    public Map<Integer, double[]> accumulatedInverses() {
        return null;
    }

    /** The per-relation scope's state in bundle form (relations in the order of their first edit). */
    @Override
    public HookBundle.RelationScopes relationScopes(String method) {
        if (relationEdits.isEmpty()) {
            throw new IllegalStateException(method + ": no edits yet, so no relation scope to save");
        }
        List<String> names = new ArrayList<>(relationEdits.keySet());
        Map<Integer, List<double[]>> inverses = new LinkedHashMap<>();
        Map<Integer, List<double[]>> sums = new LinkedHashMap<>();
        for (int l : context.layers()) {
            inverses.put(l, names.stream().map(r -> relationInverse.get(l).get(r).toDoubleArray()).toList());
            sums.put(l, names.stream().map(r -> relationKeySum.get(l).get(r).clone()).toList());
        }
        return new HookBundle.RelationScopes(names, names.stream().map(relationEdits::get).toList(), inverses, sums,
                scopeKeys, scopeRoutes);
    }
}
