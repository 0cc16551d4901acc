/*
 * The per-relation span scope's editor-side state (coachhook-span-relation): per layer the
 * whitening W = L^-1 of lambda_s C0 = L L^T, and per relation label the whitened accumulated
 * inverse (I + Z_r Z_r^T)^-1 of the relation's whitened keys Z_r = W K_r (equal to
 * L^T (lambda_s C0 + K_r K_r^T)^-1 L, but with eigenvalues in (0, 1] however ill-conditioned C0 is)
 * and the sum of the relation's edited keys, from which RelationSpanScope routes each key to its
 * nearest relations and scores rho there. Bundles keep the (lambda_s C0)^-1 form, rebuilt from the
 * whitened state as W^T W and W^T W - F_r F_r^T (F_r = W^T G_r, G_r G_r^T = I - (I + Z_r Z_r^T)^-1).
 * Reference: this project's span-relation scope (docs/BENCHMARKS.md, ninth to thirteenth sessions).
 */
package dev.hookline.engine.scope;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.edit.CoachHookParams;
import dev.hookline.engine.edit.NormalEquations;
import dev.hookline.engine.hook.KeyScope;
import dev.hookline.engine.hook.RelationSpanScope;
import dev.hookline.engine.hook.RoutingDirections;
import dev.hookline.engine.hook.ScopeFactors;
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
    private final Map<Integer, NDArray> whitening = new LinkedHashMap<>(); // layer -> W = L^-1, (d_ff, d_ff) float64
    // layer -> relation -> (I + Z_r Z_r^T)^-1, (d_ff, d_ff) float64, Z_r = W K_r
    private final Map<Integer, Map<String, NDArray>> relationInverse = new LinkedHashMap<>();
    private final Map<Integer, Map<String, Integer>> relationKeys = new LinkedHashMap<>(); // columns of K_r (rank bound)
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
        int ff = editor.mlpSize();
        for (int l : editor.layers()) {
            relationInverse.put(l, new LinkedHashMap<>());
            relationKeys.put(l, new LinkedHashMap<>());
            relationKeySum.put(l, new LinkedHashMap<>());
            double[] w = ScopeFactors.whitening(editor.state(), editor.statistics().c0(l), ff, scopeLambda,
                    "layer " + l);
            whitening.put(l, editor.state().create(w, new Shape(ff, ff))); // (d_ff, d_ff) float64
        }
        super.start(editor);
    }

    @Override
    public boolean wantsPlainKeys() {
        return CoachHookParams.SCOPE_KEYS_MEAN_PLAIN.equals(scopeKeys);
    }

    /**
     * Adds the (mean) keys of the batch to their relations' key sums at {@code layer}, and to
     * {@code updates} the Woodbury update of each batch relation's whitened (I + Z_r Z_r^T)^-1 with
     * the batch's whitened keys W k of that relation (and their plain-prompt keys, if given).
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
            NDArray z = whitening.get(layer).matMul(pending.create(kr, new Shape(ff, width))); // (d_ff, width), W K_r
            z.attach(pending);
            updates.add(() -> {
                NDArray inverse = relationInverse.get(layer).computeIfAbsent(e.getKey(), r -> {
                    NDArray fresh = context.state().eye(ff, ff, 0, DataType.FLOAT64); // (I + 0)^-1: no edits yet
                    fresh.attach(context.state());
                    return fresh;
                });
                NormalEquations.updateInverse(inverse, z).attach(pending);
                relationKeys.get(layer).merge(e.getKey(), width, Integer::sum);
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

    /**
     * Installs each layer's scope, after checking that it scores every relation's mean edited key
     * with a finite rho: a scope that gives NaN would silently keep the hook closed, so the batch
     * fails with the cause instead.
     */
    @Override
    public void refresh() {
        for (int l : context.layers()) {
            KeyScope scope = relationScope(l);
            if (scope instanceof RelationSpanScope relations) {
                requireFinite(l, relations);
            }
            tests.put(l, scope);
        }
    }

    private void requireFinite(int l, RelationSpanScope scope) {
        List<String> names = scope.relations();
        double[][] means = new double[names.size()][];
        for (int r = 0; r < names.size(); r++) {
            means[r] = relationKeySum.get(l).get(names.get(r)).clone();
            int count = Math.max(1, relationEdits.getOrDefault(names.get(r), 1));
            for (int a = 0; a < means[r].length; a++) {
                means[r][a] /= count;
            }
        }
        scope.requireFinite(context.state(), means, "layer " + l);
    }

    /**
     * The per-relation scope of layer l: routing directions from the relations' key sums, rho in
     * whitened coordinates. Before any edit the one-span scope on (lambda_s C0)^-1 alone (rho 0, the
     * hook's delta is zero then).
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
        return RelationSpanScope.whitened(whitening.get(l), names, names.stream().map(inverses::get).toList(),
                dirs.mean(), dirs.directions(), scopeRoutes);
    }

    /**
     * One accumulated inverse and one key sum per relation besides W and (lambda_s C0)^-1: fixed in the
     * number of edits, growing with the number of relations.
     */
    @Override
    public long servingBytesPerLayer(long ff) {
        long relations = Math.max(1, relationEdits.size());
        return (2 + relations) * ff * ff * 8L + relations * (ff * 8L + 8L);
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
            relationKeys.get(l).clear();
            int keysPerEdit = CoachHookParams.SCOPE_KEYS_MEAN_PLAIN.equals(saved.scopeKeys()) ? 2 : 1;
            try (NDManager work = context.state().newSubManager()) {
                // L = W^-1: (lambda_s C0 + K_r K_r^T)^-1 = W^T (I + Z_r Z_r^T)^-1 W, so the whitened inverse is L^T A_r L
                NDArray lower = work.create(ScopeFactors.lowerInverse(work, whitening.get(l).toDoubleArray(), ff),
                        new Shape(ff, ff)); // (d_ff, d_ff)
                for (int j = 0; j < saved.names().size(); j++) {
                    NDArray a = work.create(saved.inverses().get(l).get(j), new Shape(ff, ff)); // (d_ff, d_ff)
                    NDArray w = lower.transpose().matMul(a).matMul(lower); // (d_ff, d_ff)
                    NDArray symmetric = w.add(w.transpose()).div(2);
                    symmetric.attach(context.state());
                    relationInverse.get(l).put(saved.names().get(j), symmetric);
                    relationKeys.get(l).put(saved.names().get(j), keysPerEdit * saved.edits().get(j));
                    relationKeySum.get(l).put(saved.names().get(j), saved.keySums().get(l).get(j).clone());
                }
            }
        }
    }

    /** (lambda_s C0)^-1 per layer for the bundle, as W^T W from the whitening (exactly symmetric). */
    @Override
    public Map<Integer, double[]> preserveInverses() {
        Map<Integer, double[]> out = new LinkedHashMap<>();
        for (int l : context.layers()) {
            try (NDManager work = context.state().newSubManager()) {
                out.put(l, gram(work, whitening.get(l).transpose()).toDoubleArray()); // (d_ff, d_ff)
            }
        }
        return out;
    }

    /** {@code x x^T}, symmetrised; x (n, m). */
    private static NDArray gram(NDManager work, NDArray x) {
        NDArray g = x.matMul(x.transpose());
        g.attach(work);
        NDArray symmetric = g.add(g.transpose()).div(2);
        symmetric.attach(work);
        return symmetric;
    }

    /**
     * The relations' (lambda_s C0 + K_r K_r^T)^-1 = W^T W - F_r F_r^T of layer l for the bundle, with
     * F_r = W^T G_r and G_r the thin pivoted-Cholesky factor of I - (I + Z_r Z_r^T)^-1 (rank at most
     * the relation's key count): O(d_ff^2 rank_r) per relation besides one W^T W per layer.
     */
    private List<double[]> accumulatedInverses(int l, List<String> names) {
        int ff = context.mlpSize();
        List<double[]> out = new ArrayList<>();
        try (NDManager work = context.state().newSubManager()) {
            NDArray w = whitening.get(l); // (d_ff, d_ff)
            NDArray preserve = gram(work, w.transpose()); // (d_ff, d_ff), W^T W
            double[] eye = new double[ff * ff]; // (d_ff, d_ff) I
            for (int a = 0; a < ff; a++) {
                eye[a * ff + a] = 1;
            }
            for (String r : names) {
                List<double[]> thin = ScopeFactors.lowRankDifference(eye, relationInverse.get(l).get(r).toDoubleArray(), ff,
                        relationKeys.get(l).getOrDefault(r, ff));
                if (thin.isEmpty()) {
                    out.add(preserve.toDoubleArray());
                    continue;
                }
                double[] g = new double[ff * thin.size()]; // (d_ff, rank_r) G_r
                for (int j = 0; j < thin.size(); j++) {
                    for (int a = 0; a < ff; a++) {
                        g[a * thin.size() + j] = thin.get(j)[a];
                    }
                }
                NDArray f = w.transpose().matMul(work.create(g, new Shape(ff, thin.size()))); // (d_ff, rank_r) F_r
                f.attach(work);
                NDArray accumulated = preserve.sub(gram(work, f)); // (d_ff, d_ff)
                accumulated.attach(work);
                out.add(accumulated.toDoubleArray());
            }
        }
        return out;
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
            inverses.put(l, accumulatedInverses(l, names));
            sums.put(l, names.stream().map(r -> relationKeySum.get(l).get(r).clone()).toList());
        }
        return new HookBundle.RelationScopes(names, names.stream().map(relationEdits::get).toList(), inverses, sums,
                scopeKeys, scopeRoutes);
    }
}
