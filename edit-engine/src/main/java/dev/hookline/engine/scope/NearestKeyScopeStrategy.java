/*
 * The nearest-edit scope's editor-side state (coachhook-nearest): per layer the whitening W = L^-1 of
 * lambda_s C0 = L L^T and every edited key's scaled whitening a_i = W k_i / sqrt(1 + |W k_i|^2)
 * (the mean key and the plain prompt's key of each edit), from which NearestKeyScope scores.
 * Reference: docs/BENCHMARKS.md, seventeenth session (scope geometry).
 */
package dev.hookline.engine.scope;

import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import dev.hookline.data.EditRequest;
import dev.hookline.engine.bundle.HookBundle;
import dev.hookline.engine.hook.NearestKeyScope;
import dev.hookline.engine.hook.ScopeFactors;
import dev.hookline.engine.hook.SubjectGate;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/** {@link NearestKeyScope} per layer; shapes: d_ff MLP width, u batch size, E edited keys so far. */
public final class NearestKeyScopeStrategy extends ScopeStrategy {

    private final double scopeLambda;
    private final Map<Integer, NDArray> whiteningT = new LinkedHashMap<>(); // (d_ff, d_ff) float32, W^T
    private final Map<Integer, NDArray> edited = new LinkedHashMap<>(); // (d_ff, E) float32, columns a_i
    private final List<Long> shardStarts = new ArrayList<>(); // first column of shards 1, 2, ... (alphaedit-shards)
    private final java.util.function.Function<String, int[][]> spell; // codebook-subject: subject spellings; else null
    private final List<String> subjects = new ArrayList<>(); // codebook-subject: the subject of each column

    /** @param scopeLambda lambda_s of the whitening */
    public NearestKeyScopeStrategy(double scopeLambda) {
        this(scopeLambda, null);
    }

    /**
     * @param scopeLambda lambda_s of the whitening
     * @param tokenizer with a tokenizer, the scope's subject gate (codebook-subject): a column is taken only after
     *     its edit's subject; null for none
     */
    public NearestKeyScopeStrategy(double scopeLambda, dev.hookline.engine.infer.TextTokenizer tokenizer) {
        this.scopeLambda = scopeLambda;
        if (tokenizer == null) {
            this.spell = null;
        } else {
            Map<String, int[][]> memo = new java.util.HashMap<>();
            java.util.function.Function<String, int[][]> s = SubjectGate.spellings(tokenizer);
            this.spell = x -> memo.computeIfAbsent(x, s);
        }
    }

    /** True with the subject gate (codebook-subject). */
    public boolean gated() {
        return spell != null;
    }

    @Override
    public String bundleName() {
        return HookBundle.NEAREST;
    }

    @Override
    public void start(ScopeContext editor) {
        super.start(editor);
        int ff = editor.mlpSize();
        for (int l : editor.layers()) {
            double[] w = ScopeFactors.whitening(editor.state(), editor.statistics().c0(l), ff, scopeLambda,
                    "nearest-edit scope lambda_s C0, layer " + l);
            float[] t = new float[ff * ff]; // W^T, row-major (a contiguous array, as bundles store it)
            for (int i = 0; i < ff; i++) {
                for (int j = 0; j < ff; j++) {
                    t[i * ff + j] = (float) w[j * ff + i];
                }
            }
            whiteningT.put(l, editor.state().create(t, new Shape(ff, ff)));
        }
        refresh();
    }

    @Override
    public boolean wantsPlainKeys() {
        return true;
    }

    /** Appends the batch's mean and plain keys, whitened and scaled, to the layer's edited keys. */
    @Override
    public void addBatchKeys(NDManager pending, int layer, NDArray kept, double[] keys, double[] plainKeys,
            List<EditRequest> batch, List<Runnable> updates) {
        int ff = context.mlpSize();
        int u = batch.size();
        double[] both = new double[ff * 2 * u]; // (d_ff, 2u): mean keys, then plain keys
        for (int a = 0; a < ff; a++) {
            System.arraycopy(keys, a * u, both, a * 2 * u, u);
            System.arraycopy(plainKeys != null ? plainKeys : keys, a * u, both, a * 2 * u + u, u);
        }
        // Every temporary hangs on pending (the first operand's manager), which the editor closes after the batch.
        NDArray k = pending.create(both, new Shape(ff, 2 * u)).toType(DataType.FLOAT32, false); // (d_ff, 2u)
        NDArray w = whiteningT.get(layer).transpose(); // (d_ff, d_ff), W: a view, moved to pending
        w.attach(pending);
        NDArray z = w.matMul(k); // (d_ff, 2u), W k
        NDArray scale = z.mul(z).sum(new int[] {0}).add(1).sqrt(); // (2u), sqrt(1 + |z|^2)
        NDArray a = z.div(scale); // (d_ff, 2u), contiguous
        boolean first = layer == context.layers()[0];
        updates.add(() -> {
            if (first && spell != null) { // the columns' subjects, once for all layers: mean keys', then plain keys'
                for (int copy = 0; copy < KEYS_PER_EDIT; copy++) {
                    batch.forEach(r -> subjects.add(r.subject()));
                }
            }
            NDArray old = edited.get(layer);
            NDArray next = old == null ? a.duplicate() : old.concat(a, 1); // (d_ff, E + 2u)
            next.attach(context.state());
            edited.put(layer, next);
            if (old != null) {
                context.retire(old);
            }
        });
    }

    @Override
    public void afterBatch(List<EditRequest> batch) {
        refresh();
    }

    @Override
    public void refresh() {
        long[] starts = shardStarts.stream().mapToLong(Long::longValue).toArray();
        SubjectGate gate = spell == null || subjects.isEmpty() ? null : new SubjectGate(subjects, spell);
        for (int l : context.layers()) {
            tests.put(l, new NearestKeyScope(whiteningT.get(l), edited.get(l), starts, gate));
        }
    }

    /** Edited keys per edit: the mean key and the plain prompt's. */
    public static final int KEYS_PER_EDIT = 2;

    /** The next edited keys start a new shard (every layer holds the same number of key columns). */
    @Override
    public void openShard() {
        NDArray keys = edited.get(context.layers()[0]);
        if (keys == null) {
            throw new IllegalStateException("a shard holds at least one edit before the next opens");
        }
        shardStarts.add(keys.getShape().get(1));
        refresh();
    }

    /** W^T and E edited keys in float32; E grows by two per edit. */
    @Override
    public long servingBytesPerLayer(long ff) {
        long e = edited.isEmpty() ? 0 : edited.values().iterator().next().getShape().get(1);
        return ff * ff * 4L + ff * e * 4L;
    }

    @Override
    public void requireBundleRestore(String method) {
        throw new IllegalArgumentException(method + " continues from a hook bundle only (its edited keys live there),"
                + " not from bare deltas");
    }

    @Override
    public void checkBundle(HookBundle bundle, String method) {
        checkScopeLambdaAndStatistics(bundle, scopeLambda, "nearest", "new keys are whitened as the bundle's");
        if (bundle.nearestScope() != null && bundle.nearestScope().gated() != gated()) {
            throw new IllegalArgumentException(method + " cannot continue a " + bundle.method() + " bundle: "
                    + (gated() ? "it has no subject gate" : "its codebook is subject-gated"));
        }
    }

    /** Takes the bundle's whitening and edited keys, so new keys are scored and whitened as the old ones. */
    @Override
    public void restoreFromBundle(HookBundle bundle) {
        int ff = context.mlpSize();
        HookBundle.NearestScope n = bundle.nearestScope();
        shardStarts.clear();
        for (long start : n.shardStarts()) {
            shardStarts.add(start);
        }
        subjects.clear();
        subjects.addAll(n.subjects());
        for (int l : context.layers()) {
            NDArray w = context.state().create(n.whiteningT().get(l), new Shape(ff, ff)); // (d_ff, d_ff) float32, W^T
            NDArray keys = context.state().create(n.keys().get(l), new Shape(ff, n.keyCount())); // (d_ff, E) float32
            NDArray oldW = whiteningT.put(l, w);
            NDArray oldKeys = edited.put(l, keys);
            if (oldW != null) {
                context.retire(oldW);
            }
            if (oldKeys != null) {
                context.retire(oldKeys);
            }
        }
        refresh();
    }

    @Override
    public HookBundle.NearestScope nearestScope() {
        Map<Integer, float[]> w = new LinkedHashMap<>();
        Map<Integer, float[]> keys = new LinkedHashMap<>();
        int count = 0;
        for (int l : context.layers()) {
            NDArray k = edited.get(l);
            if (k == null) {
                throw new IllegalStateException("the nearest-edit scope has no edited keys yet: no version to save");
            }
            w.put(l, whiteningT.get(l).toFloatArray()); // (d_ff, d_ff) row-major
            keys.put(l, k.toFloatArray()); // (d_ff, E) row-major
            count = (int) k.getShape().get(1);
        }
        // The editor adds the earlier shards' deltas (it holds them).
        return new HookBundle.NearestScope(w, keys, count, shardStarts.stream().mapToLong(Long::longValue).toArray(),
                Map.of(), Map.of(), spell == null ? List.of() : subjects);
    }

    @Override
    public double bundleScopeLambda() {
        return scopeLambda;
    }
}
